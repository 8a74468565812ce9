"""make_dot (torchviz's signature) and the graph object it returns, in the manner of
graphviz.Digraph, drawn by ndgrad's own layout and SVG: no Graphviz needed."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import webbrowser
from typing import Any

from .._tensor import Tensor
from . import _graph, _svg
from ._files import write_atomic
from ._graph import KINDS, GraphModel

_NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                  height="0.2", fontname="monospace")
_NATIVE = ("svg", "html", "dot", "gv")


class GraphvizNotFound(RuntimeError):
    """A format that only Graphviz's `dot` can produce was asked for, and `dot` is not on PATH."""


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class Graph:
    """An autograd graph: `.source` (DOT), `.save()`, `.render()`, `.pipe()`, notebook display.

    Example::
        >>> x = ndgrad.ones(3, requires_grad=True)
        >>> g = make_dot((x * 2).sum())
        >>> g.source.startswith("digraph")
        True
    """

    def __init__(self, model: GraphModel, rankdir: str = "TB", filename: str | None = None,
                 directory: str = "", format: str = "svg") -> None:
        self.model = model
        self.rankdir = rankdir
        self.filename = filename or "Digraph.gv"
        self.directory = directory
        self.format = format
        self.node_attr = dict(_NODE_ATTR)
        self.graph_attr = {"size": "12,12", "rankdir": rankdir}
        self._svg: str | None = None

    # *** the DOT text, for people who have Graphviz ***

    @property
    def body(self) -> list[str]:
        """DOT statements, one per node and edge (graphviz.Digraph's `body`)."""
        lines = []
        for n in self.model.nodes:
            color = "" if n.fill_kind == "op" else f" fillcolor={KINDS[n.fill_kind][0]}"
            lines.append(f"\t{n.id} [label={_quote(chr(10).join(n.lines))}{color}]")
        for e in self.model.edges:
            extra = {"solid": "", "dotted": " [style=dotted]", "saved": " [dir=none]"}[e.style]
            lines.append(f"\t{e.src} -> {e.dst}{extra}")
        return lines

    @property
    def source(self) -> str:
        def attrs(d: dict) -> str:
            return " ".join(f"{k}={_quote(v)}" for k, v in sorted(d.items()))

        head = ["digraph {", f"\tgraph [{attrs(self.graph_attr)}]",
                f"\tnode [{attrs(self.node_attr)}]"]
        return "\n".join(head + self.body + ["}"]) + "\n"

    # *** drawing ***

    def svg(self) -> str:
        """The SVG document (laid out once, then cached)."""
        if self._svg is None:
            self._svg = _svg.render(self.model, self.rankdir)
        return self._svg

    def html(self, title: str = "autograd graph") -> str:
        """A self-contained page: the graph, a legend, and a panel filled by clicking a node."""
        from .page import graph_page

        return graph_page(self, title)

    def pipe(self, format: str | None = None, encoding: str | None = None) -> bytes | str:
        """The graph rendered to `format` ('svg', 'html', 'dot'; others through Graphviz)."""
        data = self._render_bytes(format or self.format)
        return data.decode(encoding) if encoding is not None else data

    def _render_bytes(self, fmt: str) -> bytes:
        fmt = fmt.lower()
        if fmt == "svg":
            return self.svg().encode()
        if fmt == "html":
            return self.html().encode()
        if fmt in ("dot", "gv"):
            return self.source.encode()
        dot = shutil.which("dot")
        if dot is None:
            raise GraphvizNotFound(
                f"format {fmt!r} needs Graphviz's `dot` executable, which was not found on PATH. "
                "Install Graphviz (e.g. `apt-get install graphviz`), or use format='svg' or "
                "format='html', which ndgrad draws itself.")
        run = subprocess.run([dot, f"-T{fmt}"], input=self.source.encode(), capture_output=True)
        if run.returncode != 0:
            raise RuntimeError(f"Graphviz's dot failed for format {fmt!r}: "
                               f"{run.stderr.decode(errors='replace').strip()}")
        return run.stdout

    def save(self, filename: str | None = None, directory: str | None = None) -> str:
        """Write the DOT source to filename (default self.filename); return its path."""
        if filename is not None:
            self.filename = filename
        if directory is not None:
            self.directory = directory
        path = os.path.join(self.directory, self.filename)
        write_atomic(path, self.source.encode())
        return path

    def render(self, filename: str | None = None, directory: str | None = None,
               view: bool = False, cleanup: bool = False, format: str | None = None,
               outfile: str | None = None, **kwargs: Any) -> str:
        """Save the source to filename and the drawing to filename.<format>; return the
        drawing's path. As in graphviz, `outfile="g.svg"` names the drawing (and its format)."""
        fmt = format
        if outfile is not None:
            stem, ext = os.path.splitext(outfile)
            fmt = fmt or ext[1:] or self.format
            target = outfile
            filename = filename or stem + ".gv"
        else:
            fmt = fmt or self.format
        data = self._render_bytes(fmt)  # a missing Graphviz fails before anything is written
        src = self.save(filename, directory)
        if outfile is None:
            target = f"{src}.{fmt}"
        write_atomic(target, data)
        if cleanup:
            os.remove(src)
        if view:
            webbrowser.open("file://" + os.path.abspath(target))
        return target

    def view(self, filename: str | None = None, directory: str | None = None,
             cleanup: bool = False) -> str:
        return self.render(filename, directory, view=True, cleanup=cleanup)

    # *** notebooks ***

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_html_(self) -> str:
        return ('<div style="max-width:100%;overflow:auto">' +
                self.svg().replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1) +
                "</div>")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        bundle = {"image/svg+xml": self.svg(), "text/html": self._repr_html_(),
                  "text/plain": repr(self)}
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle

    def __repr__(self) -> str:
        cut = ", cut at max_nodes" if self.model.truncated else ""
        return (f"<ndgrad.viz.Graph: {len(self.model.nodes)} nodes, {len(self.model.edges)} "
                f"edges{cut}>")


