"""torch.func.vmap: map a function over a dim of its inputs by running each op once on the whole
batch (BatchedTensor and the dispatcher live in _batched.py, the per-op rules in _batching.py)."""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from .. import _random
from .._ops import _registry as _reg
from .._ops._registry import PUBLIC
from .._tensor import Tensor
from . import _Depth
from . import _batched as _b
from . import _batching as _rules
from ._batched import (BatchedTensor, NeedsFallback, _combine, _leaves, _max_level, _per_sample,
                       _select, _tree_map)

__all__ = ["vmap"]


# *** pytrees, as torch.utils._pytree sees them: tuple, list, dict, namedtuple; else a leaf ***

class _Spec:
    __slots__ = ("type", "context", "children")

    def __init__(self, type_: Any = None, context: Any = None, children: tuple = ()) -> None:
        self.type, self.context, self.children = type_, context, children

    @property
    def num_leaves(self) -> int:
        return 1 if self.type is None else sum(c.num_leaves for c in self.children)

    def __repr__(self, indent: int = 0) -> str:  # torch's TreeSpec repr
        if self.type is None:
            return "*"
        kids = ""
        if self.children:
            indent += 2
            kids = self.children[0].__repr__(indent) + ("," if len(self.children) > 1 else "")
            kids += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        name = "namedtuple" if hasattr(self.type, "_fields") else self.type.__name__
        return f"TreeSpec({name}, {self.context}, [{kids}])"


def _node(tree: Any) -> tuple | None:
    """(children, context) of a container, None for a leaf."""
    if isinstance(tree, tuple):
        return list(tree), (type(tree) if hasattr(tree, "_fields") else None)
    if isinstance(tree, list):
        return list(tree), None
    if isinstance(tree, dict):
        return list(tree.values()), list(tree.keys())
    return None


def _flatten(tree: Any) -> tuple[list, _Spec]:
    node = _node(tree)
    if node is None:
        return [tree], _Spec()
    leaves, specs = [], []
    for child in node[0]:
        lv, sp = _flatten(child)
        leaves += lv
        specs.append(sp)
    return leaves, _Spec(type(tree), node[1], tuple(specs))


def _unflatten(leaves: list, spec: _Spec) -> Any:
    it = iter(leaves)

    def build(sp: _Spec) -> Any:
        if sp.type is None:
            return next(it)
        kids = [build(c) for c in sp.children]
        if sp.type is dict or issubclass(sp.type, dict):
            return sp.type(zip(sp.context, kids))
        return sp.type(*kids) if hasattr(sp.type, "_fields") else sp.type(kids)

    return build(spec)


def _broadcast(prefix: Any, spec: _Spec) -> list | None:
    """prefix's leaves repeated over spec's leaves (torch's _broadcast_to_and_flatten)."""
    node = _node(prefix)
    if node is None:
        return [prefix] * spec.num_leaves
    if spec.type is None or type(prefix) is not spec.type:
        return None
    kids, ctx = node
    if len(kids) != len(spec.children) or ctx != spec.context:
        return None
    out: list = []
    for k, c in zip(kids, spec.children):
        sub = _broadcast(k, c)
        if sub is None:
            return None
        out += sub
    return out


def _name(func: Any) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


# *** inputs ***

