"""Selection along one dim, as (values, int64 indices) pairs: max / min along a dim, median,
mode, kthvalue, sort, argsort, topk; and the return_types namespace of those named pairs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import PUBLIC, call, composite, primitive
from .reduction import (
    _check_nonempty,
    _dim1,
    _distribute,
    _max_all,
    _min_all,
    _no_bool,
    _scatter,
)


class _ReturnType(tuple):
    """A (values, indices) pair like torch.return_types.*: a tuple with named fields."""

    __slots__ = ()
    n_fields = n_sequence_fields = 2

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self) -> str:
        return (
            f"torch.return_types.{type(self).__name__}(\nvalues={self[0]!r},\nindices={self[1]!r})"
        )


return_types = SimpleNamespace(
    **{
        n: type(n, (_ReturnType,), {"__slots__": (), "__module__": "ndgrad.return_types"})
        for n in ("max", "min", "median", "mode", "sort", "topk", "kthvalue", "cummax", "cummin")
    }
)


# *** selection along one dim: values and the int64 indices they came from ***
# Each picker returns keepdim-shaped indices into x along d; the VJP recomputes them and scatters
# the gradient there (torch's value_selecting_reduction_backward).


def _pick_argmax(x: np.ndarray, d: int) -> np.ndarray:
    return np.argmax(x, axis=d, keepdims=True)  # first maximum, or first NaN, as torch


def _pick_argmin(x: np.ndarray, d: int) -> np.ndarray:
    return np.argmin(x, axis=d, keepdims=True)


def _sorted_pick(x: np.ndarray, d: int, pos: int) -> np.ndarray:
    idx = np.take(np.argsort(x, axis=d, kind="stable"), [pos], axis=d)
    return idx  # NaNs sort last, as torch orders them


def _pick_median(x: np.ndarray, d: int) -> np.ndarray:
    idx = _sorted_pick(x, d, (x.shape[d] - 1) // 2)  # the lower median
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        idx = np.where(nan.any(axis=d, keepdims=True), np.argmax(nan, axis=d, keepdims=True), idx)
    return idx


def _pick_kth(x: np.ndarray, d: int, k: int) -> np.ndarray:
    if not 1 <= k <= x.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _sorted_pick(x, d, k - 1)


def _pick_mode(x: np.ndarray, d: int) -> np.ndarray:
    """The most frequent value (the smallest on ties), at its last occurrence."""
    xm = np.moveaxis(x, d, -1)
    rows, n = int(np.prod(xm.shape[:-1])), xm.shape[-1]
    perm = np.argsort(xm.reshape(rows, n), axis=-1, kind="stable")
    s = np.take_along_axis(xm.reshape(rows, n), perm, axis=-1)
    start = np.ones((rows, n), bool)
    same = s[:, 1:] == s[:, :-1]
    if s.dtype.kind == "f":
        same |= np.isnan(s[:, 1:]) & np.isnan(s[:, :-1])
    start[:, 1:] = ~same
    starts = np.flatnonzero(start)
    lengths = np.diff(np.append(starts, rows * n))
    run = np.repeat(lengths, lengths).reshape(rows, n)
    first = np.argmax(run, axis=-1)  # the first longest run is the smallest value
    last = first + run[np.arange(rows), first] - 1  # stable sort: its last element came last
    idx = perm[np.arange(rows), last].reshape(xm.shape[:-1] + (1,))
    return np.moveaxis(idx, -1, d)


def _select(pick, name: str, x: np.ndarray, dim: int, keepdim: bool, *args: Any) -> tuple:
    if not x.ndim:
        _dim1(dim, 0)
        return x.copy(), np.zeros((), np.int64)
    d = _dim1(dim, x.ndim)
    _check_nonempty(name, x, (d,))
    idx = pick(x, d, *args)
    vals = np.take_along_axis(x, idx, axis=d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return vals, idx.astype(np.int64, copy=False)


def _select_vjp(pick, grads: tuple, input: Tensor, dim: int, keepdim: bool, *args: Any) -> Tensor:
    x = input._data
    if not x.ndim:
        return grads[0]
    d = _dim1(dim, x.ndim)
    g = grads[0] if keepdim else grads[0].unsqueeze(d)
    return _scatter.public(g, dim=d, index=pick(x, d, *args), shape=x.shape, accumulate=False)


_DIM_SAMPLES = [((2, 3), {"dim": 1}), ((2, 4), {"dim": 0, "keepdim": True}), ((), {"dim": 0})]


@primitive(
    "max_dim",
    inputs=("input",),
    grad_fn="MaxBackward0",
    export=False,
    n_outputs=2,
    promote="same",
    samples=_DIM_SAMPLES,
    torch_fn=lambda torch, x, dim, keepdim=False: torch.max(x, dim, keepdim),
)
def _max_dim(input, dim, keepdim=False):
    return _select(_pick_argmax, "max", input, dim, keepdim)


@_max_dim.vjp
def _(grads, input, *, dim, keepdim):
    return _select_vjp(_pick_argmax, grads, input, dim, keepdim)


@primitive(
    "min_dim",
    inputs=("input",),
    grad_fn="MinBackward0",
    export=False,
    n_outputs=2,
    promote="same",
    samples=_DIM_SAMPLES,
    torch_fn=lambda torch, x, dim, keepdim=False: torch.min(x, dim, keepdim),
)
def _min_dim(input, dim, keepdim=False):
    return _select(_pick_argmin, "min", input, dim, keepdim)


@_min_dim.vjp
def _(grads, input, *, dim, keepdim):
    return _select_vjp(_pick_argmin, grads, input, dim, keepdim)


def _extremum(op_all, op_dim, binary: str, rt: type, input: Tensor, dim, keepdim, other):
    if isinstance(dim, Tensor):
        dim, other = None, dim
    if other is not None:
        return PUBLIC[binary](input, other)
    if dim is None:
        return call(op_all, (input,), {})
    return rt(call(op_dim, (input,), {"dim": dim, "keepdim": keepdim}))


@composite("max", samples=[((2, 3), {}), ((2, 3), {"dim": -1})])
def max(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None) -> Any:
    """The maximum: of all elements; along `dim` as (values, indices); or elementwise with a
    second tensor (maximum). Along a dim the gradient goes to the returned index.

    Example::
        >>> ndgrad.tensor([[1., 5.], [3., 2.]]).max(1).indices
        tensor([1, 0])
    """
    return _extremum(_max_all, _max_dim, "maximum", return_types.max, input, dim, keepdim, other)


@composite("min", samples=[((2, 3), {}), ((2, 3), {"dim": 0, "keepdim": True})])
def min(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None) -> Any:
    """The minimum: of all elements; along `dim` as (values, indices); or elementwise (minimum).

    Example::
        >>> ndgrad.tensor([[1., 5.], [3., 2.]]).min(1).values
        tensor([1., 2.])
    """
    return _extremum(_min_all, _min_dim, "minimum", return_types.min, input, dim, keepdim, other)


# *** median, mode, kthvalue ***


@primitive(
    "median",
    grad_fn="MedianBackward0",
    export=False,
    promote="same",
    samples=[((2, 3), {}), ((4,), {})],
)
def _median_all(input):
    _no_bool(input, "median_cpu")
    flat = input.reshape(-1)
    if not flat.size:
        return np.array(np.nan, dtype=input.dtype)
    if flat.dtype.kind == "f" and np.isnan(flat).any():
        return np.array(np.nan, dtype=input.dtype)
    return np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2].copy()


@_median_all.vjp
def _(grad, input, result):
    return _distribute(grad, input, result, None, False, nan=True)


@primitive(
    "median_dim",
    inputs=("input",),
    grad_fn="MedianBackward1",
    export=False,
    n_outputs=2,
    promote="same",
    samples=_DIM_SAMPLES,
    torch_fn=lambda torch, x, dim, keepdim=False: torch.median(x, dim, keepdim),
)
def _median_dim(input, dim, keepdim=False):
    _no_bool(input, "median_out")
    return _select(_pick_median, "median", input, dim, keepdim)


@_median_dim.vjp
def _(grads, input, *, dim, keepdim):
    return _select_vjp(_pick_median, grads, input, dim, keepdim)


@composite("median", samples=[((3, 2), {}), ((3, 2), {"dim": 0})])
def median(input: Tensor, dim=None, keepdim: bool = False) -> Any:
    """The lower median of all elements, or along `dim` as (values, indices); NaN propagates.

    Example::
        >>> ndgrad.tensor([1., 4., 2., 3.]).median()
        tensor(2.)
    """
    if dim is None:
        return call(_median_all, (input,), {})
    return return_types.median(call(_median_dim, (input,), {"dim": dim, "keepdim": keepdim}))


@primitive(
    "mode",
    grad_fn="ModeBackward0",
    export=False,
    n_outputs=2,
    promote="same",
    samples=[((2, 3), {"dim": 1}), ((3, 2), {"dim": 0, "keepdim": True})],
)
def _mode(input, dim=-1, keepdim=False):
    return _select(_pick_mode, "mode", input, dim, keepdim)


@_mode.vjp
def _(grads, input, *, dim, keepdim):
    return _select_vjp(_pick_mode, grads, input, dim, keepdim)


@composite("mode")
def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along `dim` (the smallest on ties) and its last index.

    Example::
        >>> ndgrad.tensor([3., 1., 3., 1., 2.]).mode()
        torch.return_types.mode(
        values=tensor(1.),
        indices=tensor(3))
    """
    return return_types.mode(call(_mode, (input,), {"dim": dim, "keepdim": keepdim}))


