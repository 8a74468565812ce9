"""The self-contained HTML pages: the graph with a details panel, and the step-through replay of
a backward pass (inline SVG, CSS and JS from this package's page.* files; no network)."""
from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from . import _rules
from .explain import Trace, _jsonable

PLAY_INTERVAL_MS = 900
_PLACEHOLDER = re.compile(r"__(TITLE|MODE|INTRO|CSS|JS|SVG|DATA)__")
INTRO = ("Backward starts at the output and runs the graph's nodes in the engine's order. Press "
         "Next (\u2192) to run one node, Play to watch them all.")


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _script_json(obj: Any) -> str:
    """JSON safe inside <script>: no '</' or '<!--' can end the element early."""
    text = json.dumps(_jsonable(obj), allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _nodes(model: Any) -> dict:
    return {n.id: {"name": n.name, "kind": n.kind, "shape": n.shape, "source": n.source,
                   "code": n.code, "tooltip": n.tooltip, "grad": n.grad_norm}
            for n in model.nodes}


def _fill(title: str, mode: str, svg: str, data: dict, intro: str) -> str:
    parts = {"__TITLE__": html.escape(title), "__MODE__": mode, "__INTRO__": html.escape(intro),
             "__CSS__": _asset("page.css"), "__JS__": _asset("page.js"), "__SVG__": svg,
             "__DATA__": _script_json(data)}
    return _PLACEHOLDER.sub(lambda m: parts[m.group(0)], _asset("page.html"))


def graph_page(graph: Any, title: str = "autograd graph") -> str:
    """The graph on a page; clicking a node shows what it is in the side panel."""
    data = {"mode": "graph", "interval": PLAY_INTERVAL_MS, "nodes": _nodes(graph.model),
            "steps": [], "intro": ""}
    return _fill(title, "graph", graph.svg(), data,
                 "Click a node to see what it is, where it was created and its shapes.")


def step_page(trace: Trace, title: str = "backward, step by step", **graph_kwargs: Any) -> str:
    """The page that replays trace over its graph."""
    from .dot import Graph

    rankdir = graph_kwargs.pop("rankdir", "TB")
    model = trace._model(**graph_kwargs)
    graph = Graph(model, rankdir)
    by_obj = model.by_obj
    edges_into: dict[str, list[tuple[int, str]]] = {}
    for i, e in enumerate(model.edges):
        edges_into.setdefault(e.dst, []).append((e.slot, f"e{i}"))
    steps = []
    for s, row in zip(trace.steps, trace.rows):
        gid = by_obj.get(id(s.node))
        if gid is None:  # beyond max_nodes: the step still counts, nothing to light up
            gid = ""
        used = []
        for slot, eid in edges_into.get(gid, []):
            if slot < 0:
                continue
            if row["kind"] == "accumulate":  # the leaf's edge: the gradient lands in .grad
                used.append([eid, row["grad_in"][0] if row["grad_in"] else None])
            elif slot < len(s.grad_out):
                used.append([eid, s.grad_out[slot]])
        full = dict(row, rule_source=_rules.rule(s.node, row["leaf"] or "leaf", s.env)[1])
        steps.append({"node": gid, "edges": used, "row": full})
    data = {"mode": "steps", "interval": PLAY_INTERVAL_MS, "nodes": _nodes(model),
            "steps": steps, "intro": INTRO}
    return _fill(title, "steps", graph.svg(), data, INTRO)


def iframe(page: str, height: int = 640) -> str:
    """A page inside an iframe (srcdoc), so its ids and script stay apart in a notebook."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;'
            f'height:{height}px;border:1px solid #ddd" sandbox="allow-scripts"></iframe>')
