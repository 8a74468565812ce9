"""vmap's machinery: BatchedTensor (one sample's view of a physical tensor whose dim 0 is the
batch), the dispatcher the op registry calls while a vmap runs, per-sample loops, randomness."""
from __future__ import annotations

import copy
import functools
import math
import warnings
import weakref
from typing import Any, Callable

import numpy as np

from .. import _random
from .._dtype import SCALAR_TYPE_NAMES
from .._ops import _registry as _reg
from .._tensor import Size, Tensor
from ..autograd import forward_ad
from ..autograd.grad_mode import STATE
from . import _Depth
from . import _batching as _rules
from . import _batching_nn  # noqa: F401  (registers the nn rules)
from . import _batching_ops  # noqa: F401  (registers the rules of the ops branch's ops)

_RANDOM_ERR = ("vmap: called random operation while in randomness error mode. Please either use "
               "the 'same' or 'different' randomness flags on vmap or perform the randomness "
               "operation out of vmap")
_ITEM_ERR = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over "
             "calling .item() on a Tensor, please try to rewrite what you're doing with other "
             "operations. If error is occurring somewhere inside PyTorch internals, please file "
             "a bug report.")
_FLOW_ERR = ("vmap: It looks like you're attempting to use a Tensor in some data-dependent "
             "control flow. We don't support that yet, please file an issue at "
             "https://github.com/pytorch/pytorch/issues .")
_NO_STORAGE = "Cannot access data pointer of Tensor that doesn't have storage"
FALLBACKS: set = set()  # names of ops / composites that ran through the per-sample loop


class NeedsFallback(BaseException):
    """Code read a batched tensor's values (or drew 'different' random numbers): the nearest
    per-sample loop (a composite's, else vmap's own) runs that code once per sample."""

    def __init__(self, level: "_Level", random: bool = False) -> None:
        self.level, self.random = level, random


class _Level:
    """One running vmap: its batch size, randomness mode and the func-transform depth it
    started at (transforms entered inside it differentiate per sample)."""

    __slots__ = ("pos", "size", "randomness", "depth", "per_sample", "transformed", "shown",
                 "suspend", "memo")

    def __init__(self, size: int, randomness: str) -> None:
        self.pos, self.size, self.randomness = len(_STACK), size, randomness
        self.depth, self.per_sample, self.transformed, self.suspend = _Depth.value, 0, False, 0
        self.shown = len(_STACK) + _Depth.value + 1  # torch's level number, for repr
        self.memo: dict = {}  # autograd node -> does it reach a leaf from outside (see _outer)


_STACK: list = []


# *** BatchedTensor ***

class _Logical:
    """What a batched tensor's `_data` is: the per-sample shape and dtype. Reading values raises
    NeedsFallback, so composites that compute on arrays run once per sample instead."""

    __slots__ = ("shape", "dtype", "_t")

    def __init__(self, t: "BatchedTensor") -> None:
        d = t._value._data
        self.shape, self.dtype, self._t = d.shape[1:], d.dtype, t

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: math.prod(self.shape))
    itemsize = property(lambda self: self.dtype.itemsize)
    nbytes = property(lambda self: self.size * self.dtype.itemsize)

    def __getattr__(self, name: str) -> Any:
        raise NeedsFallback(self._t._level)

    def _read(self, *args: Any, **kwargs: Any) -> Any:
        import sys

        from .._ops import inplace

        caller, write = sys._getframe(1), getattr(inplace, "_write", None)
        if write is not None and caller.f_code is write.__code__ and "dst" in caller.f_locals:
            # unbatched.add_(batched): torch's message for the in-place write that cannot fit
            raise RuntimeError(f"output with shape {list(caller.f_locals['dst'].shape)} doesn't "
                               f"match the broadcast shape {[self._t._level.size, *self.shape]}")
        raise NeedsFallback(self._t._level)


for _name in ("__array__", "__getitem__", "__setitem__", "__iter__", "__len__", "__bool__",
              "__eq__", "__ne__",
              "__float__", "__int__", "__index__", "__lt__", "__le__", "__gt__", "__ge__",
              "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__pow__", "__neg__", "__and__", "__or__", "__invert__",
              "__array_ufunc__", "__array_function__"):
    setattr(_Logical, _name, _Logical._read)
