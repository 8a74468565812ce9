"""explain(loss) and record(): watch the engine run backward and keep one row per node, in the
engine's real order, with where the node was created, its rule, shapes, gradient norms and notes."""
from __future__ import annotations

import json
import math
import sys
import weakref
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import engine
from ..autograd.function import BackwardCFunction
from ..autograd.graph import AccumulateGrad
from . import _graph, _rules, _sources, _table
from ._files import write_atomic

_ACTIVE: list["record"] = []


def _dispatch(node: Any, grads: list, outs: Any) -> None:
    for rec in list(_ACTIVE):
        rec._observe(node, grads, outs)


def _norm_and_flags(g: Any) -> tuple[float | None, set]:
    if g is None:
        return None, set()
    arr = np.asarray(g._data)
    if arr.dtype.kind not in "fc":
        return None, set()
    with np.errstate(over="ignore", invalid="ignore"):
        norm = float(np.linalg.norm(arr.astype(np.float64, copy=False).ravel()))
    flags = set()
    if not math.isfinite(norm):
        if np.isnan(arr).any():
            flags.add("nan")
        if np.isinf(arr).any():
            flags.add("inf")
    elif norm == 0.0 and arr.size:
        flags.add("zero")
    return norm, flags


class _Step:
    """What the engine showed for one node; turned into a readable row on demand."""

    __slots__ = ("node", "var", "grad_in", "shapes_in", "grad_out", "received", "flags",
                 "grad_after", "env")

    def __init__(self, node: Any, grads: list, outs: Any, received: int) -> None:
        self.node = node
        self.var = None
        pairs = [_norm_and_flags(g) for g in grads]
        self.grad_in = [p[0] for p in pairs]
        self.shapes_in = [tuple(g._data.shape) if g is not None else None for g in grads]
        self.flags = set().union(*(p[1] for p in pairs)) if pairs else set()
        outs = list(outs) if outs else []
        out_pairs = [_norm_and_flags(g) for g in outs]
        self.grad_out = [p[0] for p in out_pairs]
        for p in out_pairs:
            self.flags |= p[1]
        self.received = received
        self.env = _rules.capture(node)  # before backward frees what the node saved
        self.grad_after = None
        if type(node) is AccumulateGrad:
            var = node.variable
            if var is not None:
                self.var = weakref.ref(var)
                self.grad_after = _norm_and_flags(var._grad)[0]


