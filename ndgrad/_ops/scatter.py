"""Gather and scatter along a dim: gather, scatter (src or value), scatter_add and
scatter_reduce, with torch's bounds checks and gradients."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._out import _user_stacklevel
from .._tensor import Tensor, _wrap_dim
from ._registry import composite, primitive
from .indexing import _zeros
from .pointwise import where

# *** gather / scatter ***

def _lift(*arrays: np.ndarray) -> list:
    # a 0-d tensor gathers and scatters like a 1-element vector
    return [a.reshape(1) if a.ndim == 0 else a for a in arrays]


def _mesh(index: np.ndarray, d: int) -> tuple:
    """Coordinates of input[i0, .., index[i0, .., in], .., in] along d (an open mesh)."""
    n = index.ndim
    return tuple(index if i == d else np.arange(s).reshape((s,) + (1,) * (n - 1 - i))
                 for i, s in enumerate(index.shape))


def _bounds(index: np.ndarray, n: int, d: int, neg: bool = False, pre: str = "",
            exc: type = RuntimeError) -> None:
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if hi >= n or lo < (-n if neg else 0):
            raise exc(f"{pre}index {hi if hi >= n else lo} is out of bounds for dimension {d} "
                      f"with size {n}")


def _check_scatter(input: np.ndarray, index: np.ndarray, src: Any, d: int) -> None:
    is_arr = isinstance(src, np.ndarray)
    if not index.size:  # torch checks only src's dtype when nothing is written
        if is_arr and src.dtype != input.dtype:
            raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
        return
    if index.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if is_arr and max(index.ndim, 1) != max(src.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if is_arr and src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    x, i = _lift(input, index)
    s = _lift(src)[0] if is_arr else None
    for k in range(i.ndim):
        if (k != d and i.shape[k] > x.shape[k]) or (s is not None and i.shape[k] > s.shape[k]):
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}"
                               + (f" and to be no larger size than src {list(src.shape)}"
                                  if is_arr else ""))
    _bounds(i, x.shape[d], d)


def _scatter_into(input: np.ndarray, index: np.ndarray, src: Any, dim: int, how: Any) -> tuple:
    """A copy of input, the coordinates index addresses along dim, and src cut to index's shape;
    how(out, coords, values) writes them."""
    d = _wrap_dim(dim, input.ndim)
    _check_scatter(input, index, src, d)
    out = input.copy()
    if not index.size:
        return out
    o, i = _lift(out, index)
    if isinstance(src, np.ndarray):  # only src's leading block of index's shape is read
        src = _lift(src)[0][tuple(slice(0, s) for s in i.shape)]
    how(o, _mesh(i, d), src)
    return out


def _assign(o: np.ndarray, coords: tuple, v: Any) -> None:
    o[coords] = v


@primitive("gather", complex=True, grad_fn="GatherBackward0", export=False, inputs=("input",
           "index"),
           samples=[(((3, 4), (3, 2)), {"dim": 1}), (((3, 4), (2, 4)), {"dim": 0}),
                    (((2, 3), (1, 2)), {"dim": -1}), (((3, 4), (2, 0)), {"dim": 1})],
           int_inputs={"index": (0, 2)}, torch_fn=lambda torch, x, i, dim: torch.gather(x, dim, i))
def _gather(input, index, *, dim):
    d = _wrap_dim(dim, input.ndim)
    if not index.size:  # torch reads nothing, so checks neither index's dtype nor its shape
        return np.empty(index.shape, input.dtype)
    if index.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x, i = _lift(input, index)
    for k in range(x.ndim):
        if k != d and i.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}")
    _bounds(i, x.shape[d], d)
    return x[_mesh(i, d)].reshape(index.shape)


@_gather.vjp
def _(grad, input_shape, index, *, dim):
    return _scatter_add.public(_zeros(input_shape, grad), index, grad, dim=dim), None


@composite("gather")
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim=0 (and likewise along any dim).

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).gather(1, ndgrad.tensor([[1], [0]]))
        tensor([[2.],
                [3.]])
    """
    return _gather.public(input, index, dim=dim)


@primitive("scatter", complex=True, grad_fn="ScatterBackward0", export=False, inputs=("input",
           "index", "src"),
           samples=[(((3, 4), (2, 1), (2, 1)), {"dim": 1}), (((3, 4), (1, 4), (1, 4)), {"dim": 0})],
           int_inputs={"index": (0, 2)},
           torch_fn=lambda torch, x, i, s, dim: torch.scatter(x, dim, i, s))
