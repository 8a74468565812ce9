"""Running scans along one dim: cumsum, cumprod (exact at zeros, to any order), and cummax /
cummin with the indices where each running value was last attained."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import call, composite, primitive
from .pointwise import where
from .reduction import _dim1, _scatter, _sum_dtype
from .sorting import return_types

# *** scans ***


@primitive(
    "_reverse_cumsum",
    complex=True,
    grad_fn="FlipBackward0",
    export=False,
    samples=[((2, 3), {"dim": 1})],
    torch_fn=lambda torch, g, dim: g.flip(dim).cumsum(dim).flip(dim),
)
def _reverse_cumsum(input, *, dim):
    return np.flip(np.cumsum(np.flip(input, dim), axis=dim), dim)


@_reverse_cumsum.vjp
def _(grad, *, dim):
    return grad.cumsum(dim)


_SCAN_SAMPLES = [((2, 3), {"dim": 1}), ((3, 2), {"dim": 0}), ((4,), {"dim": -1}), ((), {"dim": 0})]


def _scan(fn, input: np.ndarray, dim: int, dtype) -> np.ndarray:
    if not input.ndim:
        _dim1(dim, 0)
        return input.astype(_sum_dtype(input, dtype) or input.dtype)
    return fn(input, axis=_dim1(dim, input.ndim), dtype=_sum_dtype(input, dtype))


@primitive(
    "cumsum", complex=True, grad_fn="CumsumBackward0", inputs=("input",), promote="same",
    samples=_SCAN_SAMPLES, inplace=True,
)
def cumsum(input, dim, *, dtype=None):
    """Running sums along `dim`; bool and int inputs give int64.

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).cumsum(0)
        tensor([1., 3., 6.])
    """
    return _scan(np.cumsum, input, dim, dtype)


@cumsum.vjp
def _(grad, input_shape, *, dim, dtype):
    if not input_shape:
        return grad
    return _reverse_cumsum.public(grad, dim=_dim1(dim, len(input_shape)))


def _cumprod_grad_first_order(grad: Tensor, input: Tensor, result: Tensor, d: int) -> Tensor:
    """O(n) gradient with zeros (first order only): up to the first zero z the usual
    reverse-cumsum(g y) / x; at z the sum of g_j * prod_{i <= j, i != z} x_i; after it zero."""
    x = input._data
    zc = np.cumsum(x == 0, axis=d)
    before, first = Tensor._make(zc == 0), Tensor._make((x == 0) & (zc == 1))
    part_before = _reverse_cumsum.public(where(before, grad * result, 0.0), dim=d) / where(
        before, input, 1.0
    )
    skip_z = where(first, 1.0, input).cumprod(d)
    part_first = where(Tensor._make(zc >= 1), grad * skip_z, 0.0).sum(d, True)
    return where(before, part_before, where(first, part_first, 0.0))


def _cumprod_grad_exact(grad: Tensor, input: Tensor, d: int) -> Tensor:
    """Differentiable at every order with zeros, in O(n^2) along d: row k of a matrix holds x
    with x_k replaced by 1, so its cumprod at column j is prod_{i <= j, i != k} x_i."""
    n = input._data.shape[d]
    xt, gt = input.transpose(d, -1), grad.transpose(d, -1)
    rows = where(
        Tensor._make(np.eye(n, dtype=bool)), 1.0, xt.unsqueeze(-2).expand(*xt.shape[:-1], n, n)
    )
    upper = Tensor._make(np.triu(np.ones((n, n), dtype=bool)))  # only j >= k contributes
    return (where(upper, rows.cumprod(-1), 0.0) * gt.unsqueeze(-2)).sum(-1).transpose(d, -1)


@primitive(
    "cumprod", complex="holomorphic", grad_fn="CumprodBackward0", inputs=("input",),
    promote="same", samples=_SCAN_SAMPLES, inplace=True,
)
def cumprod(input, dim, *, dtype=None):
    """Running products along `dim`; bool and int inputs give int64.

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).cumprod(0)
        tensor([1., 2., 6.])
    """
    return _scan(np.cumprod, input, dim, dtype)


@cumprod.vjp
def _(grad, input, result, *, dim, dtype):
    x = input._data
    if x.size <= 1:
        return grad
    d = _dim1(dim, x.ndim)
    if x.shape[d] == 1:
        return grad
    if not (x == 0).any():
        return _reverse_cumsum.public(grad * result, dim=d) / input
    if not STATE.enabled:  # like torch: the O(n) formula when no graph of the gradient is needed
        return _cumprod_grad_first_order(grad, input, result, d)
    return _cumprod_grad_exact(grad, input, d)


def _cum_extreme(x: np.ndarray, dim: int, ufunc) -> tuple:
    if not x.ndim:
        _dim1(dim, 0)
        return x.copy(), np.zeros((), np.int64)
    d = _dim1(dim, x.ndim)
    vals = ufunc.accumulate(x, axis=d) if x.size else x.copy()
    # torch moves the index on ties (>=) and on every NaN
    hit = x == vals
    if x.dtype.kind == "f":
        hit |= np.isnan(x)
    line = [1] * x.ndim
    line[d] = x.shape[d]
    idx = np.where(hit, np.arange(x.shape[d]).reshape(line), 0)
    return vals, (np.maximum.accumulate(idx, axis=d) if x.size else idx).astype(np.int64)


def _cum_vjp(grads: tuple, input: Tensor, dim: int, ufunc) -> Tensor:
    x = input._data
    if not x.ndim or not x.size:
        return grads[0]
    d = _dim1(dim, x.ndim)
    idx = _cum_extreme(x, d, ufunc)[1]
    return _scatter.public(grads[0], dim=d, index=idx, shape=x.shape, accumulate=True)


@primitive(
    "cummax",
    grad_fn="CummaxBackward0",
    export=False,
    n_outputs=2,
    inputs=("input",),
    promote="same",
    samples=[((2, 4), {"dim": 1}), ((3,), {"dim": 0})],
)
def _cummax(input, dim):
    return _cum_extreme(input, dim, np.maximum)


@_cummax.vjp
def _(grads, input, *, dim):
    return _cum_vjp(grads, input, dim, np.maximum)


@primitive(
    "cummin",
    grad_fn="CumminBackward0",
    export=False,
    n_outputs=2,
    inputs=("input",),
    promote="same",
    samples=[((2, 4), {"dim": 1}), ((3,), {"dim": 0})],
)
def _cummin(input, dim):
    return _cum_extreme(input, dim, np.minimum)


@_cummin.vjp
def _(grads, input, *, dim):
    return _cum_vjp(grads, input, dim, np.minimum)


@composite("cummax")
def cummax(input: Tensor, dim: int) -> Any:
    """Running maximum along `dim` and the index where each running value was last attained.

    Example::
        >>> ndgrad.tensor([1., 3., 2.]).cummax(0).indices
        tensor([0, 1, 1])
    """
    return return_types.cummax(call(_cummax, (input,), {"dim": dim}))


@composite("cummin")
def cummin(input: Tensor, dim: int) -> Any:
    """Running minimum along `dim` and the index where each running value was last attained.

    Example::
        >>> ndgrad.tensor([3., 1., 2.]).cummin(0).values
        tensor([3., 1., 1.])
    """
    return return_types.cummin(call(_cummin, (input,), {"dim": dim}))