class Trace:
    """One backward pass as the engine ran it: `rows` (dicts), `str()` a table (summarised for
    big graphs), `to_json()`, `to_html(path)` (a step-through page), `graph()` (make_dot).

    Example::
        >>> x = ndgrad.ones(3, requires_grad=True)
        >>> trace = explain((x * 2).sum())
        >>> [row["node"] for row in trace.rows]
        ['SumBackward0', 'MulBackward0', 'AccumulateGrad']
    """

    def __init__(self) -> None:
        self.steps: list[_Step] = []
        self.outputs: list[Tensor] = []
        self.names: dict[int, str] = {}  # id(leaf tensor) -> name
        self._received: dict[Any, int] = {}
        self._rows: list[dict] | None = None

    # *** recording ***

    def _observe(self, node: Any, grads: list, outs: Any) -> None:
        received = self._received.pop(node, 0)
        self.steps.append(_Step(node, grads, outs, received))
        for (child, _), g in zip(node.next_functions, outs or ()):
            if child is not None and g is not None:
                self._received[child] = self._received.get(child, 0) + 1
        self._rows = None

    @property
    def roots(self) -> list[tuple[Any, tuple | None]]:
        """(node, output shape) where backward started: nodes fed by the seed gradient only."""
        return [(s.node, s.shapes_in[0] if s.shapes_in else None) for s in self.steps
                if s.received == 0]

    # *** rows ***

    def leaf_name(self, var: Any) -> str:
        return self.names.get(id(var), "") if var is not None else ""

    @property
    def rows(self) -> list[dict]:
        if self._rows is None:
            self._rows = [self._row(i, s) for i, s in enumerate(self.steps)]
        return self._rows

    def _row(self, i: int, s: _Step) -> dict:
        node = s.node
        var = s.var() if s.var is not None else None
        name = self.leaf_name(var)
        where, code = _sources.describe(node)
        rule, _ = _rules.rule(node, name or "leaf", s.env)
        op = getattr(type(node), "_op", None)
        kind = ("accumulate" if type(node) is AccumulateGrad else
                "custom" if isinstance(node, BackwardCFunction) else "op")
        if var is not None:
            inputs = [tuple(var.shape)]
        else:
            inputs = [tuple(m[0]) if m is not None else None for m in (node._meta or ())]
        to = [{"node": type(child).__name__, "slot": k, "norm": s.grad_out[k]
               if k < len(s.grad_out) else None}
              for k, (child, _) in enumerate(node.next_functions) if child is not None]
        return {
            "step": i + 1, "node": type(node).__name__, "op": op.name if op is not None else "",
            "kind": kind, "where": where, "code": code, "module": self._module(node, name),
            "leaf": name if kind == "accumulate" else "",
            "input_shapes": [list(x) if x is not None else None for x in inputs],
            "output_shapes": [list(x) if x is not None else None for x in s.shapes_in],
            "rule": rule, "grad_in": list(s.grad_in), "grad_out": [t["norm"] for t in to],
            "to": to, "notes": _notes(s, node, name, op, inputs), "flags": sorted(s.flags),
        }

    def _module(self, node: Any, leaf: str) -> str:
        mods = _sources.modules_of(node)
        if mods:
            names = _sources.module_names([mods[0]])
            inner = mods[-1]
            qual = names.get(id(inner), "")
            return f"{qual} ({type(inner).__name__})" if qual != type(inner).__name__ else qual
        if leaf and "." in leaf:
            return leaf.rsplit(".", 1)[0]
        return ""

    # *** output ***

    def __len__(self) -> int:
        return len(self.steps)

    def __str__(self) -> str:
        return _table.render(self)

    def table(self, max_rows: int | None = None) -> str:
        """The table; max_rows=None prints every row, else big traces are summarised."""
        return _table.render(self, max_rows=max_rows if max_rows is not None else 10 ** 9)

    def __repr__(self) -> str:
        return f"<ndgrad.viz.Trace: {len(self.steps)} nodes>"

    def to_dict(self) -> dict:
        return {"format": "ndgrad.viz.trace/1",
                "outputs": [{"shape": list(t.shape), "dtype": str(t.dtype)} for t in self.outputs],
                "rows": [_jsonable(r) for r in self.rows]}

    def to_json(self, path: str | None = None, indent: int | None = 1) -> str:
        """The trace as JSON (non-finite norms as the strings "nan", "inf", "-inf"); written
        atomically to path when given."""
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            write_atomic(path, text + "\n")
        return text

    def graph(self, **kwargs: Any) -> Any:
        """make_dot of the graph this backward walked."""
        from .dot import Graph

        rankdir = kwargs.pop("rankdir", "TB")
        return Graph(self._model(**kwargs), rankdir)

    def _model(self, **kwargs: Any) -> Any:
        named = self._named_leaves() + [(t, self.names[id(t)]) for t in self.outputs
                                         if id(t) in self.names]
        kwargs.setdefault("params", {n: t for t, n in named})
        if self.outputs:
            return _graph.build(self.outputs, **kwargs)
        roots = [(node, shape, "output") for node, shape in self.roots]
        return _graph.build([], roots=roots, **kwargs)

    def _named_leaves(self) -> list[tuple[Tensor, str]]:
        out = []
        for s in self.steps:
            var = s.var() if s.var is not None else None
            if var is not None and self.leaf_name(var):
                out.append((var, self.leaf_name(var)))
        return out

    def to_html(self, path: str | None = None, title: str = "backward, step by step",
                **kwargs: Any) -> str:
        """A self-contained step-through page (inline SVG, CSS, JS); written atomically to path
        when given. Returns the HTML text."""
        from .page import step_page

        html = step_page(self, title, **kwargs)
        if path is not None:
            write_atomic(path, html)
        return html

    def _repr_html_(self) -> str:
        from .page import iframe

        return iframe(self.to_html())


def _notes(s: _Step, node: Any, leaf: str, op: Any, inputs: list) -> list[str]:
    notes = []
    if s.received >= 2:
        notes.append(f"accumulates {s.received} incoming gradients (summed before it runs)")
    if type(node) is AccumulateGrad:
        name = leaf or "the leaf"
        notes.append(f"\u2192 {name}.grad (accumulated, not overwritten)")
        g_in = s.grad_in[0] if s.grad_in else None
        if (g_in is not None and s.grad_after is not None and math.isfinite(g_in)
                and not math.isclose(g_in, s.grad_after, rel_tol=1e-6, abs_tol=1e-12)):
            notes.append(f"added to the {name}.grad already there (zero_grad() starts afresh)")
    out_shape = s.shapes_in[0] if s.shapes_in else None
    broadcasting = op is not None and (op.promote == "binary" or op.name == "expand")
    if broadcasting and out_shape is not None:
        names = op.inputs if len(op.inputs) == len(node.next_functions) else None
        for k, shape in enumerate(inputs):
            if shape is None or tuple(shape) == tuple(out_shape):
                continue
            lead = len(out_shape) - len(shape)
            dims = list(range(lead)) + [lead + j for j, d in enumerate(shape)
                                        if d == 1 and out_shape[lead + j] != 1]
            if dims:
                who = names[k] if names else f"input {k}"
                word = "dim" if len(dims) == 1 else "dims"
                notes.append(f"broadcast: gradient for {who} summed over {word} "
                             f"{', '.join(map(str, dims))} to shape "
                             f"{_graph.size_to_str(shape)}")
    skipped = [k for k, (child, _) in enumerate(node.next_functions) if child is None]
    if skipped and type(node) is not AccumulateGrad:
        which = ", ".join(str(k) for k in skipped)
        notes.append(f"no gradient computed for input {which} (does not require grad)")
    if "zero" in s.flags:
        notes.append("a gradient here is all zeros")
    if "nan" in s.flags:
        notes.append("NaN in a gradient")
    if "inf" in s.flags:
        notes.append("Inf in a gradient")
    return notes