def _scatter(input, index, src, *, dim):
    return _scatter_into(input, index, src, dim, _assign)


@_scatter.vjp
def _(grad, index, *, dim):
    return (_scatter_value.public(grad, index, dim=dim, value=0), None,
            _gather.public(grad, index, dim=dim))


@primitive("scatter_value", complex=True, grad_fn="ScatterBackward1", export=False,
           inputs=("input", "index"),
           samples=[(((3, 4), (2, 3)), {"dim": 1, "value": 1.5})], int_inputs={"index": (0, 2)},
           torch_fn=lambda torch, x, i, dim, value: torch.scatter(x, dim, i, value))
def _scatter_value(input, index, *, dim, value):
    return _scatter_into(input, index, value, dim, _assign)


@_scatter_value.vjp
def _(grad, index, *, dim, value):
    return _scatter_value.public(grad, index, dim=dim, value=0), None


_LEGACY_REDUCE = {"add": np.add.at, "multiply": np.multiply.at}


@primitive("scatter_legacy_reduce", grad_fn="NotImplemented", export=False,
           inputs=("input", "index", "src"), nondiff_inputs=("input", "src"),
           samples=[(((3, 4), (2, 3), (2, 3)), {"dim": 1, "reduce": r}) for r in _LEGACY_REDUCE],
           int_inputs={"index": (0, 2)},
           torch_fn=lambda torch, x, i, s, dim, reduce: torch.scatter(x, dim, i, s, reduce=reduce))
def _scatter_legacy_reduce_op(input, index, src, *, dim, reduce):
    """scatter(..., reduce='add'|'multiply'): repeated indices accumulate; torch records the
    call but has no derivative for it."""
    if reduce not in _LEGACY_REDUCE:
        raise RuntimeError("reduce argument must be either add or multiply.")
    return _scatter_into(input, index, src, dim, _LEGACY_REDUCE[reduce])


@_scatter_legacy_reduce_op.vjp
def _(grad, *, dim, reduce):
    raise RuntimeError("derivative for aten::scatter is not implemented")


def _scatter_legacy_reduce(input: Tensor, dim: int, index: Tensor, src: Any,
                           reduce: str) -> Tensor:
    if isinstance(src, Tensor):
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will "
                      "be removed in a future PyTorch release. Use torch.scatter_reduce instead "
                      "for more reduction options.", UserWarning,
                      stacklevel=_user_stacklevel())
    else:  # a number is cast to input's dtype first, as torch does (2.5 -> 2 for ints)
        value = np.asarray(src).astype(input._data.dtype)
        src = Tensor._make(np.broadcast_to(value, index._data.shape))
    return _scatter_legacy_reduce_op.public(input, index, src, dim=dim, reduce=reduce)


@composite("scatter", inplace=True)
def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of input with src (a tensor or a number) written at index along dim.

    Example::
        >>> ndgrad.zeros(2, 3).scatter(1, ndgrad.tensor([[2], [0]]), 1.)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    src = value if src is None else src
    if reduce is not None:
        return _scatter_legacy_reduce(input, dim, index, src, reduce)
    if isinstance(src, Tensor):
        return _scatter.public(input, index, src, dim=dim)
    return _scatter_value.public(input, index, dim=dim, value=src)


@primitive("scatter_add", complex=True, grad_fn="ScatterAddBackward0", export=False,
           inputs=("input", "index", "src"),
           samples=[(((3, 4), (3, 2), (3, 2)), {"dim": 1}), (((3, 4), (4, 4), (4, 4)), {"dim": 0})],
           int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, s, dim: torch.scatter_add(x, dim, i, s))
def _scatter_add(input, index, src, *, dim):
    return _scatter_into(input, index, src, dim, np.add.at)  # repeated indices accumulate


@_scatter_add.vjp
def _(grad, index, *, dim):
    return grad, None, _gather.public(grad, index, dim=dim)