@primitive(
    "kthvalue",
    grad_fn="KthvalueBackward0",
    export=False,
    n_outputs=2,
    inputs=("input",),
    promote="same",
    samples=[((2, 3), {"k": 2}), ((4, 2), {"k": 4, "dim": 0, "keepdim": True})],
)
def _kthvalue(input, k, dim=-1, keepdim=False):
    _no_bool(input, "kthvalue_cpu")
    return _select(_pick_kth, "kthvalue", input, dim, keepdim, k)


@_kthvalue.vjp
def _(grads, input, *, k, dim, keepdim):
    return _select_vjp(_pick_kth, grads, input, dim, keepdim, k)


@composite("kthvalue")
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The k-th smallest value along `dim` and its index (ties: the first in stable order).

    Example::
        >>> ndgrad.tensor([3., 1., 2.]).kthvalue(2).values
        tensor(2.)
    """
    return return_types.kthvalue(
        call(_kthvalue, (input,), {"k": k, "dim": dim, "keepdim": keepdim})
    )


# *** sorting ***


def _sort_idx(x: np.ndarray, d: int, descending: bool) -> np.ndarray:
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    # stable descending with NaN first: sort the reversed array ascending, then reverse back
    idx = np.flip(np.argsort(np.flip(x, d), axis=d, kind="stable"), d)
    return x.shape[d] - 1 - idx


@primitive(
    "sort",
    export=False,
    n_outputs=2,
    promote="same",
    grad_fn=lambda dim, descending, stable: "SortBackward0" if stable is None else "SortBackward1",
    samples=[
        ((2, 3), {}),
        ((3, 2), {"dim": 0, "descending": True}),
        ((4,), {"stable": True}),
        ((), {}),
    ],
)
def _sort(input, dim=-1, descending=False, *, stable=None):
    if not input.ndim:
        _dim1(dim, 0)
        return input.copy(), np.zeros((), np.int64)
    idx = _sort_idx(input, _dim1(dim, input.ndim), descending)
    return np.take_along_axis(input, idx, axis=_dim1(dim, input.ndim)), idx


@_sort.vjp
def _(grads, input, *, dim, descending, stable):
    x = input._data
    if not x.ndim:
        return grads[0]
    d = _dim1(dim, x.ndim)
    return _scatter.public(
        grads[0], dim=d, index=_sort_idx(x, d, descending), shape=x.shape, accumulate=False
    )


@composite("sort")
def sort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool | None = None
) -> Any:
    """Sorted values along `dim` and the indices that sort it. Ties keep their input order (torch
    guarantees that only with stable=True); NaN sorts as the largest value.

    Example::
        >>> ndgrad.tensor([2., 3., 1.]).sort(descending=True).indices
        tensor([1, 0, 2])
    """
    return return_types.sort(
        call(_sort, (input,), {"dim": dim, "descending": descending, "stable": stable})
    )


@primitive(
    "argsort",
    differentiable=False,
    promote="same",
    samples=[((2, 3), {}), ((3, 2), {"dim": 0, "descending": True})],
)
def argsort(input, dim=-1, descending=False, *, stable=False):
    """Indices that sort input along `dim` (see sort).

    Example::
        >>> ndgrad.tensor([2., 3., 1.]).argsort()
        tensor([2, 0, 1])
    """
    if not input.ndim:
        return np.zeros((), np.int64)
    return _sort_idx(input, _dim1(dim, input.ndim), descending)


def _topk_idx(x: np.ndarray, d: int, k: int, largest: bool) -> np.ndarray:
    if not 0 <= k <= x.shape[d]:
        raise RuntimeError("selected index k out of range")
    return np.take(_sort_idx(x, d, largest), np.arange(k), axis=d)


@primitive(
    "topk",
    grad_fn="TopkBackward0",
    export=False,
    n_outputs=2,
    inputs=("input",),
    promote="same",
    samples=[((2, 4), {"k": 2}), ((3, 2), {"k": 1, "dim": 0, "largest": False}), ((5,), {"k": 3})],
)
def _topk(input, k, dim=-1, largest=True, sorted=True):
    if input.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if not input.ndim:
        _dim1(dim, 0)
        if k not in (0, 1):
            raise RuntimeError("selected index k out of range")
        return input.copy(), np.zeros((), np.int64)
    d = _dim1(dim, input.ndim)
    idx = _topk_idx(input, d, k, largest)
    return np.take_along_axis(input, idx, axis=d), idx


@_topk.vjp
def _(grads, input, *, k, dim, largest, sorted):
    x = input._data
    if not x.ndim:
        return grads[0]
    d = _dim1(dim, x.ndim)
    return _scatter.public(
        grads[0], dim=d, index=_topk_idx(x, d, k, largest), shape=x.shape, accumulate=False
    )


@composite("topk")
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The k largest (or smallest) values along `dim` and their indices, always in sorted order.

    Example::
        >>> ndgrad.tensor([1., 5., 3.]).topk(2).values
        tensor([5., 3.])
    """
    return return_types.topk(
        call(_topk, (input,), {"k": k, "dim": dim, "largest": largest, "sorted": sorted})
    )