_Logical.__hash__ = object.__hash__  # type: ignore[assignment]


class BatchedTensor(Tensor):
    """A tensor inside vmap: behaves as one sample (shape, dim, ops) while its `_value` holds all
    samples along dim 0. Autograd inside vmap records on these logical tensors."""

    __slots__ = ("_value", "_level")

    @property
    def _data(self) -> _Logical:
        return _Logical(self)

    @property
    def shape(self) -> Size:
        return Size(self._value.shape[1:])

    def dim(self) -> int:
        return self._value.dim() - 1

    ndim = property(dim)

    def stride(self, dim: int | None = None) -> Any:
        st = self._value.stride()[1:]
        return st if dim is None else st[dim]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        expected, n = [], 1
        for s in reversed(self.shape):
            expected.insert(0, n)
            n *= s
        return all(a == b or s == 1 for a, b, s in zip(self.stride(), expected, self.shape))

    def contiguous(self, memory_format: Any = None) -> "BatchedTensor":
        return self if self.is_contiguous() else self.clone()

    def detach(self) -> "BatchedTensor":
        # a transform running inside this vmap owns the logical graph: cut only that one
        inner = _Depth.value > self._level.depth
        return _wrap(self._value if inner else self._value.detach(), self._level)

    @property
    def data(self) -> "BatchedTensor":
        return _wrap(self._value.detach(), self._level)

    def item(self) -> Any:
        raise RuntimeError(_ITEM_ERR)

    __float__ = __int__ = __complex__ = __index__ = item

    def __bool__(self) -> bool:
        raise RuntimeError(_FLOW_ERR)

    def tolist(self) -> Any:
        raise RuntimeError(_NO_STORAGE)

    def numpy(self, *, force: bool = False) -> Any:
        raise RuntimeError(_NO_STORAGE)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise NeedsFallback(self._level)  # NumPy code on a batched tensor: run it per sample

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        inner = repr(self._value).replace("\n", "\n    ")
        return f"BatchedTensor(lvl={self._level.shown}, bdim=0, value=\n    {inner}\n)"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: int) -> Any:
        raise RuntimeError(_NO_STORAGE)

    def __setitem__(self, index: Any, value: Any) -> None:
        from .._ops.indexing import parse_index

        idx = parse_index(tuple(self.shape), index)
        if not isinstance(value, Tensor):
            value = Tensor._make(np.asarray(value, dtype=self._value._data.dtype))
        put = _reg.REGISTRY["index_put"].public
        _write_back(self, put(_old(self, value), value.to(self.dtype), index=idx,
                              accumulate=False), "__setitem__")


def _wrap(value: Tensor, level: _Level) -> BatchedTensor:
    t = object.__new__(BatchedTensor)
    t._value, t._level = value, level
    t._requires_grad, t._grad_fn, t._output_nr, t._grad = False, None, 0, None
    t._vc, t._view, t._hooks, t._accumulator = value._vc, None, None, None
    t._retains_grad, t._post_acc_hooks = False, None
    return t


def _to_phys(x: Any, lvl: _Level) -> Any:
    """x as a physical tensor with lvl's batch in dim 0 (unbatched tensors are expanded)."""
    if type(x) is BatchedTensor and x._level is lvl:
        return x._value
    return x.unsqueeze(0).expand(lvl.size, *x.shape)


# *** in-place methods: compute out of place, then write into the physical storage ***

def _old(self: BatchedTensor, *args: Any) -> BatchedTensor:
    """self, or a copy carrying self's graph position when a node may save it (torch's rule:
    the saved input of an in-place op is its value before the write)."""
    if not (self._requires_grad or self._value.requires_grad or any(
            isinstance(a, Tensor) and a.requires_grad for a in args)) or not STATE.enabled:
        return self
    old = _wrap(self._value.clone(), self._level)
    old._requires_grad, old._grad_fn, old._output_nr = (self._requires_grad, self._grad_fn,
                                                        self._output_nr)
    return old


