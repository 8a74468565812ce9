"""What make_dot draws: torchviz's nodes and edges read from grad_fn / next_functions, walked
iteratively, cut at max_nodes, with names, shapes, saved values, source lines and gradients."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.function import BackwardCFunction
from ..autograd.graph import AccumulateGrad
from ..nn.modules.module import Module
from . import _sources

SAVED_PREFIX = "_saved_"
FREED = "[freed by backward]"

# torchviz's colours (Graphviz's X11 names), and their hex values for the SVG
KINDS = {  # kind: (DOT colour, hex, legend text)
    "output": ("darkolivegreen1", "#caff70", "output tensor"),
    "op": ("lightgrey", "#d3d3d3", "backward node (grad_fn)"),
    "leaf": ("lightblue", "#add8e6", "leaf tensor: backward fills its .grad"),
    "saved": ("orange", "#ffa500", "tensor saved for backward"),
    "base": ("darkolivegreen3", "#a2cd5a", "base of an output that is a view"),
    "more": ("white", "#ffffff", "graph cut at max_nodes"),
}


@dataclass
class GNode:
    id: str
    kind: str  # output | op | accumulate | leaf | saved | base | more
    name: str  # grad_fn class name, or the tensor's role
    lines: list[str]
    shape: str = ""
    source: str = ""  # file:line where the node was created
    code: str = ""  # that line's text
    grad_norm: float | None = None
    tooltip: str = ""
    ref: Any = None  # the grad_fn Node or Tensor (kept alive while the graph is built)

    @property
    def fill_kind(self) -> str:
        return "op" if self.kind == "accumulate" else self.kind


@dataclass
class GEdge:
    src: str
    dst: str
    style: str = "solid"  # solid | dotted (view of a base) | saved (no arrow)
    slot: int = -1  # index in dst's next_functions (gradient flows dst -> src through it)


@dataclass
class GraphModel:
    nodes: list[GNode] = field(default_factory=list)
    edges: list[GEdge] = field(default_factory=list)
    by_obj: dict[int, str] = field(default_factory=dict)  # id(Node or Tensor) -> node id
    truncated: bool = False
    max_nodes: int = 0

    def node(self, gid: str) -> GNode:
        return self.nodes[int(gid[1:])]


def size_to_str(shape: Any) -> str:
    return "(" + ", ".join("%d" % v for v in shape) + ")"


def format_norm(v: float | None) -> str:
    if v is None:
        return "-"
    if math.isnan(v) or math.isinf(v):
        return str(v)
    return f"{v:.4g}"


def tensor_norm(t: Any) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.linalg.norm(np.asarray(t._data, dtype=np.float64).ravel()))


def caller_names(frame: Any) -> dict[int, str]:
    """id(tensor) -> variable name, read from a frame's locals and globals (modules give their
    named parameters), so leaves are labelled the way the user wrote them. (Before Python 3.13,
    reading a function frame's locals leaves a snapshot on the frame until its next read, as
    `locals()` does; pass `params` to avoid it.)"""
    if frame is None:
        return {}
    return names_in(frame.f_locals, frame.f_globals)


def names_in(*scopes: dict) -> dict[int, str]:
    """id(tensor) -> name for the tensors (and modules' parameters) bound in the scopes."""
    names: dict[int, str] = {}
    for scope in scopes:
        for key, value in list(scope.items()):
            if key.startswith("_"):
                continue
            if isinstance(value, Tensor):
                names.setdefault(id(value), key)
            elif isinstance(value, Module):
                for pname, p in value.named_parameters():
                    names.setdefault(id(p), f"{key}.{pname}")
    return names


def saved_values(fn: Any) -> list[tuple[str, Any]]:
    """(name, value) of what a node saved, as torch's `_saved_*` attributes; FREED after a
    backward that freed them (never raises)."""
    out: list[tuple[str, Any]] = []
    op = getattr(type(fn), "_op", None)
    if op is not None:
        for kind, idx in op.save_specs:
            if kind == "input":
                name = op.inputs[idx]
                name = "self" if name == "input" else name
            elif kind == "result":
                name = f"result{idx}" if idx else "result"
            elif kind == "shape":
                base = op.inputs[idx]
                name = ("self" if base == "input" else base) + "_sym_sizes"
            else:
                continue
            try:
                value = getattr(fn, SAVED_PREFIX + name)
            except RuntimeError:
                value = FREED
            except AttributeError:
                continue
            if value is not None:
                out.append((name, value))
        for key, value in (getattr(fn, "_attrs", None) or {}).items():
            out.append((key, value))
    return out


def _custom_saved(fn: Any) -> list[Any]:
    try:
        return list(fn.saved_tensors)
    except RuntimeError:
        return [FREED]


def _fn_label(fn: Any, show_attrs: bool, max_attr_chars: int) -> list[str]:
    """torchviz's get_fn_name: the class name, then a two-column table of saved attributes."""
    name = type(fn).__name__
    if not show_attrs:
        return [name]
    attrs: dict[str, str] = {}
    for key, val in saved_values(fn):
        if isinstance(val, Tensor):
            attrs[key] = "[saved tensor]"
        elif isinstance(val, tuple) and any(isinstance(t, Tensor) for t in val):
            attrs[key] = "[saved tensors]"
        else:
            attrs[key] = str(val)
    if not attrs:
        return [name]
    max_attr_chars = max(max_attr_chars, 3)
    col1 = max(len(k) for k in attrs)
    col2 = min(max(len(v) for v in attrs.values()), max_attr_chars)

    def truncate(s: str) -> str:
        return s[:col2 - 3] + "..." if len(s) > col2 else s

    sep = "-" * max(col1 + col2 + 2, len(name))
    return [name, sep] + [f"{k:<{col1}}: {truncate(v):>{col2}}" for k, v in attrs.items()]


class _Builder:
    def __init__(self, params: dict | None, show_attrs: bool, show_saved: bool,
                 show_grads: bool, max_attr_chars: int, max_nodes: int, frame: Any) -> None:
        if params is not None:
            bad = [k for k, v in params.items() if not isinstance(v, Tensor)]
            if bad:
                raise TypeError(f"make_dot: params must map names to tensors; {bad[0]!r} maps to "
                                f"{type(params[bad[0]]).__name__}")
            self.names = {id(v): k for k, v in params.items()}
        else:
            self.names = caller_names(frame)
        self.show_attrs, self.show_saved, self.show_grads = show_attrs, show_saved, show_grads
        self.max_attr_chars = max_attr_chars
        self.g = GraphModel(max_nodes=max_nodes)
        self.more: str | None = None

    def full(self) -> bool:
        return len(self.g.nodes) >= self.g.max_nodes

    def add(self, kind: str, name: str, lines: list[str], ref: Any = None, **kw: Any) -> str:
        gid = f"n{len(self.g.nodes)}"
        self.g.nodes.append(GNode(gid, kind, name, lines, ref=ref, **kw))
        if ref is not None:
            self.g.by_obj[id(ref)] = gid
        return gid

    def more_node(self) -> str:
        if self.more is None:
            self.g.truncated = True
            self.more = self.add("more", "more", ["... more nodes", f"(cut at max_nodes="
                                                  f"{self.g.max_nodes})"],
                                 tooltip="The graph is larger than max_nodes; pass a larger "
                                         "max_nodes to make_dot to draw more of it.")
        return self.more

    def tensor(self, var: Any, kind: str, name: str = "") -> str:
        gid = self.g.by_obj.get(id(var))
        if gid is not None:
            return gid
        name = name or self.names.get(id(var), "")
        shape = size_to_str(var.shape)
        lines = ([name] if name else []) + [shape]
        norm = None
        tip = [f"{name or kind + ' tensor'}: shape {shape}, {var.dtype}"]
        if self.show_grads and kind in ("leaf", "output") and var._grad is not None:
            norm = tensor_norm(var._grad)
            lines.append(f"|grad| {format_norm(norm)}")
            tip.append(f".grad norm {format_norm(norm)}")
        if kind == "leaf":
            tip.append("a leaf that requires grad: backward accumulates into its .grad")
        return self.add(kind, name or kind, lines, var, shape=shape, grad_norm=norm,
                        tooltip="\n".join(tip))

    def saved_node(self, fn_id: str, name: str, value: Any) -> None:
        if self.full():
            return
        if value is FREED:
            gid = self.add("saved", name, [name, "freed"], None, shape="freed",
                           tooltip=f"{name}: saved for backward, then freed by backward() "
                                   "(retain_graph=True keeps them)")
        else:
            shape = size_to_str(value.shape)
            gid = self.add("saved", name, [name, shape, str(value.dtype).replace("torch.", "")],
                           None, shape=shape,
                           tooltip=f"{name}: saved for backward, shape {shape}, {value.dtype}")
        self.g.edges.append(GEdge(fn_id, gid, "saved"))

    def fn_node(self, fn: Any) -> str:
        where, code = _sources.describe(fn)
        meta = getattr(fn, "_meta", ()) or ()
        shapes = ", ".join(size_to_str(m[0]) for m in meta if m is not None)
        tip = [type(fn).__name__]
        if where:
            tip.append(f"created at {where}" + (f": {code}" if code else ""))
        if shapes:
            tip.append(f"inputs that need grad: {shapes}")
        kind = "accumulate" if type(fn) is AccumulateGrad else "op"
        return self.add(kind, type(fn).__name__, _fn_label(fn, self.show_attrs,
                                                           self.max_attr_chars),
                        fn, shape=shapes, source=where, code=code, tooltip="\n".join(tip))

    def walk(self, root: Any) -> None:
        """torchviz's add_nodes, as an explicit stack (a 1,000,000-node chain is fine)."""
        stack = [root]
        while stack:
            fn = stack.pop()
            if id(fn) in self.g.by_obj:
                continue
            if self.full():
                continue
            fn_id = self.fn_node(fn)
            if self.show_saved and getattr(type(fn), "_op", None) is not None:
                values = saved_values(fn)
                if any(val is FREED for _, val in values):  # which ones were None is gone too
                    values = [("saved tensors", FREED)]
                for name, val in values:
                    if val is FREED or isinstance(val, Tensor):
                        self.saved_node(fn_id, name, val)
                    elif isinstance(val, tuple):
                        for i, t in enumerate(val):
                            if isinstance(t, Tensor):
                                self.saved_node(fn_id, f"{name}[{i}]", t)
            if isinstance(fn, BackwardCFunction):  # custom Functions: always, as torchviz
                for i, t in enumerate(_custom_saved(fn)):
                    if t is FREED or isinstance(t, Tensor):
                        self.saved_node(fn_id, f"saved_tensors[{i}]", t)
            if type(fn) is AccumulateGrad:
                var = fn.variable
                if var is not None and not self.full():
                    self.g.edges.append(GEdge(self.tensor(var, "leaf"), fn_id, slot=0))
            children = []
            for slot, (child, _) in enumerate(fn.next_functions):
                if child is None:
                    continue
                children.append((slot, child))
            for slot, child in children:
                self.g.edges.append(GEdge(_Pending(child), fn_id, slot=slot))
            stack.extend(child for _, child in reversed(children))

    def resolve(self) -> None:
        """Edges were added before their child nodes existed: point them at the ids (or at the
        summary node when the child fell beyond max_nodes)."""
        for e in self.g.edges:
            if isinstance(e.src, _Pending):
                gid = self.g.by_obj.get(id(e.src.obj))
                e.src = gid if gid is not None else self.more_node()

    def output(self, var: Any, base_kind: str = "output") -> None:
        stack = [(var, base_kind)]
        while stack:
            v, kind = stack.pop()
            if id(v) in self.g.by_obj or self.full():
                continue
            vid = self.tensor(v, kind)
            if v.grad_fn is not None:
                self.walk(v.grad_fn)
                fid = self.g.by_obj.get(id(v.grad_fn))
                self.g.edges.append(GEdge(fid if fid is not None else self.more_node(), vid))
            if v._is_view() and v._base is not None:
                base = v._base
                stack.append((base, "base"))
                self.g.edges.append(GEdge(_Pending(base), vid, "dotted"))

    def output_node(self, fn: Any, shape: tuple | None, name: str) -> None:
        """A root given as a node (a recorded backward): an output box of the given shape."""
        label = [name] + ([size_to_str(shape)] if shape is not None else [])
        vid = self.add("output", name, label, None,
                       shape=size_to_str(shape) if shape is not None else "",
                       tooltip=f"{name}: where backward started")
        self.walk(fn)
        fid = self.g.by_obj.get(id(fn))
        self.g.edges.append(GEdge(fid if fid is not None else self.more_node(), vid))


class _Pending:
    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def build(outputs: list, params: dict | None = None, show_attrs: bool = False,
          show_saved: bool = False, show_grads: bool = True, max_attr_chars: int = 50,
          max_nodes: int = 1000, frame: Any = None,
          roots: list | None = None) -> GraphModel:
    """The graph of output tensors (and of (node, shape, name) roots of a recorded backward)."""
    b = _Builder(params, show_attrs, show_saved, show_grads, max_attr_chars, max(max_nodes, 2),
                 frame)
    for v in outputs:
        b.output(v)
    for fn, shape, name in roots or ():
        b.output_node(fn, shape, name)
    b.resolve()
    for n in b.g.nodes:  # the graph holds no references once built
        n.ref = None
    return b.g
