"""Reductions and scans: sums, products, extrema, statistics, norms, sorting and selection, plus
sum_to (the engine's un-broadcast)."""

from __future__ import annotations

import builtins
import math
import warnings
from types import SimpleNamespace
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import PUBLIC, call, composite, primitive
from .pointwise import where

INF = float("inf")
REDUCE_SAMPLES = [
    ((2, 3), {}),
    ((2, 3), {"dim": 1}),
    ((2, 3), {"dim": (0, 1), "keepdim": True}),
    ((2, 3, 2), {"dim": -1}),
    ((), {}),
]
_TORCH_NAMES = {
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
}


# *** dims ***


def _dims(dim, ndim: int) -> tuple | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    n = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})"
            )
        out.append(d % n if ndim else 0)
    return tuple(out) if ndim else ()


def _axes(dim, ndim: int) -> tuple | None:
    """NumPy axes of a reduction: None (everything) for dim None or () as torch reads them."""
    return _dims(dim, ndim) or None


def _dim1(dim: int, ndim: int) -> int:
    return _dims(dim, ndim)[0] if ndim else 0


def _keep_shape(shape: tuple, dim) -> tuple:
    dims = _dims(dim, len(shape))
    if dims is None or (not dims and dim is not None and len(shape)):
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _unreduce(t: Tensor, shape: tuple, dim, keepdim: bool) -> Tensor:
    """t with the dims an input of `shape` lost to the reduction put back as size-1 dims."""
    return t if keepdim or not shape else t.reshape(_keep_shape(shape, dim))


def _sum_dtype(a: np.ndarray, dtype) -> np.dtype | None:
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else None


def _torch_name(a: np.ndarray) -> str:
    return _TORCH_NAMES.get(a.dtype.name, a.dtype.name)


def _check_nonempty(name: str, x: np.ndarray, axes: tuple | None) -> None:
    if x.size:
        return
    if axes is None:  # torch: an IndexError from arg-reductions, a RuntimeError from the others
        msg = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        if name.startswith("arg"):
            raise IndexError(msg)
        raise RuntimeError(msg + " Specify the reduction dim with the 'dim' argument.")
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


def _no_bool(x: np.ndarray, kernel: str) -> None:
    """torch has no CPU kernel of these for bool tensors."""
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


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


# *** gather / scatter along a dim (the backward of every index-selecting op) ***


def _along(index: np.ndarray, d: int) -> tuple:
    grid = list(np.ogrid[tuple(slice(s) for s in index.shape)])
    grid[d] = index
    return tuple(grid)


@primitive(
    "_gather_dim",
    grad_fn="GatherBackward0",
    export=False,
    samples=[((3, 4), {"dim": 1, "index": np.array([[0, 2], [1, 1], [3, 0]])})],
    torch_fn=lambda torch, x, dim, index: torch.gather(x, dim, torch.from_numpy(index)),
)
def _gather(input, *, dim, index):
    return np.take_along_axis(input, index, axis=dim)


@_gather.vjp
def _(grad, input_shape, *, dim, index):
    return _scatter.public(grad, dim=dim, index=index, shape=input_shape, accumulate=True)


@primitive(
    "_scatter_dim",
    export=False,
    grad_fn=lambda dim, index, shape, accumulate: (
        "ScatterAddBackward0" if accumulate else "ScatterBackward0"
    ),
    samples=[
        (
            (3, 2),
            {
                "dim": 1,
                "index": np.array([[0, 2], [1, 3], [3, 0]]),
                "shape": (3, 4),
                "accumulate": False,
            },
        ),
        (
            (3, 2),
            {
                "dim": 0,
                "index": np.array([[0, 1], [0, 1], [0, 0]]),
                "shape": (2, 2),
                "accumulate": True,
            },
        ),
    ],
    torch_fn=lambda torch, s, dim, index, shape, accumulate: getattr(
        torch.zeros(shape, dtype=s.dtype), "scatter_add" if accumulate else "scatter"
    )(dim, torch.from_numpy(index), s),
)
def _scatter(src, *, dim, index, shape, accumulate):
    out = np.zeros(shape, dtype=src.dtype)
    np.add.at(out, _along(index, dim), src)  # indices are unique unless accumulate
    return out