def _tensors_of(frame: Any) -> list[Tensor]:
    """The tensors a frame holds in local variables (to find where a backward started)."""
    if frame is None:
        return []
    return [v for k, v in frame.f_locals.items() if isinstance(v, Tensor) and not
            k.startswith("_")]


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


class record:
    """Record every backward() run inside the block, and the file:line of every node created in
    it: `rec.traces` (one Trace per backward pass), `rec.trace` (the last one).

    Example::
        >>> with record() as rec:
        ...     x = ndgrad.ones(2, requires_grad=True)
        ...     (x.exp() * x).sum().backward()
        >>> rec.trace.rows[0]["node"], rec.trace.rows[0]["where"] != ""
        ('SumBackward0', True)
    """

    def __init__(self, keep: str = "all", params: dict | None = None) -> None:
        if keep not in ("all", "last"):
            raise ValueError(f"keep must be 'all' or 'last', not {keep!r}")
        self.keep = keep
        self.traces: list[Trace] = []
        self._by_task: dict[int, tuple[Any, Trace]] = {}
        self._params = {id(v): k for k, v in params.items()} if params is not None else None
        self._sources = _sources.capturing()
        self._frame: Any = None

    def __enter__(self) -> "record":
        self._frame = sys._getframe(1)
        self._sources.__enter__()
        _ACTIVE.append(self)
        engine.OBSERVER = _dispatch
        return self

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.remove(self)
        if not _ACTIVE:
            engine.OBSERVER = None
        self._sources.__exit__()
        names = self._params if self._params is not None else _graph.caller_names(self._frame)
        outputs = _tensors_of(self._frame)
        for t in self.traces:
            for k, v in names.items():
                t.names.setdefault(k, v)
            roots = {id(node) for node, _ in t.roots}
            t.outputs = [x for x in outputs if x.grad_fn is not None and id(x.grad_fn) in roots]
            t._rows = None
        self._frame = None

    @property
    def trace(self) -> Trace:
        if not self.traces:
            raise RuntimeError("record(): no backward() ran inside the block, so there is "
                               "nothing to explain")
        return self.traces[-1]

    def _observe(self, node: Any, grads: list, outs: Any) -> None:
        task = engine.current_task()
        got = self._by_task.get(id(task))
        if got is None or got[0]() is not task:
            trace = Trace()
            if self._params:
                trace.names.update(self._params)
            got = (weakref.ref(task), trace)
            self._by_task = {k: v for k, v in self._by_task.items() if v[0]() is not None}
            self._by_task[id(task)] = got
            if self.keep == "last":
                self.traces.clear()
            self.traces.append(trace)
        got[1]._observe(node, grads, outs)


def explain(tensor: Any, gradient: Any = None, retain_graph: bool | None = None,
            create_graph: bool = False, inputs: Any = None, *,
            params: dict | None = None) -> Trace:
    """Run `tensor.backward(...)` while recording and return its Trace: one row per node in the
    engine's order with the op, where it was created, shapes, its rule, gradient norms and notes.

    Source lines are known for every node built inside `with ndgrad.viz.record():` (or under
    anomaly mode); otherwise for the nodes that saved tensors. Leaves are named from `params`
    or from the caller's variables.

    Example::
        >>> w = ndgrad.ones(3, requires_grad=True)
        >>> print(explain((w * w).sum()).rows[-1]["notes"][-1])
        → w.grad (accumulated, not overwritten)
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"explain() expects an ndgrad Tensor with a grad_fn (e.g. a loss), but "
                        f"got {type(tensor).__module__}.{type(tensor).__qualname__}")
    if tensor.grad_fn is None and not tensor.requires_grad:
        raise RuntimeError(
            f"explain(): the tensor passed (shape {_graph.size_to_str(tensor.shape)}, "
            f"{tensor.dtype}) does not require grad and does not have a grad_fn, so backward() "
            "has nothing to do. Compute it from tensors created with requires_grad=True, "
            "outside no_grad().")
    names = ({id(v): k for k, v in params.items()} if params is not None
             else _graph.caller_names(sys._getframe(1)))
    with record(params={}) as rec:  # names come from explain's caller, not from here
        tensor.backward(gradient, retain_graph, create_graph, inputs)
    if not rec.traces:
        raise RuntimeError("explain(): backward() ran no node")
    trace = rec.traces[0]
    trace.outputs = [tensor]
    trace.names.update(names)
    trace._rows = None
    return trace