def _write_back(self: BatchedTensor, out: Tensor, name: str) -> BatchedTensor:
    from .._ops.inplace import _CAN_CAST

    if tuple(out.shape) != tuple(self.shape):
        raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast "
                           f"shape {list(out.shape)}")
    src, dst = out.dtype.np, self.dtype.np
    if src != dst and src.kind not in _CAN_CAST[dst.kind]:
        raise RuntimeError(f"result type {SCALAR_TYPE_NAMES.get(out.dtype.name)} can't be cast to the "
                           f"desired output type {SCALAR_TYPE_NAMES.get(self.dtype.name)}")
    self._value.copy_(_to_phys(out, self._level))
    if out._grad_fn is not None:
        self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, out._output_nr, True
    return self


def _inplace_method(name: str, fn: Callable) -> Callable:
    def method(self: BatchedTensor, *args: Any, **kwargs: Any) -> BatchedTensor:
        return _write_back(self, fn(_old(self, *args), *args, **kwargs), name)

    method.__name__ = name
    return method


def _install_inplace() -> None:
    R = _reg.REGISTRY
    table = {n + "_": _reg.METHODS[n] for n in _reg.INPLACE}
    table.update(zero_=R["zero"].public, copy_=lambda t, src, non_blocking=False: R["copy"].public(
        t, src if isinstance(src, Tensor) else Tensor._make(np.asarray(src, t.dtype.np))),
        fill_=lambda t, v: R["copy"].public(t, v) if isinstance(v, Tensor) else
        R["fill"].public(t, value=v),
        index_put_=lambda t, i, v, accumulate=False: _reg.PUBLIC["index_put"](t, i, v, accumulate))
    for name, fn in table.items():
        if name not in _rules.RANDOM_FILLS:
            setattr(BatchedTensor, name, _inplace_method(name, fn))


# *** the dispatcher (the registry's call() hands every op here while a vmap runs) ***

def _dispatch(op: Any, inputs: tuple, attrs: dict) -> Any:
    lvl = None
    for x in inputs:
        if type(x) is BatchedTensor and (lvl is None or x._level.pos > lvl.pos):
            lvl = x._level
    for v in attrs.values():
        if type(v) is BatchedTensor and (lvl is None or v._level.pos > lvl.pos):
            lvl = v._level
    if lvl is None:
        return NotImplemented
    rule = _rules.RULES.get(op.name)
    vals = [x._value if type(x) is BatchedTensor and x._level is lvl else x for x in inputs]
    bat = [type(x) is BatchedTensor and x._level is lvl for x in inputs]
    battrs = {k for k, v in attrs.items() if type(v) is BatchedTensor and v._level is lvl}
    pattrs = {k: (attrs[k]._value if k in battrs else v) for k, v in attrs.items()} \
        if battrs else attrs
    ctx = _rules.Ctx(op, vals, bat, pattrs, battrs, lvl.size, inputs, lvl)
    # a transform running inside this vmap records op on the logical tensors; the physical
    # graph is then needed only if the values reach leaves from outside the vmap
    logical = (STATE.enabled and op.differentiable and lvl.depth < _Depth.value and
               not lvl.suspend and any(isinstance(x, Tensor) and x._requires_grad for x in inputs))
    grad_mode = STATE.enabled
    if logical and not any(_outer(v, lvl) for v in (*vals, *pattrs.values())):
        STATE.enabled = False
    lvl.suspend += 1  # a rule that decomposes into logical ops records one node, below
    try:
        out = rule(ctx) if rule is not None else NotImplemented
        if out is NotImplemented:
            out = _loop_op(op, inputs, attrs, lvl)
    finally:
        lvl.suspend -= 1
        STATE.enabled = grad_mode
    out = tuple(_wrap(o, lvl) for o in out) if type(out) in (tuple, list) else _wrap(out, lvl)
    if logical:
        _record(op, inputs, attrs, out)
        lvl.transformed = True
    if forward_ad.LEVELS.stack and not lvl.suspend:
        _rules.propagate(op, inputs, attrs, out)
    return out