@_scatter.vjp
def _(grad, *, dim, index, shape, accumulate):
    return _gather.public(grad, dim=dim, index=index)


# *** sum, mean, prod ***


@primitive(
    "sum",
    grad_fn=lambda dim, keepdim, dtype: "SumBackward0" if dim is None else "SumBackward1",
    promote="same",
    samples=REDUCE_SAMPLES,
)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over all elements, or over `dim` (an int or a tuple); bool and int inputs give int64.

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).sum(0)
        tensor([4., 6.])
    """
    return np.sum(
        input, axis=_axes(dim, input.ndim), keepdims=keepdim, dtype=_sum_dtype(input, dtype)
    )


@sum.vjp
def _(grad, input_shape, *, dim, keepdim, dtype):
    return _unreduce(grad, input_shape, dim, keepdim).expand(input_shape)


@primitive(
    "mean",
    grad_fn=lambda dim, keepdim, dtype: "MeanBackward0" if dim is None else "MeanBackward1",
    promote="same",
    samples=REDUCE_SAMPLES,
)
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over all elements, or over `dim`.

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).mean()
        tensor(2.)
    """
    if dtype is None and input.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_torch_name(input)}"
        )
    out = np.mean(
        input,
        axis=_axes(dim, input.ndim),
        keepdims=keepdim,
        dtype=None if dtype is None else dtype.np,
    )
    return out.astype(input.dtype if dtype is None else dtype.np, copy=False)


@mean.vjp
def _(grad, input_shape, *, dim, keepdim, dtype):
    return _mean_grad(grad, input_shape, dim, keepdim)