def _process(in_dims: Any, args: tuple, func: Callable) -> tuple:
    head = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): "
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{head}expected `in_dims` to be int or a (potentially nested) tuple "
                         f"matching the structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. The "
                         "latter is unsupported.")
    flat, spec = _flatten(args)
    dims = _broadcast(in_dims, spec)
    if dims is None:
        raise ValueError(f"{head}in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {_flatten(in_dims)[1]} but inputs has structure "
                         f"{spec}.")
    for i, (x, d) in enumerate(zip(flat, dims)):
        if d is not None and not isinstance(d, int):
            raise ValueError(f"{head}Got in_dim={d} for an input but in_dim must be either an "
                             "integer dimension or None.")
        if isinstance(d, int) and not isinstance(x, Tensor):
            raise ValueError(f"{head}Got in_dim={d} for an input but the input is of type "
                             f"{type(x)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if d is not None and not -x.dim() <= d < x.dim():
            raise ValueError(f"{head}Got in_dim={d} for some input, but that input is a Tensor of "
                             f"dimensionality {x.dim()} so expected in_dim to satisfy "
                             f"-{x.dim()} <= in_dim < {x.dim()}.")
        if d is not None and d < 0:
            dims[i] = d % x.dim()
    return _batch_size(dims, flat), dims, flat, spec


def _batch_size(dims: list, flat: list) -> int:
    sizes = [x.size(d) for x, d in zip(flat, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _check_out_dims(out_dims: Any, func: Callable) -> None:
    for d in _flatten(out_dims)[0]:
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be "
                             "an int, None or a python collection of ints representing where in "
                             "the outputs the vmapped dimension should appear.")


# *** outputs ***

def _out_dims(out: Any, out_dims: Any, func: Callable) -> tuple[list, list, _Spec]:
    flat, spec = _flatten(out)
    if isinstance(out, Tensor):
        dims = [out_dims] if out_dims is None or isinstance(out_dims, int) else (
            list(out_dims) if isinstance(out_dims, tuple) and len(out_dims) == 1 else None)
    else:
        dims = _broadcast(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is "
                         f"not compatible with the structure of `outputs`. out_dims has structure "
                         f"{_flatten(out_dims)[1]} but outputs has structure {spec}.")
    return flat, dims, spec


def _unwrap(x: Any, d: Any, lvl: Any, func: Callable) -> Any:
    name = _name(func)
    ours = type(x) is BatchedTensor and x._level is lvl
    if d is None:
        if ours:
            raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when "
                             "out_dim is None")
        return x
    if not isinstance(x, Tensor):
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                         f"{type(x)}. Did you mean to set out_dims= to None for output?")
    if ours:
        out = x._value.movedim(0, d) if d != 0 else x._value
    else:  # the same for every sample: an expanded view, as torch returns
        out = x.unsqueeze(d)
        sizes = list(out.shape)
        sizes[d % out.dim()] = lvl.size
        out = out.expand(*sizes)
    if lvl.transformed and out.requires_grad and not _outside(out, lvl.depth):
        out = out.detach()  # its graph only reaches leaves of transforms that ran inside vmap
    return out


def _outside(t: Tensor, depth: int) -> bool:
    """Does t's graph reach a leaf made outside the vmap (by the user or an outer transform)?"""
    stack, seen = [t.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node).__name__ == "AccumulateGrad":
            var = node.variable
            if var is not None and getattr(var, "_func_level", -1) <= depth:
                return True
        stack.extend(c for c, _ in node.next_functions)
    return False


# *** composites: special rules, else run them and loop per sample if they read values ***

def _composite(name: str, fn: Callable, args: tuple, kwargs: dict) -> Any:
    rule = _rules.COMPOSITE.get(name)
    try:
        if rule is not None:
            out = rule(fn, *args, **kwargs)
            if out is not NotImplemented:
                return out
        return fn(*args, **kwargs)
    except NeedsFallback as e:
        lvl = _max_level((args, kwargs))
        if lvl is None or lvl.pos < e.level.pos:
            if not e.random:
                raise
            lvl = e.level
        if lvl.depth < _Depth.value and any(type(x) is BatchedTensor and x._requires_grad
                                            for x in _leaves((args, kwargs))):
            e.level = lvl  # a transform inside vmap differentiates through it: loop the
            raise  # whole vmapped function instead
        _b.FALLBACKS.add(name)
        warnings.warn(f"There is a performance drop because we have not yet implemented the "
                      f"batching rule for {name}. Please file us an issue on GitHub so that we "
                      "can prioritize its implementation.", UserWarning, stacklevel=3)
        same: set = set(range(len(args)))  # outputs that are the sample's own input (in place)

        def sample(b: int) -> Any:
            a, k = _tree_map(lambda x: _select(x, b, lvl), (args, kwargs))
            out = _composite(name, fn, a, k)
            same.intersection_update(i for i, x in enumerate(a) if x is out)
            return out

        outs = _per_sample(lvl, sample)
        return args[min(same)] if same else _combine(outs, lvl)


# *** randomness (every draw of ndgrad's generators goes through Generator._raw) ***

_HANDLED = [0]  # > 0 while a rule draws batched random numbers itself
_ORIG_RAW = _random.Generator._raw


def _guarded_raw(self: Any, n: int) -> Any:
    if not _HANDLED[0]:
        check_random(None)
    return _ORIG_RAW(self, n)


def check_random(handled: Any) -> None:
    """torch's randomness modes for a draw inside vmap: 'error' raises; 'different' needs a
    batched draw (per sample unless a rule draws for the whole batch)."""
    for lvl in _b._STACK:
        if lvl.randomness == "error":
            raise RuntimeError(_b._RANDOM_ERR)
    for lvl in reversed(_b._STACK):
        if lvl.randomness == "different" and not lvl.per_sample and lvl is not handled:
            raise NeedsFallback(lvl, random=True)