def _outer(t: Any, lvl: _Level) -> bool:
    """Does t's autograd graph reach a leaf made outside lvl (user code, an outer transform)?
    Leaves of transforms running inside lvl carry a deeper _func_level. Memoized per node."""
    if not isinstance(t, Tensor) or not t._requires_grad:
        return False
    if t._grad_fn is None:
        return type(t) is BatchedTensor or getattr(t, "_func_level", -1) <= lvl.depth
    memo, stack, found = lvl.memo, [t._grad_fn], False
    seen = []
    while stack and not found:
        node = stack.pop()
        if node is None or node in memo:
            found = node is not None and memo[node]
            continue
        seen.append(node)
        var = getattr(node, "variable", None) if not hasattr(node, "_op") else None
        if var is not None and (type(var) is BatchedTensor or
                                getattr(var, "_func_level", -1) <= lvl.depth):
            found = True
        stack.extend(c for c, _ in node.next_functions)
    for node in seen if not found else seen[:1]:
        memo[node] = found
    return found


def _loop_op(op: Any, inputs: tuple, attrs: dict, lvl: _Level) -> Any:
    """An op without a batching rule: run it once per sample and stack (as torch's fallback)."""
    FALLBACKS.add(op.name)
    warnings.warn(f"There is a performance drop because we have not yet implemented the batching "
                  f"rule for aten::{op.name}. Please file us an issue on GitHub so that we can "
                  "prioritize its implementation.", UserWarning, stacklevel=4)
    outs = _per_sample(lvl, lambda b: _reg.call(op, tuple(_select(x, b, lvl) for x in inputs),
                                                {k: _select(v, b, lvl) for k, v in attrs.items()}))
    if type(outs[0]) is tuple:
        return tuple(_reg.PUBLIC["stack"]([o[i] for o in outs]) for i in range(len(outs[0])))
    return _reg.PUBLIC["stack"](outs)


def _select(x: Any, b: int, lvl: _Level) -> Any:
    if type(x) is BatchedTensor and x._level is lvl:
        return _reg.REGISTRY["getitem"].public(x._value, index=((b, Ellipsis), None,
                                                                "SelectBackward0"))
    return x


def _per_sample(lvl: _Level, body: Callable) -> list:
    """[body(b) for b in range(B)] with lvl in per-sample mode ('same' randomness replays the
    generator's state for every sample)."""
    gen = _random.default_generator
    state = gen.get_state() if lvl.randomness == "same" else None
    lvl.per_sample += 1
    try:
        outs = []
        for b in range(lvl.size):
            if state is not None:
                gen.set_state(state)
            outs.append(body(b))
        return outs
    finally:
        lvl.per_sample -= 1


def _record(op: Any, inputs: tuple, attrs: dict, out: Any) -> None:
    """Record op's node on the logical tensors (its VJP later runs batched, per sample)."""
    outs = out if type(out) is tuple else (out,)
    if type(out) is tuple:  # the registry records output shapes of multi-output ops
        fake: Any = [np.broadcast_to(np.zeros((), o.dtype.np), tuple(o.shape)) for o in outs]
    else:
        fake = _ZEROS.get(out.dtype.np) or _ZEROS.setdefault(out.dtype.np,
                                                              np.zeros((), out.dtype.np))
    res = _reg._record(_shadow(op), inputs, attrs, fake)
    res = res if type(res) is tuple else (res,)
    node = next((r._grad_fn for r in res if r._grad_fn is not None), None)
    if node is None:
        return
    saved = list(node._saved)
    for i, (kind, idx) in enumerate(op.save_specs):
        if kind == "result":  # saved as the batched output itself, rebuilt without a cycle
            o = outs[idx or 0]  # (in forward mode the output itself: it carries the tangent)
            packed = (_live, o) if forward_ad.LEVELS.stack else \
                (_rebuild, (weakref.ref(node), o._value, o._level))
            saved[i] = (_reg._PACKED, packed) + tuple(saved[i][2:])
    node._saved = tuple(saved)
    for o, r in zip(outs, res):
        if r._grad_fn is not None:
            o._requires_grad, o._grad_fn, o._output_nr = True, node, r._output_nr
    if type(out) is tuple and node.n_outputs != len(outs):  # split / unbind
        from .._ops.shape import _sized_outputs

        _sized_outputs(lambda: outs)()