def _mean_grad(grad: Tensor, shape: tuple, dim, keepdim: bool) -> Tensor:
    g = _unreduce(grad, shape, dim, keepdim)
    return g.expand(shape) / (math.prod(shape) // builtins.max(math.prod(g._data.shape), 1))


@primitive(
    "prod",
    grad_fn=lambda dim, keepdim, dtype: "ProdBackward0" if dim is None else "ProdBackward1",
    promote="same",
    samples=[((2, 3), {}), ((2, 3), {"dim": 1}), ((2, 3), {"dim": -2, "keepdim": True}), ((), {})],
)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product of all elements, or along one `dim`; bool and int inputs give int64.

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).prod(1)
        tensor([ 2., 12.])
    """
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    axis = None if dim is None or not input.ndim else _dim1(dim, input.ndim)
    return np.prod(
        input, axis=axis, keepdims=keepdim and dim is not None, dtype=_sum_dtype(input, dtype)
    )


def _omitted_products(x: Tensor, d: int) -> Tensor:
    """prod_{j != i} x_j along d for every i, safe with zeros: the exclusive cumulative products
    from the front and from the back multiplied (torch's prod_safe_zeros_backward)."""
    n = x._data.shape[d]
    if n == 1:
        return Tensor._make(np.ones(x._data.shape, x._data.dtype))
    line = [1] * x._data.ndim
    line[d] = n
    ar = np.arange(n)
    first = Tensor._make((ar == 0).reshape(line))

    def take(t: Tensor, idx: np.ndarray) -> Tensor:
        return _gather.public(t, dim=d, index=np.broadcast_to(idx.reshape(line), x._data.shape))

    before = where(first, 1.0, take(x, np.maximum(ar - 1, 0))).cumprod(d)  # [1, x0, x0x1, ...]
    after = where(first, 1.0, take(x, (n - ar) % n)).cumprod(d)  # [1, x_{n-1}, x_{n-1}x_{n-2}, ...]
    return before * take(after, n - 1 - ar)


@prod.vjp
def _(grad, input, result, *, dim, keepdim, dtype):
    x = input._data
    if not x.ndim:
        return grad
    if dim is None:
        if not (x == 0).any():
            return grad * (result / input)
        return (grad * _omitted_products(input.reshape(-1), 0)).reshape(x.shape)
    d = _dim1(dim, x.ndim)
    if not keepdim:
        grad, result = grad.unsqueeze(d), result.unsqueeze(d)
    if not (x == 0).any():
        return grad * (result / input)
    return grad * _omitted_products(input, d)


# *** extrema ***


def _distribute(
    grad: Tensor, input: Tensor, result: Tensor, dim, keepdim: bool, nan: bool
) -> Tensor:
    """Ties share the gradient evenly (torch's scale_grad_by_count / evenly_distribute_backward);
    with nan=True a NaN result selects the NaN inputs."""
    x = input._data
    r = result._data if keepdim or not x.ndim else result._data.reshape(_keep_shape(x.shape, dim))
    mask = x == r
    if nan and x.dtype.kind == "f":
        mask |= np.isnan(x) & np.isnan(r)
    scale = mask / mask.sum(axis=_axes(dim, x.ndim), keepdims=True)  # NaN where nothing matched
    return _unreduce(grad, x.shape, dim, keepdim) * Tensor._make(scale.astype(grad._data.dtype))


def _extreme(fn, name: str, input: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    axes = _axes(dim, input.ndim)
    _check_nonempty(name, input, axes)
    return fn(input, axis=axes, keepdims=keepdim)


@primitive(
    "amax",
    grad_fn="AmaxBackward0",
    promote="same",
    samples=[
        ((2, 3), {}),
        ((2, 3), {"dim": 1}),
        ((2, 3, 2), {"dim": (0, 2), "keepdim": True}),
        ((), {}),
    ],
)
def amax(input, dim=(), keepdim=False):
    """Maximum over `dim` (all dims by default); tied maxima share the gradient evenly.

    Example::
        >>> ndgrad.tensor([[1., 5.], [3., 2.]]).amax(1)
        tensor([5., 3.])
    """
    return _extreme(np.amax, "amax", input, dim, keepdim)


@amax.vjp
def _(grad, input, result, *, dim, keepdim):
    return _distribute(grad, input, result, dim, keepdim, nan=False)


@primitive(
    "amin",
    grad_fn="AminBackward0",
    promote="same",
    samples=[((2, 3), {}), ((2, 3), {"dim": -1, "keepdim": True}), ((), {})],
)
def amin(input, dim=(), keepdim=False):
    """Minimum over `dim` (all dims by default); tied minima share the gradient evenly.

    Example::
        >>> ndgrad.tensor([[1., 5.], [3., 2.]]).amin(1)
        tensor([1., 2.])
    """
    return _extreme(np.amin, "amin", input, dim, keepdim)


@amin.vjp
def _(grad, input, result, *, dim, keepdim):
    return _distribute(grad, input, result, dim, keepdim, nan=False)


@primitive(
    "max", grad_fn="MaxBackward1", export=False, promote="same", samples=[((2, 3), {}), ((), {})]
)
def _max_all(input):
    return _extreme(np.max, "max", input, None, False)


@_max_all.vjp
def _(grad, input, result):
    return _distribute(grad, input, result, None, False, nan=True)


@primitive(
    "min", grad_fn="MinBackward1", export=False, promote="same", samples=[((2, 3), {}), ((), {})]
)
def _min_all(input):
    return _extreme(np.min, "min", input, None, False)


@_min_all.vjp
def _(grad, input, result):
    return _distribute(grad, input, result, None, False, nan=True)


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


def _arg(fn, name: str, input: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    if input.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        _check_nonempty(name, input, None)
        out = fn(input.reshape(-1))
        return np.full((1,) * input.ndim if keepdim else (), out, np.int64)
    if not input.ndim:
        _dim1(dim, 0)
        return np.zeros((), np.int64)
    d = _dim1(dim, input.ndim)
    _check_nonempty(name, input, (d,))
    return fn(input, axis=d, keepdims=keepdim).astype(np.int64, copy=False)


@primitive(
    "argmax",
    differentiable=False,
    promote="same",
    samples=[((2, 3), {}), ((2, 3), {"dim": 1, "keepdim": True})],
)
def argmax(input, dim=None, keepdim=False):
    """Index of the (first) maximum, in the flattened tensor or along `dim`.

    Example::
        >>> ndgrad.tensor([[1., 5.], [3., 2.]]).argmax(1)
        tensor([1, 0])
    """
    return _arg(np.argmax, "argmax", input, dim, keepdim)


@primitive(
    "argmin", differentiable=False, promote="same", samples=[((2, 3), {}), ((2, 3), {"dim": 0})]
)
def argmin(input, dim=None, keepdim=False):
    """Index of the (first) minimum, in the flattened tensor or along `dim`.

    Example::
        >>> ndgrad.tensor([3., 1., 2.]).argmin()
        tensor(1)
    """
    return _arg(np.argmin, "argmin", input, dim, keepdim)


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


# *** statistics ***


def _check_float(name: str, x: np.ndarray) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{name} only support floating point and complex dtypes")


def _var(x: np.ndarray, dim, correction, keepdim: bool, name: str) -> tuple:
    """(var, mean) with torch's divisor max(0, N - correction) and its warning when it is <= 0."""
    _check_float("std and var", x)
    axes = _axes(dim, x.ndim)
    dof = _count(x.shape, axes) - (1 if correction is None else correction)
    m = np.mean(x, axis=axes, keepdims=True)
    d = x - m
    ss = np.sum(d * d, axis=axes, keepdims=keepdim)
    if dof > 0:
        v = ss / dof
    else:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
            "than the reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=4,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            v = ss / 0.0
    v = np.asarray(v, dtype=x.dtype)
    return v, (m if keepdim else m.reshape(v.shape))


def _count(shape: tuple, axes: tuple | None) -> int:
    """How many elements a reduction over axes combines."""
    return math.prod(shape) if axes is None else math.prod([shape[a] for a in axes])


def _var_backward(grad: Tensor, input: Tensor, dim, correction, keepdim: bool) -> Tensor:
    """2 (x - mean) / (N - correction), with torch's inf / NaN where N <= correction."""
    shape = input._data.shape
    axes = _axes(dim, len(shape))
    dof = _count(shape, axes) - (1 if correction is None else correction)
    centred = input - input.mean(axes, True)
    grad = _unreduce(grad, shape, dim, keepdim)
    if axes is not None or dof > 0:
        return grad * centred * (2.0 / dof if dof else INF)
    # 2 / 0 is infinite: inf * 0 is NaN where x equals the mean, inf elsewhere
    return grad * Tensor._make(
        np.where(centred._data == 0, np.nan, np.inf).astype(centred._data.dtype)
    )


def _std_grad(grad: Tensor, result: Tensor) -> Tensor:
    # d std = d var / (2 std); torch masks the std == 0 points to 0
    return where(Tensor._make(result._data == 0), 0.0, grad / (result * 2))


_VAR_SAMPLES = [
    ((2, 3), {}),
    ((2, 3), {"dim": 1, "correction": 0}),
    ((2, 3), {"dim": (0, 1), "keepdim": True}),
    ((3, 2), {"dim": 0, "correction": 2}),
]


@primitive("var", grad_fn="VarBackward0", export=False, promote="same", samples=_VAR_SAMPLES)
def _var_op(input, dim=None, *, correction=None, keepdim=False):
    return _var(input, dim, correction, keepdim, "var")[0]


@_var_op.vjp
def _(grad, input, *, dim, correction, keepdim):
    return _var_backward(grad, input, dim, correction, keepdim)


@primitive("std", grad_fn="StdBackward0", export=False, promote="same", samples=_VAR_SAMPLES)
def _std_op(input, dim=None, *, correction=None, keepdim=False):
    return np.sqrt(_var(input, dim, correction, keepdim, "std")[0])


@_std_op.vjp
def _(grad, input, result, *, dim, correction, keepdim):
    return _var_backward(_std_grad(grad, result), input, dim, correction, keepdim)


@primitive(
    "var_mean",
    grad_fn="VarMeanBackward0",
    export=False,
    n_outputs=2,
    promote="same",
    samples=_VAR_SAMPLES[:3],
)
def _var_mean_op(input, dim=None, *, correction=None, keepdim=False):
    return _var(input, dim, correction, keepdim, "var_mean")


@_var_mean_op.vjp
def _(grads, input, *, dim, correction, keepdim):
    shape = input._data.shape
    return _var_backward(grads[0], input, dim, correction, keepdim) + _mean_grad(
        grads[1], shape, dim, keepdim
    )


@primitive(
    "std_mean",
    grad_fn="StdMeanBackward0",
    export=False,
    n_outputs=2,
    promote="same",
    samples=_VAR_SAMPLES[:3],
)
def _std_mean_op(input, dim=None, *, correction=None, keepdim=False):
    v, m = _var(input, dim, correction, keepdim, "std_mean")
    return np.sqrt(v), m


@_std_mean_op.vjp
def _(grads, input, result, *, dim, correction, keepdim):
    shape = input._data.shape
    gv = _std_grad(grads[0], result)
    return _var_backward(gv, input, dim, correction, keepdim) + _mean_grad(
        grads[1], shape, dim, keepdim
    )


def _var_args(dim, unbiased, correction) -> tuple:
    """Resolve torch's overloads: (dim, unbiased, keepdim), (unbiased,), (dim, *, correction)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None:
        if correction is not None:
            raise TypeError(
                "var() received an invalid combination of arguments - got both "
                "'unbiased' and 'correction'"
            )
        correction = int(unbiased)
    return dim, correction


def _stat(op, input: Tensor, dim, unbiased, keepdim, correction) -> Any:
    dim, correction = _var_args(dim, unbiased, correction)
    return call(op, (input,), {"dim": dim, "correction": correction, "keepdim": keepdim})


_STAT_SAMPLES = [((2, 3), {}), ((2, 3), {"dim": 1, "unbiased": False, "keepdim": True})]


@composite("var", samples=_STAT_SAMPLES)
def var(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> Tensor:
    """Variance over `dim` with Bessel's correction (correction=1) unless told otherwise.

    Example::
        >>> ndgrad.tensor([1., 2., 3., 4.]).var()
        tensor(1.6667)
    """
    return _stat(_var_op, input, dim, unbiased, keepdim, correction)


@composite("std", samples=_STAT_SAMPLES)
def std(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> Tensor:
    """Standard deviation: the square root of var (same arguments).

    Example::
        >>> ndgrad.tensor([1., 2., 3., 4.]).std(correction=0)
        tensor(1.1180)
    """
    return _stat(_std_op, input, dim, unbiased, keepdim, correction)


@composite("var_mean", method=False, samples=_STAT_SAMPLES)
def var_mean(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> tuple:
    """(var, mean) in one pass; arguments as var.

    Example::
        >>> ndgrad.var_mean(ndgrad.tensor([1., 3.]))
        (tensor(2.), tensor(2.))
    """
    return _stat(_var_mean_op, input, dim, unbiased, keepdim, correction)


@composite("std_mean", method=False, samples=_STAT_SAMPLES)
def std_mean(
    input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None
) -> tuple:
    """(std, mean) in one pass; arguments as var.

    Example::
        >>> ndgrad.std_mean(ndgrad.tensor([1., 3.]), correction=0)
        (tensor(1.), tensor(2.))
    """
    return _stat(_std_mean_op, input, dim, unbiased, keepdim, correction)


@primitive(
    "logsumexp",
    grad_fn="LogsumexpBackward0",
    inputs=("input",),
    promote="float",
    samples=[((2, 3), {"dim": 1}), ((2, 3), {"dim": (0, 1), "keepdim": True}), ((), {"dim": 0})],
)
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(input))) over `dim`, computed without overflow.

    Example::
        >>> ndgrad.tensor([0., 0.]).logsumexp(0)
        tensor(0.6931)
    """
    axes = _axes(dim, input.ndim)
    m = np.amax(input, axis=axes, keepdims=True) if input.size else np.zeros((1,) * input.ndim)
    m = np.where(np.isfinite(m), m, 0).astype(input.dtype, copy=False)  # keeps ±inf exact
    out = np.log(np.sum(np.exp(input - m), axis=axes, keepdims=True)) + m
    return out if keepdim else out.reshape(_reduced_shape(input.shape, axes))


def _reduced_shape(shape: tuple, axes: tuple | None) -> tuple:
    return () if axes is None else tuple(s for i, s in enumerate(shape) if i not in axes)


@logsumexp.vjp
def _(grad, input, result, *, dim, keepdim):
    shape = input._data.shape
    return (
        _unreduce(grad, shape, dim, keepdim)
        * (input - _unreduce(result, shape, dim, keepdim)).exp()
    )


# *** norms ***


def _vnorm(x: np.ndarray, ord: float, axes: tuple | None, keepdim: bool) -> np.ndarray:
    a = np.abs(x)
    if ord == INF or ord == -INF:
        if x.size == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                "because the operation does not have an identity"
            )
        return (np.amax if ord > 0 else np.amin)(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return np.sum(a != 0, axis=axes, keepdims=keepdim).astype(x.dtype)
    if ord == 1:
        return np.sum(a, axis=axes, keepdims=keepdim)
    if ord == 2:
        return np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
    with np.errstate(divide="ignore"):
        return np.power(np.sum(np.power(a, ord), axis=axes, keepdims=keepdim), 1.0 / ord)


@primitive(
    "linalg_vector_norm",
    grad_fn="LinalgVectorNormBackward0",
    export=False,
    promote="same",
    samples=[
        ((2, 3), {}),
        ((2, 3), {"ord": 1, "dim": 1}),
        ((2, 3), {"ord": INF}),
        ((2, 3), {"ord": -INF, "dim": 0}),
        ((2, 3), {"ord": 3, "dim": (0, 1), "keepdim": True}),
        ((2, 3), {"ord": 0.5, "dim": -1}),
        ((3,), {"ord": 1.5}),
        ((), {}),
    ],
    kinks=(0.0,),
    torch_fn=lambda torch, x, **kw: torch.linalg.vector_norm(x, **kw),
)
def _vector_norm(input, ord=2, dim=None, keepdim=False, *, dtype=None):
    if input.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as "
            f"input. Got {_torch_name(input)}"
        )
    if dtype is not None:
        if np.promote_types(input.dtype, dtype.np) != dtype.np:
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({_torch_name(input)}) "
                "should be convertible without narrowing to the specified dtype "
                f"({_TORCH_NAMES.get(dtype.name, dtype.name)})"
            )
        input = input.astype(dtype.np)
    return _vnorm(input, float(ord), _axes(dim, input.ndim), keepdim)


@_vector_norm.vjp
def _(grad, input, result, *, ord, dim, keepdim, dtype):
    shape = input._data.shape
    p = float(ord)
    g, norm = _unreduce(grad, shape, dim, keepdim), _unreduce(result, shape, dim, keepdim)
    if p == 0:
        return None
    if p == 1:
        return input.sign() * g
    if p == 2:
        return g * where(Tensor._make(norm._data == 0), 0.0, input / norm)
    a = input.abs()
    if p in (INF, -INF):
        mask = (a._data == norm._data) | np.isnan(a._data)
        scale = mask / mask.sum(axis=_axes(dim, len(shape)), keepdims=True)
        return input.sign() * (g * Tensor._make(scale.astype(g._data.dtype)))
    zero = Tensor._make(norm._data == 0)
    if p < 1:
        scaled = input.sign() * where(Tensor._make(input._data == 0), 0.0, a ** (p - 1))
        return scaled * g * norm ** (1 - p)
    if p < 2:
        return input.sign() * a ** (p - 1) * where(zero, 0.0, g / norm ** (p - 1))
    return input * a ** (p - 2) * where(zero, 0.0, g / norm ** (p - 1))


_NORM_KW = {"kinks": (0.0,)}


@composite(
    "vector_norm",
    export=False,
    method=False,
    samples=[((2, 3), {}), ((2, 3), {"ord": INF, "dim": 1, "keepdim": True})],
    torch_fn=lambda torch, x, **kw: torch.linalg.vector_norm(x, **kw),
    **_NORM_KW,
)
def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector ord-norm of x over `dim` (all elements by default): sum(|x|^ord)^(1/ord),
    max|x| for inf, min|x| for -inf, the count of non-zeros for 0.

    Example::
        >>> ndgrad.linalg.vector_norm(ndgrad.tensor([3., 4.]))
        tensor(5.)
    """
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' (position 2) must be Number, not str")
    if isinstance(dim, list):
        dim = tuple(dim)
    return call(_vector_norm, (x,), {"ord": ord, "dim": dim, "keepdim": keepdim, "dtype": dtype})


@composite(
    "matrix_norm",
    export=False,
    method=False,
    samples=[
        ((2, 3), {}),
        ((2, 3), {"ord": 1}),
        ((3, 2), {"ord": -1, "keepdim": True}),
        ((2, 3, 2), {"ord": INF, "dim": (2, 0)}),
        ((3, 2), {"ord": -INF}),
        ((3, 2), {"ord": 2}),
        ((2, 3, 2), {"ord": -2, "dim": (0, 2), "keepdim": True}),
        ((2, 3), {"ord": "nuc"}),
    ],
    torch_fn=lambda torch, x, **kw: torch.linalg.matrix_norm(x, **kw),
    **_NORM_KW,
)
def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """The matrix norm over the two dims `dim`: 'fro', 'nuc', 1 / -1 (max / min column abs-sum),
    inf / -inf (max / min row abs-sum), 2 / -2 (largest / smallest singular value).

    Example::
        >>> ndgrad.linalg.matrix_norm(ndgrad.tensor([[1., -2.], [3., 4.]]), 1)
        tensor(6.)
    """
    x = A._data
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            "linalg.matrix_norm: Expected a floating point or complex tensor as "
            f"input. Got {_torch_name(x)}"
        )
    if x.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    dim = tuple(dim)
    if len(dim) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}"
        )
    d0, d1 = _dims(dim, x.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord == "nuc" or ord in (2, -2):
        from ..linalg import svdvals  # the public torch.linalg.svdvals, wherever it lives

        # singular values of the matrices moved to the end; torch records the same chain
        perm = [i for i in range(x.ndim) if i not in (d0, d1)] + [d0, d1]
        s = svdvals((A if dtype is None else A.to(dtype)).permute(*perm))
        out = s.sum(-1, keepdim) if ord == "nuc" else (amax if ord > 0 else amin)(s, -1, keepdim)
        return out.unsqueeze(-1).permute(*np.argsort(perm)) if keepdim else out
    if isinstance(ord, str) or abs(ord) not in (1, INF):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if abs(ord) == INF:
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1  # the first reduction removed a dim in front of d1
    col = vector_norm(A, 1.0, d0, keepdim, dtype=dtype)
    return (amax if ord > 0 else amin)(col, d1, keepdim)


@composite(
    "linalg_norm",
    export=False,
    method=False,
    samples=[
        ((2, 3), {}),
        ((3,), {"ord": INF}),
        ((2, 3), {"ord": -1}),
        ((2, 3, 2), {"ord": 3, "dim": 1}),
        ((2, 3, 2), {"ord": "fro", "dim": (0, 2)}),
    ],
    torch_fn=lambda torch, x, **kw: torch.linalg.norm(x, **kw),
    **_NORM_KW,
)
def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """torch.linalg.norm: a matrix norm for a string ord or a 2-tuple dim, else a vector norm
    (of all elements when ord and dim are both None).

    Example::
        >>> ndgrad.linalg.norm(ndgrad.tensor([[1., 2.], [3., 4.]]), 1)
        tensor(6.)
    """
    if dim is not None:
        dim = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError(
                "linalg.norm: If dim is not specified but ord is, the input must be "
                f"1D or 2D. Got {A.ndim}D."
            )
        dim = tuple(range(A.ndim))
    if isinstance(ord, str) or len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


@composite(
    "norm",
    samples=[
        ((2, 3), {}),
        ((2, 3), {"p": 1, "dim": 1}),
        ((2, 3), {"p": INF}),
        ((2, 3), {"p": "fro", "dim": (0, 1), "keepdim": True}),
        ((2, 3), {"p": "nuc"}),
    ],
    **_NORM_KW,
)
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """torch.norm: the Frobenius / vector p-norm over `dim` (all elements by default), or a
    matrix norm ('nuc', or 'fro' over more than two dims).

    Example::
        >>> ndgrad.tensor([3., 4.]).norm()
        tensor(5.)
    """
    d = None if dim is None else ((dim,) if isinstance(dim, (int, np.integer)) else tuple(dim))
    if isinstance(p, str):
        if p == "fro" and (d is None or len(d) <= 2):
            return vector_norm(input, 2, d, keepdim, dtype=dtype)
        return matrix_norm(
            input, p, d if d is not None else tuple(range(input.ndim)), keepdim, dtype=dtype
        )
    return vector_norm(input, 2.0 if p is None else p, d, keepdim, dtype=dtype)


# *** scans ***


@primitive(
    "_reverse_cumsum",
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
    "cumsum", grad_fn="CumsumBackward0", inputs=("input",), promote="same", samples=_SCAN_SAMPLES
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
    "cumprod", grad_fn="CumprodBackward0", inputs=("input",), promote="same", samples=_SCAN_SAMPLES
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


# *** logical reductions (no gradient) ***


def _logical(fn, input: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    out = fn(input, axis=_axes(dim, input.ndim), keepdims=keepdim)
    return out.astype(np.uint8) if input.dtype == np.uint8 else out  # torch keeps uint8


@primitive(
    "all",
    differentiable=False,
    promote="same",
    bool_inputs=("input",),
    samples=[((2, 3), {}), ((2, 3), {"dim": 1, "keepdim": True}), ((2, 3), {"dim": (0, 1)})],
)
def all(input, dim=None, keepdim=False):
    """True if every element (along `dim`) is non-zero.

    Example::
        >>> ndgrad.tensor([True, False]).all()
        tensor(False)
    """
    return _logical(np.all, input, dim, keepdim)


@primitive(
    "any",
    differentiable=False,
    promote="same",
    bool_inputs=("input",),
    samples=[((2, 3), {}), ((2, 3), {"dim": 0})],
)
def any(input, dim=None, keepdim=False):
    """True if some element (along `dim`) is non-zero.

    Example::
        >>> ndgrad.tensor([True, False]).any()
        tensor(True)
    """
    return _logical(np.any, input, dim, keepdim)


@primitive(
    "count_nonzero",
    differentiable=False,
    promote="same",
    bool_inputs=("input",),
    samples=[((2, 3), {}), ((2, 3), {"dim": 1}), ((2, 3), {"dim": (0, 1)})],
)
def count_nonzero(input, dim=None):
    """The number of non-zero elements (along `dim`), as int64.

    Example::
        >>> ndgrad.tensor([1., 0., 2.]).count_nonzero()
        tensor(2)
    """
    return np.asarray(np.count_nonzero(input, axis=_axes(dim, input.ndim)), dtype=np.int64)


# *** un-broadcast (the engine's) ***


def sum_to(grad: Tensor, shape: tuple) -> Tensor:
    """Sum grad over the dimensions that broadcasting added or expanded, so it has `shape`.

    Raises ValueError when grad's shape does not broadcast from `shape`.
    """
    gshape = grad._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum {gshape} to {shape}")
    dims = list(range(lead))
    for i, s in enumerate(shape):
        g = gshape[lead + i]
        if s == 1 and g != 1:
            dims.append(lead + i)
        elif s != g:
            raise ValueError(f"cannot sum {gshape} to {shape}")
    out = grad.sum(tuple(dims), keepdim=True) if dims else grad
    return out.reshape(shape) if out._data.shape != shape else out
