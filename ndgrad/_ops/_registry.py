"""OpDef and @primitive: one declaration makes the public function, the Tensor method, the
grad_fn node class and the test-table entry of a differentiable op."""
from __future__ import annotations

import functools
import inspect
import re
import sys
from typing import Any, Callable

import numpy as np

from .. import _out
from .._tensor import Tensor
from ..autograd.grad_mode import STATE, mark_inference as _mark_inference
from ..autograd import anomaly as _anomaly
from ..autograd import saved_hooks as _saved_hooks
from ..autograd.forward_ad import LEVELS as _FORWARD_AD
from ..autograd.anomaly import STATE as _ANOMALY
from ..autograd.graph import Node, next_sequence_nr
from ..autograd.saved_hooks import STACK as _SAVED_HOOKS
from ._codegen import _make_public, with_numpy_names
from ._forward import propagate as _propagate_tangents
from ._views import mark_views as _mark_views
from ._promote import _broadcast_error, holomorphic_vjp, prep_for, real_only
from ._promote import _scalar, result_dtype  # noqa: F401  (re-exported to the op modules)

_PACKED = object()  # marks a saved entry that went through saved_tensors_hooks


class _Table(dict):
    """name -> op or function; a miss first loads the lazily loaded op module that defines the
    name (ndgrad/_ops/__init__.py sets LOAD_FOR), so `PUBLIC["topk"]` works before it is loaded."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def __missing__(self, name: str) -> Any:
        if LOAD_FOR is not None and LOAD_FOR(self.kind, name) and name in self:
            return dict.__getitem__(self, name)
        raise KeyError(name)


LOAD_FOR: Callable[[str, str], bool] | None = None  # (table kind, name) -> loaded a module?
REGISTRY: dict[str, "OpDef"] = _Table("REGISTRY")
PUBLIC: dict[str, Callable] = _Table("PUBLIC")  # ndgrad.<name>
METHODS: dict[str, Callable] = _Table("METHODS")  # Tensor.<name>
INPLACE: list[str] = []  # ops that also get Tensor.<name>_ (bound in _ops/__init__.py)

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward.")


# *** saved values ***
# A VJP's parameters name what it needs: an input by its forward name (saved as the Tensor),
# `result` (the output, saved without a reference cycle), `<input>_shape` / `<input>_dtype`
# (metadata only), `needs_input_grad`; keyword-only parameters receive the op's attributes.

_PKG = __file__.rsplit("/", 2)[0] + "/"


def _caller() -> tuple:
    """(file, line) of the user code that called the op: one frame walk, kept for messages."""
    f = sys._getframe(3)
    while f is not None and (f.f_code.co_filename.startswith(_PKG)
                             or f.f_code.co_filename.startswith("<ndgrad")):
        f = f.f_back
    return (f.f_code.co_filename, f.f_lineno) if f is not None else ("<unknown>", 0)


def _version_error(t: Tensor, version: int, expected: int, fn: Any, node: "OpNode") -> str:
    kind = {"float16": "Half", "float32": "Float", "float64": "Double"}.get(t.dtype.name, "")
    head = f"[torch.{kind}Tensor {list(t._data.shape)}]"
    if fn is not None:
        head += f", which is output {t._output_nr} of {re.sub(r'Backward[0-9]*$', '', fn.name())},"
    msg = (f"one of the variables needed for gradient computation has been modified by an "
           f"inplace operation: {head} is at version {version}; expected version {expected} "
           "instead. Hint: enable anomaly detection to find the operation that failed to compute "
           "its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    saved_at = node._where
    modified_at = t._vc[1] if len(t._vc) > 1 else None
    if saved_at is not None:
        msg += f"\nThe tensor was saved for {node.name()} at {saved_at[0]}:{saved_at[1]}"
        msg += f" and modified in place at {modified_at}." if modified_at else "."
    return msg


class OpNode(Node):
    """A recorded application of an OpDef; `apply` runs its VJP on the saved values."""

    __slots__ = ("_saved", "_attrs", "_keep", "_where")
    _op: "OpDef"

    def apply(self, grads: list) -> tuple:
        op = self._op
        saved = self._saved
        if saved is None:
            raise RuntimeError(_FREED_MSG)
        args = []
        for kind, val in zip(op.save_kinds, saved):
            if kind == 0:
                x, version = val
                if x is _PACKED:
                    args.append(_saved_hooks.unpack(*version))
                    continue
                if version is not None and x._vc[0] != version:
                    raise RuntimeError(_version_error(x, x._vc[0], version, x._grad_fn, self))
                args.append(x)
            elif kind == 1:
                arr, vc, version, nr, live = val
                if arr is _PACKED:
                    args.append(_saved_hooks.unpack(*vc))
                    continue
                if live is not None:  # forward mode: the output itself, with its tangent
                    t = live
                else:
                    floating = arr.dtype.kind in "fc"
                    t = Tensor._make(arr, floating, self if floating else None, nr)
                    t._vc = vc
                if vc[0] != version:
                    raise RuntimeError(_version_error(t, vc[0], version, self, self))
                args.append(t)
            else:
                args.append(val)
        g = grads[0] if op.n_outputs == 1 else _materialize(grads, saved, op)
        if PROFILER is not None:  # the node's backward as one event, its ops nested inside
            out = PROFILER.run(self.name(), op.vjp_fn, (g, *args), self._attrs, node=True)
        else:
            out = op.vjp_fn(g, *args, **self._attrs)
        if type(out) is not tuple:
            out = (out,)
        if self._keep is not None:
            out = tuple(out[i] for i in self._keep)
        if len(out) != len(self.next_functions):  # one gradient per input, in order
            raise RuntimeError(f"the VJP of '{op.name}' returned {len(out)} gradients for "
                               f"{len(self.next_functions)} inputs")
        return out

    def _release(self) -> None:
        if self._op.saves_tensors:
            self._saved = None

    def _rerun(self, inputs: tuple, attrs: dict) -> Any:
        """Run this node's op again on other inputs (gradcheck's diagnosis of a wrong rule)."""
        return call(self._op, inputs, attrs)

    def __getattr__(self, name: str) -> Any:
        # torch's introspection: grad_fn._saved_self, _saved_other, _saved_result, _saved_dim ...
        if name.startswith("_saved_"):
            return _saved_attribute(self, name[7:])
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


def _saved_attribute(node: "OpNode", key: str) -> Any:
    op = node._op
    key = "input" + key[4:] if key.startswith("self") else key
    if key.endswith("_sym_sizes"):
        key = key[:-10] + "_shape"
    for (kind, idx), val in zip(op.save_specs, node._saved or ()):
        name = {"input": op.inputs[idx] if idx is not None else None,
                "result": f"result{idx or ''}" if idx else "result",
                "shape": f"{op.inputs[idx]}_shape" if idx is not None else None,
                "dtype": None, "needs": None}[kind]
        if name == key:
            if kind == "input":
                x = val[0]
                return _saved_hooks.unpack(*val[1]) if x is _PACKED else x
            if kind == "result":
                if val[0] is _PACKED:
                    return _saved_hooks.unpack(*val[1])
                t = Tensor._make(val[0], val[0].dtype.kind in "fc", node, val[3])
                t._vc = val[1]
                return t
            return tuple(val)
    if key in node._attrs:
        return node._attrs[key]
    if node._saved is None and op.saves_tensors:
        raise RuntimeError(_FREED_MSG)
    raise AttributeError(f"'{type(node).__name__}' object has no attribute '_saved_{key}'")


def _materialize(grads: list, saved: Any, op: "OpDef") -> tuple:
    # multi-output ops get zeros for floating outputs that received no gradient
    out_meta = saved[-1]
    return tuple(g if g is not None or meta is None else Tensor._make(np.zeros(*meta))
                 for g, meta in zip(grads, out_meta))


# *** the op declaration ***

class OpDef:
    """One differentiable (or explicitly non-differentiable) primitive."""

    def __init__(self, name: str, forward: Callable, grad_fn: str | Callable, inputs: tuple,
                 promote: str | None, differentiable: bool, n_outputs: int, tests: dict,
                 complex: bool | str = False) -> None:
        self.name = name
        self.forward = forward
        self.grad_fn = grad_fn
        self.inputs = inputs
        self.promote = promote
        self.complex = complex
        # argument preparation: promotion, and for real-only ops torch's refusal of complex input
        prep = prep_for(promote, name)
        self.prep = prep if complex else real_only(prep, name)
        self.differentiable = differentiable
        self.n_outputs = n_outputs
        self.tests = tests
        self.vjp_fn: Callable | None = None
        self.jvp_fn: Callable | None = None
        self.save_specs: tuple = ()
        self.save_kinds: tuple = ()
        self.saves_tensors = False
        self._node_classes: dict[str, type] = {}
        self.public: Callable = _make_public(self, call, call_out)

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.public(*args, **kwargs)

    def node_class(self, name: str) -> type:
        cls = self._node_classes.get(name)
        if cls is None:
            cls = type(name, (OpNode,), {"__slots__": (), "_op": self, "n_outputs": self.n_outputs})
            self._node_classes[name] = cls
        return cls

    def vjp(self, fn: Callable) -> Callable:
        """Register the backward rule, written in ndgrad ops: fn(grad, <saved...>, *, <attrs>)."""
        self.vjp_fn = holomorphic_vjp(fn) if self.complex == "holomorphic" else fn
        specs, kinds = [], []
        params = list(inspect.signature(fn).parameters.values())[1:]
        for p in params:
            if p.kind is p.KEYWORD_ONLY or p.kind is p.VAR_KEYWORD:
                continue
            if p.name == "result" or (p.name[:6] == "result" and p.name[6:].isdigit()):
                specs.append(("result", int(p.name[6:] or 0))); kinds.append(1)  # result1: output 1
            elif p.name == "needs_input_grad":
                specs.append(("needs", None)); kinds.append(2)
            elif p.name in self.inputs:
                specs.append(("input", self.inputs.index(p.name))); kinds.append(0)
            elif p.name.endswith("_shape") and p.name[:-6] in self.inputs:
                specs.append(("shape", self.inputs.index(p.name[:-6]))); kinds.append(2)
            elif p.name.endswith("_dtype") and p.name[:-6] in self.inputs:
                specs.append(("dtype", self.inputs.index(p.name[:-6]))); kinds.append(2)
            else:
                raise TypeError(f"VJP of '{self.name}': parameter '{p.name}' names no input, "
                                "no 'result' and no '<input>_shape'")
        self.save_specs = tuple(specs)
        self.save_kinds = tuple(kinds)
        self.saves_tensors = any(k in (0, 1) for k in kinds)
        return fn

    def jvp(self, fn: Callable) -> Callable:
        """Register the forward-mode rule fn(<input>_t..., <saved...>, *, <attrs>)."""
        self.jvp_fn = fn
        return fn


def primitive(name: str, *, grad_fn: str | Callable | None = None, inputs: tuple | None = None,
              promote: str | None = None, differentiable: bool = True, n_outputs: int = 1,
              export: bool = True, method: bool = True, inplace: bool = False,
              view: bool | Callable = False, save_if: dict | None = None,
              complex: bool | str = False, **tests: Any) -> Callable[[Callable], OpDef]:
    """Declare an op: the decorated function is its forward on NumPy arrays.

    grad_fn: the PyTorch node name, or a function of the attributes returning it.
    inputs: names of the tensor arguments (default: leading parameters without defaults).
    promote: 'binary' (torch type promotion, Python scalars allowed), 'float' (ints become the
    default float dtype), 'same' (any dtype kept), None (tensors passed through as they are).
    export / method: also make it ndgrad.<name> / Tensor.<name> (False for ops that a
    composite wraps); inplace: also Tensor.<name>_.
    view: the outputs share memory and version counter with the first input (torch view ops);
    True, or a function of the attributes (getitem is a view only for basic indexing).
    save_if: {saved input: (inputs whose gradient needs it)}: save it only when one of those
    requires grad, as torch does (x * w saves x only if w requires grad).
    complex: False (real-only: complex input raises torch's error), True (complex input accepted;
    the VJP is written for torch's convention or is linear with real coefficients), or
    'holomorphic' (the VJP is written as for real input, g * f'(z); ndgrad applies it as
    conj(vjp(conj(g))) = g * conj(f'(z)) when the gradient is complex).
    tests: samples / domain / tolerances / skips for the op test table.
    """

    def deco(forward: Callable) -> OpDef:
        if name in REGISTRY:
            raise ValueError(f"op '{name}' is declared twice")
        sig = inspect.signature(forward)
        names = inputs
        if names is None:
            names = tuple(p.name for p in sig.parameters.values()
                          if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD)
        op = OpDef(name, forward, grad_fn or "", tuple(names), promote, differentiable,
                   n_outputs, tests, complex)
        op.view = view
        op.save_if = {names.index(k): tuple(names.index(v) for v in vs)
                      for k, vs in (save_if or {}).items()}
        if differentiable and not grad_fn:
            raise ValueError(f"differentiable op '{name}' needs grad_fn=")
        REGISTRY[name] = op
        if export:
            PUBLIC[name] = op.public
            if method:
                METHODS[name] = op.public
            if inplace:
                INPLACE.append(name)
        return op

    return deco


COMPOSITE_TESTS: dict[str, dict] = {}  # test-table entries of composites, by public name


def composite(name: str, *, method: bool = True, export: bool = True, inplace: bool = False,
              **tests: Any) -> Callable:
    """Register a function written with public ops (no rule of its own) as ndgrad.<name> and,
    if method, Tensor.<name> (inplace: Tensor.<name>_ too); tests: its op-table entry."""

    def deco(fn: Callable) -> Callable:
        fn = _vmap_guard(name, fn)
        if export:
            PUBLIC[name] = fn
        if method:
            METHODS[name] = fn
        if inplace:
            INPLACE.append(name)
        if tests:
            COMPOSITE_TESTS[name] = dict(tests, fn=fn)
        return fn

    return deco


_out.GRAD_MODE = STATE  # out= refuses to run in grad mode when an argument requires grad

# *** the profiler (ndgrad.autograd.profiler) sets this while it records; None costs one read ***
PROFILER: Any = None  # .enter(name, inputs) -> event, .exit(event), .run(name, fn, args, kwargs)

# *** vmap: ndgrad.func._vmap sets these while a vmap runs (None costs one global read) ***
VMAP_DISPATCH: Callable | None = None  # (op, inputs, attrs) -> result, or NotImplemented
VMAP_COMPOSITE: Callable | None = None  # (name, fn, args, kwargs) -> result
# *** ndgrad.viz.record() sets this to capture every new node's creating file:line ***
SOURCE_HOOK: Callable | None = None  # (node) -> None


def _vmap_guard(name: str, fn: Callable) -> Callable:
    fn = with_numpy_names(fn)

    @functools.wraps(fn)
    def composite_fn(*args: Any, **kwargs: Any) -> Any:
        if VMAP_COMPOSITE is None:
            if PROFILER is None:
                return fn(*args, **kwargs)
            return PROFILER.run(name, fn, args, kwargs)
        return VMAP_COMPOSITE(name, fn, args, kwargs)

    if name not in _out.OUT_OPS or getattr(fn, "_handles_out", False):
        return composite_fn

    @functools.wraps(fn)
    def composite_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return composite_fn(*args, **kwargs)
        _out.check_grad(name, (*args, *kwargs.values()), out)
        return _out.write(name, composite_fn(*args, **kwargs), out)

    return composite_out


# *** calling an op (promotion lives in _promote.py) ***

def call(op: OpDef, inputs: tuple, attrs: dict) -> Any:
    """Run op's forward on the inputs' arrays and, if any input requires grad, record a node."""
    if VMAP_DISPATCH is not None:
        out = VMAP_DISPATCH(op, inputs, attrs)
        if out is not NotImplemented:
            return out
    prof = PROFILER
    if prof is not None:
        event = prof.enter(op.name, inputs)
    inputs, arrays = op.prep(inputs, attrs)
    try:
        out = op.forward(*arrays, **attrs)
    except ValueError as e:
        shapes = [np.shape(a) for a in arrays if a is not None]
        raise RuntimeError(_broadcast_error(shapes) or f"{op.name}: {e}") from None
    result = None
    if STATE.enabled and op.differentiable:
        for x in inputs:
            if isinstance(x, Tensor) and x._requires_grad:
                result = _record(op, inputs, attrs, out)
                break
    if result is None:
        if op.n_outputs == 1:
            result = Tensor._make(out if type(out) is np.ndarray else np.asarray(out))
        else:
            result = tuple(Tensor._make(o if type(o) is np.ndarray else np.asarray(o))
                           for o in out)
    if op.view and (op.view is True or op.view(**attrs)):
        _mark_views(op, inputs[0], attrs, result)
    elif STATE.inference:
        _mark_inference(result)
    if _FORWARD_AD.stack:
        _propagate_tangents(op, inputs, attrs, result)
    if prof is not None:
        prof.exit(event)
    return result


def call_out(op: OpDef, inputs: tuple, attrs: dict, out: Any) -> Any:
    """An op called with out=: computed as usual, then written into out (never recorded)."""
    _out.check_grad(op.name, inputs, out)
    return _out.write(op.name, call(op, inputs, attrs), out)


def _record(op: OpDef, inputs: tuple, attrs: dict, out: Any) -> Any:
    gf = op.grad_fn
    name = gf if type(gf) is str else gf(**attrs)
    node = object.__new__(op._node_classes.get(name) or op.node_class(name))
    node._seq = next_sequence_nr()
    node._hooks = None
    node._attrs = attrs
    edges, meta, req = [], [], []  # req: does input i require grad (the VJP's needs_input_grad)
    keep = None
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor):
            if x._requires_grad:
                view = x._view
                if view is not None and view.version != x._vc[0]:
                    x._sync_view()  # written since its grad_fn was set: a fresh one
                fn = x._grad_fn  # a no_grad view of a base that requires grad gets no edge
                edges.append((fn, x._output_nr) if fn is not None else _NO_EDGE if (
                    view is not None and view.base._requires_grad) else (x._get_accumulator(), 0))
                d = x._data
                meta.append((d.shape, d.dtype))
                req.append(True)
            else:
                edges.append(_NO_EDGE)
                meta.append(None)
                req.append(False)
        elif x is not None:  # torch gives wrapped Python numbers an empty edge, None nothing
            edges.append(_NO_EDGE)
            meta.append(None)
            req.append(False)
        else:
            req.append(False)
            if keep is None:
                keep = list(range(i))
            continue
        if keep is not None:
            keep.append(i)
    node._keep = keep
    node.next_functions = tuple(edges)
    node._meta = tuple(meta)
    if op.n_outputs == 1:
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        if out.dtype.kind in "fc":
            result = Tensor._make(out, True, node)
        else:
            result = Tensor._make(out)
        results = (result,)
    else:
        outs = [o if type(o) is np.ndarray else np.asarray(o) for o in out]
        results = tuple(Tensor._make(o, True, node, i) if o.dtype.kind in "fc"
                        else Tensor._make(o) for i, o in enumerate(outs))
        result = results
    saved = []
    hooked = _SAVED_HOOKS.hooks
    save_if = op.save_if
    any_tensor = False  # only then is the save location worth capturing
    for kind, idx in op.save_specs:
        if kind == "input":
            x = inputs[idx]
            if not req[idx] and not isinstance(x, Tensor):
                saved.append((x, None))
                continue
            if save_if and idx in save_if and not any([req[j] for j in save_if[idx]]):
                saved.append((None, None))  # no gradient that reads it will be computed
            elif hooked:
                saved.append((_PACKED, _saved_hooks.pack(x)))
            else:
                saved.append((x, x._vc[0]))
                any_tensor = True
        elif kind == "result":
            r = results[idx]
            any_tensor = True
            if hooked:
                saved.append((_PACKED, _saved_hooks.pack(r), None, idx, None))
            else:  # the output object is kept only in forward mode (it carries the tangent)
                saved.append((r._data, r._vc, r._vc[0], idx, r if _FORWARD_AD.stack else None))
        elif kind == "shape":
            saved.append(inputs[idx]._data.shape)
        elif kind == "dtype":
            saved.append(inputs[idx].dtype)
        else:  # one flag per forward input (None included), as the VJP returns grads
            saved.append(tuple(req))
    if op.n_outputs != 1:
        saved.append(tuple((r._data.shape, r._data.dtype) if r._data.dtype.kind in "fc" else None
                           for r in results))
    node._saved = tuple(saved)
    node._where = _caller() if any_tensor else None
    if SOURCE_HOOK is not None:  # viz: only while ndgrad.viz records
        SOURCE_HOOK(node)
    if _ANOMALY.enabled or _ANOMALY.keep_inputs:
        _anomaly.on_record(node, inputs, attrs)
    return result


_NO_EDGE = (None, 0)