def _shadow(op: Any) -> Any:
    """op with a VJP that still works when it reads a batched tensor's values: pointwise and
    plane-wise VJPs then run on the physical tensors, the others once per sample."""
    sh = _SHADOWS.get(op.name)
    if sh is None or sh.vjp_fn.__wrapped__ is not op.vjp_fn:
        sh = copy.copy(op)
        sh._node_classes = {}
        sh.vjp_fn = _guard(op, op.vjp_fn)
        _SHADOWS[op.name] = sh
    return sh


def _guard(op: Any, fn: Callable) -> Callable:
    kind = _rules.PHYSICAL_VJP.get(op.name)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NeedsFallback as e:
            lvl = _max_level((args, kwargs))
            if lvl is None or lvl.pos < e.level.pos:
                raise
            out = _physical_vjp(kind, fn, args, kwargs, lvl) if kind else None
            if out is not None:
                return out
            FALLBACKS.add(f"{op.name} (backward)")
            outs = _per_sample(lvl, lambda b: fn(*_tree_map(lambda x: _select(x, b, lvl), args),
                                                 **_tree_map(lambda x: _select(x, b, lvl), kwargs)))
            if type(outs[0]) is not tuple:
                return _combine(outs, lvl)
            return tuple(None if outs[0][i] is None else _combine([o[i] for o in outs], lvl)
                         for i in range(len(outs[0])))

    return run


def _physical_vjp(kind: str, fn: Callable, args: tuple, kwargs: dict, lvl: _Level) -> Any:
    """A pointwise VJP on rank-aligned physical tensors, or a plane-wise one (pooling) with the
    batch folded into dim 0; None if that does not work out."""
    size = lvl.size
    top = max(x.dim() for x in _leaves((args, kwargs)) if isinstance(x, Tensor))

    def down(x: Any) -> Any:
        if kind == "fold":
            return _reg.PUBLIC["flatten"](_to_phys(x, lvl), 0, 1) if isinstance(x, Tensor) else x
        if type(x) is not BatchedTensor or x._level is not lvl:
            return x
        return _rules._pad(x._value, top - x.dim())

    def up(o: Any) -> Any:
        if not isinstance(o, Tensor):
            return o
        o = _reg.PUBLIC["unflatten"](o, 0, (size, -1)) if kind == "fold" else o
        if o.dim() != top + 1 or o.shape[0] != size:
            raise ValueError
        return _wrap(o, lvl)

    if kind == "fold" and "input_size" in kwargs:
        s = tuple(kwargs["input_size"])
        kwargs = dict(kwargs, input_size=(size * s[0],) + s[1:])
    try:
        out = fn(*_tree_map(down, args), **_tree_map(down, kwargs))
        return tuple(up(o) for o in out) if type(out) is tuple else up(out)
    except (NeedsFallback, ValueError, RuntimeError, IndexError):
        return None


_SHADOWS: dict = {}
_ZEROS: dict = {}


def _live(output: BatchedTensor) -> BatchedTensor:
    return output


def _rebuild(packed: tuple) -> BatchedTensor:
    ref, value, level = packed
    t = _wrap(value, level)
    t._requires_grad, t._grad_fn = True, ref()
    return t


def _combine(outs: list, lvl: _Level) -> Any:
    first = outs[0]
    if isinstance(first, Tensor):
        return _wrap(_reg.PUBLIC["stack"](outs), lvl)
    if isinstance(first, (tuple, list)):
        return type(first)(_combine([o[i] for o in outs], lvl) for i in range(len(first)))
    return first


def _max_level(tree: Any) -> _Level | None:
    best = None
    for x in _leaves(tree):
        if type(x) is BatchedTensor and (best is None or x._level.pos > best.pos):
            best = x._level
    return best


def _leaves(tree: Any) -> list:
    if isinstance(tree, (tuple, list)):
        return [y for x in tree for y in _leaves(x)]
    if isinstance(tree, dict):
        return [y for x in tree.values() for y in _leaves(x)]
    return [tree]


def _tree_map(fn: Callable, tree: Any) -> Any:
    if isinstance(tree, (tuple, list)):
        items = [_tree_map(fn, x) for x in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    if isinstance(tree, dict):
        return type(tree)((k, _tree_map(fn, v)) for k, v in tree.items())
    return fn(tree)


_install_inplace()