def _push(size: int, randomness: str) -> Any:
    lvl = _b._Level(size, randomness)
    if not _b._STACK:
        _reg.VMAP_DISPATCH, _reg.VMAP_COMPOSITE = _b._dispatch, _composite
        _random.Generator._raw = _guarded_raw
    _b._STACK.append(lvl)
    return lvl


def _pop(lvl: Any) -> None:
    _b._STACK.remove(lvl)
    if not _b._STACK:
        _reg.VMAP_DISPATCH = _reg.VMAP_COMPOSITE = None
        _random.Generator._raw = _ORIG_RAW


# *** the transform ***

def _flat_vmap(func: Callable, size: int, dims: list, flat: list, spec: _Spec, out_dims: Any,
               randomness: str, kwargs: dict) -> Any:
    lvl = _push(size, randomness)
    try:
        ins = [x if d is None else _b._wrap(x.movedim(d, 0) if d else x, lvl)
               for x, d in zip(flat, dims)]
        try:
            out = func(*_unflatten(ins, spec), **kwargs)
        except NeedsFallback as e:
            if e.level is not lvl:
                raise
            return _loop(func, dims, flat, spec, out_dims, lvl, kwargs)
        outs, odims, ospec = _out_dims(out, out_dims, func)
        return _unflatten([_unwrap(o, d, lvl, func) for o, d in zip(outs, odims)], ospec)
    finally:
        _pop(lvl)


def _loop(func: Callable, dims: list, flat: list, spec: _Spec, out_dims: Any, lvl: Any,
          kwargs: dict) -> Any:
    """func reads a batched tensor's values: call it once per sample and stack the results."""
    _b.FALLBACKS.add(f"vmap({_name(func)})")
    warnings.warn(f"vmap: {_name(func)} reads the values of a batched tensor (or draws "
                  "'different' random numbers) in code without a batching rule; it runs once per "
                  "sample, as a Python loop.", UserWarning, stacklevel=4)

    def sample(b: int) -> Any:
        return func(*_unflatten([x if d is None else x.select(d, b) for x, d in zip(flat, dims)],
                                spec), **kwargs)

    results = _b._per_sample(lvl, sample)
    return _join(results, out_dims, func, lambda xs, d: PUBLIC["stack"](xs, d))


def _join(results: list, out_dims: Any, func: Callable, combine: Callable) -> Any:
    flat0, dims, spec = _out_dims(results[0], out_dims, func)
    columns = [_flatten(r)[0] for r in results]
    out = []
    for i, d in enumerate(dims):
        xs = [c[i] for c in columns]
        if d is None:
            out.append(xs[0])
            continue
        if not all(isinstance(x, Tensor) for x in xs):
            bad = next(x for x in xs if not isinstance(x, Tensor))
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return "
                             f"Tensors, got type {type(bad)}. Did you mean to set out_dims= to "
                             "None for output?")
        out.append(combine(xs, d))
    return _unflatten(out, spec)


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Vectorize func over dim `in_dims` of its inputs: each op runs once on the whole batch.

    in_dims / out_dims: an int, None (not mapped) or a nested tuple / list / dict matching the
    arguments / outputs. randomness: 'error' (random ops raise), 'different' or 'same' draws
    per sample. chunk_size: map this many samples at a time.

    Example::
        >>> from ndgrad.func import vmap
        >>> vmap(lambda row: row.sum())(ndgrad.ones(3, 2))
        tensor([2., 2., 2.])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _check_out_dims(out_dims, func)
        size, dims, flat, spec = _process(in_dims, args, func)
        if chunk_size is None or size == 0:
            return _flat_vmap(func, size, dims, flat, spec, out_dims, randomness, kwargs)
        gen = _random.default_generator
        state = gen.get_state() if randomness == "same" else None
        results, start = [], 0
        while start < size:
            n = min(chunk_size, size - start)
            chunk = [x if d is None else x.narrow(d, start, n) for x, d in zip(flat, dims)]
            if state is not None:
                gen.set_state(state)
            results.append(_flat_vmap(func, n, dims, chunk, spec, out_dims, randomness, kwargs))
            start += n
        return _join(results, out_dims, func, lambda xs, d: PUBLIC["cat"](xs, d))

    if hasattr(func, "__name__"):
        wrapped = functools.wraps(func)(wrapped)
    return wrapped