@composite("scatter_add", inplace=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with src added at index along dim (repeats accumulate).

    Example::
        >>> ndgrad.zeros(3).scatter_add(0, ndgrad.tensor([0, 0]), ndgrad.ones(2))
        tensor([2., 0., 0.])
    """
    return _scatter_add.public(input, index, src, dim=dim)


_REDUCE = {"sum": (np.add, 0), "prod": (np.multiply, 1), "mean": (np.add, 0),
           "amax": (np.maximum, -np.inf), "amin": (np.minimum, np.inf)}


def _reduce_into(reduce: str, include_self: bool) -> Any:
    ufunc, identity = _REDUCE[reduce]

    def how(o: np.ndarray, coords: tuple, s: np.ndarray) -> None:
        if not include_self:
            ident = identity
            if o.dtype.kind in "iub" and np.isinf(identity):
                info = np.iinfo(o.dtype)
                ident = info.min if identity < 0 else info.max
            o[coords] = ident
        ufunc.at(o, coords, s)
        if reduce == "mean":
            count = np.full(o.shape, int(include_self), np.int64)
            np.add.at(count, coords, 1)
            count = np.maximum(count, 1)
            o[...] = o / count if o.dtype.kind == "f" else o // count

    return how


@primitive("scatter_reduce", grad_fn="ScatterReduceBackward0", export=False,
           inputs=("input", "index", "src"),
           samples=[(((3, 4), (3, 3), (3, 3)), {"dim": 1, "reduce": r, "include_self": s})
                    for r in _REDUCE for s in (True, False)],
           int_inputs={"index": (0, 2)}, domain=(0.3, 2.0),
           # torch's forward AD gives a zero tangent for reduce='prod'; ours matches finite
           # differences, so only the torch JVP comparison is skipped
           skips=("jvp_torch",),
           torch_fn=lambda torch, x, i, s, dim, reduce, include_self: torch.scatter_reduce(
               x, dim, i, s, reduce, include_self=include_self))
def _scatter_reduce(input, index, src, *, dim, reduce, include_self=True):
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch's forward accepts these
    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    return _scatter_into(input, index, src, dim, _reduce_into(reduce, include_self))


@_scatter_reduce.vjp
def _(grad, input, index, src, result, *, dim, reduce, include_self):
    gather = _gather.public
    if reduce not in _REDUCE:
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' "
                           f"but got {reduce}.")
    if reduce == "sum":
        gi, gs = grad, gather(grad, index, dim=dim)
    elif reduce == "mean":
        ones = np.ones(src._data.shape, grad._data.dtype)
        n = _scatter_reduce.forward(np.full(grad._data.shape, float(include_self), ones.dtype),
                                    index._data, ones, dim=dim, reduce="sum")
        gi = grad / Tensor._make(np.maximum(n, 1))
        gs = gather(gi, index, dim=dim)
    elif reduce == "prod":
        gi, gs = _prod_grads(grad, input, index, src, result, dim, include_self)
    else:  # ties share the gradient evenly, as torch does
        self_is, src_is = input == result, src == gather(result, index, dim=dim)
        n = _scatter_add.forward(self_is._data.astype(grad._data.dtype), index._data,
                                 src_is._data.astype(grad._data.dtype), dim=dim)
        share = grad / Tensor._make(n)
        gi, gs = where(self_is, share, 0.0), where(src_is, gather(share, index, dim=dim), 0.0)
    if not include_self:  # scattered-to positions no longer depend on input
        gi = _scatter_value.public(gi, index, dim=dim, value=0)
    return gi, None, gs


def _prod_grads(grad: Tensor, input: Tensor, index: Tensor, src: Tensor, result: Tensor,
                dim: int, include_self: bool) -> tuple:
    """d prod / d x = product of the others: result / x where x != 0; recomputed with a lone
    zero replaced by 1 where x is that zero (two zeros make it 0)."""
    def prod(x: Tensor, s: Tensor) -> Tensor:
        return _scatter_reduce.public(x, index, s, dim=dim, reduce="prod",
                                      include_self=include_self)

    masked_self = where(input == 0, 1.0, input)
    gi = grad * prod(masked_self, src) / masked_self
    zero = src._data == 0
    n_zero = _scatter_add.forward(np.zeros(input._data.shape, np.int64), index._data,
                                  zero.astype(np.int64), dim=dim)
    lone = Tensor._make(zero & (_gather.forward(n_zero, index._data, dim=dim) == 1))
    others = _gather.public(grad * prod(input, where(lone, 1.0, src)), index, dim=dim)
    plain = _gather.public(grad * result, index, dim=dim) / where(Tensor._make(zero), 1.0, src)
    return gi, where(lone, others, plain)


@composite("scatter_reduce", inplace=True)
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce src into a copy of input at index along dim ('sum', 'prod', 'mean', 'amax',
    'amin'); include_self=False leaves input's values out of scattered-to positions.

    Example::
        >>> ndgrad.zeros(2).scatter_reduce(0, ndgrad.tensor([0, 0]), ndgrad.tensor([2., 3.]),
        ...                                'amax', include_self=False)
        tensor([3., 0.])
    """
    return _scatter_reduce.public(input, index, src, dim=dim, reduce=reduce,
                                  include_self=include_self)
