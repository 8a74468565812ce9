"""The graph as SVG text: boxes and labels at the layout's coordinates, edges as smooth paths,
a legend, data attributes and tooltips on every node; deterministic bytes for the same graph."""
from __future__ import annotations

import hashlib
import math
from xml.sax.saxutils import escape

from ._graph import KINDS, GraphModel
from ._layout import Layout, layout

FONT_SIZE = 11
CHAR_W = 6.7  # monospace advance at 11px (0.6 em, a little slack for wide fonts)
LINE_H = 14
PAD_X, PAD_Y = 7, 4
SVG_NS = "http://www.w3.org/2000/svg"
EDGE_TEXT = "arrows: forward data flow; backward() runs against them, from the output"


def attr(value: object) -> str:
    """Escape a value for a double-quoted XML attribute (newlines kept as character refs)."""
    return escape(str(value), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def node_size(lines: list[str]) -> tuple[float, float]:
    longest = max((len(s) for s in lines), default=1)
    return max(longest * CHAR_W + 2 * PAD_X, 36.0), len(lines) * LINE_H + 2 * PAD_Y


def _num(v: float) -> str:
    if not math.isfinite(v):
        raise ValueError(f"layout produced a non-finite coordinate {v}")
    s = f"{v:.1f}"
    return "0.0" if s == "-0.0" else s


def _path(points: list[tuple[float, float]], vertical: bool) -> str:
    (x0, y0) = points[0]
    parts = [f"M{_num(x0)},{_num(y0)}"]
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        if vertical:
            my = (ay + by) / 2
            c1, c2 = (ax, my), (bx, my)
        else:
            mx = (ax + bx) / 2
            c1, c2 = (mx, ay), (mx, by)
        parts.append(f"C{_num(c1[0])},{_num(c1[1])} {_num(c2[0])},{_num(c2[1])} "
                     f"{_num(bx)},{_num(by)}")
    return " ".join(parts)


def graph_prefix(model: GraphModel) -> str:
    """An id prefix that depends only on the graph's content (unique per graph in a notebook)."""
    h = hashlib.sha1()
    for n in model.nodes:
        h.update(f"{n.id}|{n.kind}|{'/'.join(n.lines)}|{n.source};".encode())
    for e in model.edges:
        h.update(f"{e.src}>{e.dst}:{e.style};".encode())
    return "g" + h.hexdigest()[:8]


def compute_layout(model: GraphModel, rankdir: str) -> Layout:
    sizes = [node_size(n.lines) for n in model.nodes]
    index = {n.id: i for i, n in enumerate(model.nodes)}
    edges = [(index[e.src], index[e.dst]) for e in model.edges]
    return layout(sizes, edges, rankdir)


def render(model: GraphModel, rankdir: str = "TB", title: str = "autograd graph") -> str:
    """The SVG document of a graph model."""
    lay = compute_layout(model, rankdir)
    prefix = graph_prefix(model)
    kinds = []
    for n in model.nodes:
        if n.fill_kind not in kinds:
            kinds.append(n.fill_kind)
    kinds.sort(key=list(KINDS).index)
    legend_h = (len(kinds) + 1) * 16 + 10
    legend_w = max([len(KINDS[k][2]) * CHAR_W + 30 for k in kinds] + [len(EDGE_TEXT) * CHAR_W])
    width = max(lay.width, legend_w + 16)
    height = lay.height + legend_h
    out = [f'<svg xmlns="{SVG_NS}" viewBox="0 0 {_num(width)} {_num(height)}" '
           f'width="{_num(width)}" height="{_num(height)}" class="ndgrad-graph" '
           f'data-nodes="{len(model.nodes)}" data-edges="{len(model.edges)}" '
           f'data-rankdir="{rankdir}" font-family="monospace" font-size="{FONT_SIZE}">',
           f"<title>{escape(title)}</title>",
           f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" '
           'orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
           '<g class="edges">']
    vertical = rankdir in ("TB", "BT")
    names = {n.id: n.name for n in model.nodes}
    for i, (e, route) in enumerate(zip(model.edges, lay.routes)):
        style = {"solid": 'stroke="#444"', "dotted": 'stroke="#444" stroke-dasharray="2,3"',
                 "saved": 'stroke="#c77700" stroke-dasharray="4,3"'}[e.style]
        marker = "" if e.style == "saved" else f' marker-end="url(#{prefix}-arrow)"'
        out.append(f'<g class="edge edge-{e.style}" id="{prefix}-e{i}" data-id="e{i}" '
                   f'data-from="{e.src}" data-to="{e.dst}" data-slot="{e.slot}">'
                   f"<title>{escape(names[e.src])} \u2192 {escape(names[e.dst])}</title>"
                   f'<path d="{_path(route, vertical)}" fill="none" {style} '
                   f'stroke-width="1.2"{marker}/></g>')
    out.append("</g>")
    out.append('<g class="nodes">')
    for i, n in enumerate(model.nodes):
        x, y, w, h = lay.x[i], lay.y[i], lay.w[i], lay.h[i]
        left, top = x - w / 2, y - h / 2
        fill = KINDS[n.fill_kind][1]
        dash = ' stroke-dasharray="4,3"' if n.kind == "more" else ""
        data = (f'data-id="{n.id}" data-name="{attr(n.name)}" data-kind="{n.kind}" '
                f'data-shape="{attr(n.shape)}" data-source="{attr(n.source)}"')
        if n.grad_norm is not None:
            data += f' data-grad-norm="{attr(repr(n.grad_norm))}"'
        out.append(f'<g class="node kind-{n.kind}" id="{prefix}-{n.id}" {data}>'
                   f"<title>{escape(n.tooltip or n.name)}</title>"
                   f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(w)}" height="{_num(h)}" '
                   f'rx="3" fill="{fill}" stroke="#333"{dash}/>')
        for k, line in enumerate(n.lines):
            ty = top + PAD_Y + LINE_H * k + LINE_H * 0.78
            out.append(f'<text x="{_num(x)}" y="{_num(ty)}" text-anchor="middle" '
                       f'xml:space="preserve">{escape(line)}</text>')
        out.append("</g>")
    out.append("</g>")
    out.append(f'<g class="legend" transform="translate(8,{_num(lay.height + 6)})">')
    for k, kind in enumerate(kinds):
        yy = k * 16
        out.append(f'<rect x="0" y="{yy}" width="18" height="11" rx="2" fill="{KINDS[kind][1]}" '
                   f'stroke="#333"/><text x="26" y="{yy + 10}">{escape(KINDS[kind][2])}</text>')
    out.append(f'<text x="0" y="{len(kinds) * 16 + 10}" fill="#555">{escape(EDGE_TEXT)}'
               "</text></g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