def _check_outputs(var: Any) -> list:
    outs = list(var) if isinstance(var, (tuple, list)) else [var]
    if not outs:
        raise ValueError("make_dot() got an empty sequence of outputs")
    for i, v in enumerate(outs):
        if not isinstance(v, Tensor):
            what = f"element {i} of the outputs" if isinstance(var, (tuple, list)) else "var"
            raise TypeError(f"make_dot() expects an ndgrad Tensor (or a tuple of them), but "
                            f"{what} is {type(v).__module__}.{type(v).__qualname__}")
        if v.grad_fn is None and not v.requires_grad:
            raise ValueError(
                f"make_dot(): the tensor passed (shape {_graph.size_to_str(v.shape)}, {v.dtype}) "
                "has no grad_fn and does not require grad, so there is no autograd graph to draw."
                " Build it from tensors created with requires_grad=True (and outside no_grad()).")
    return outs


def make_dot(var: Any, params: dict | None = None, show_attrs: bool = False,
             show_saved: bool = False, max_attr_chars: int = 50, *, show_grads: bool = True,
             rankdir: str = "TB", max_nodes: int = 1000) -> Graph:
    """Draw the autograd graph that produced `var`, as torchviz.make_dot does, without Graphviz.

    Grey boxes are backward nodes (`grad_fn`, torch's names), blue the leaves that backward fills
    (named from `params`, else from the caller's variables, with their shapes), green the
    output, orange saved tensors. Args beyond torchviz's: `show_grads` (each leaf's gradient
    norm once backward ran), `rankdir` ('TB', 'LR', 'BT', 'RL'), `max_nodes` (a larger graph is
    cut there and summarised: never a hang).

    Example::
        >>> w = ndgrad.ones(2, 3, requires_grad=True)
        >>> g = make_dot((ndgrad.ones(2) @ w).sum(), params={"w": w})
        >>> [n.name for n in g.model.nodes][:3]
        ['output', 'SumBackward0', 'SqueezeBackward4']
        >>> g.svg().startswith("<svg")
        True
    """
    outs = _check_outputs(var)
    if rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'LR', 'BT' or 'RL', not {rankdir!r}")
    if max_nodes < 2:
        raise ValueError(f"max_nodes must be at least 2, got {max_nodes}")
    frame = sys._getframe(1) if params is None else None
    model = _graph.build(outs, params, show_attrs, show_saved, show_grads, max_attr_chars,
                         max_nodes, frame)
    return Graph(model, rankdir)
