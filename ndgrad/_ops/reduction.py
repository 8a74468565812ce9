"""Reductions: sums, products, extrema, logsumexp and logical reductions (sum_to, the engine's
un-broadcast, lives in ndgrad/_broadcast.py and is re-exported here). Sorting and selection live in sorting.py, var/std and norms in
statistics.py, running scans in scan.py."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from .._broadcast import sum_to  # noqa: F401  (rules import it from here)
from .._dtype import SCALAR_TYPE_NAMES
from .._tensor import Tensor
from ._registry import primitive
from .pointwise import where

INF = float("inf")
REDUCE_SAMPLES = [
    ((2, 3), {}),
    ((2, 3), {"dim": 1}),
    ((2, 3), {"dim": (0, 1), "keepdim": True}),
    ((2, 3, 2), {"dim": -1}),
    ((), {}),
]


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
    return SCALAR_TYPE_NAMES.get(a.dtype.name, a.dtype.name)


def _check_nonempty(name: str, x: np.ndarray, axes: tuple | None, label: str = "") -> None:
    if x.size:
        return
    label = label or f"{name}():"  # hash_tensor's messages say "hash_tensor:"
    if axes is None:  # torch: an IndexError from arg-reductions, a RuntimeError from the others
        msg = f"{label} Expected reduction dim to be specified for input.numel() == 0."
        if name.startswith("arg"):
            raise IndexError(msg)
        raise RuntimeError(msg + " Specify the reduction dim with the 'dim' argument.")
    for a in axes:
        if x.shape[a] == 0:
            raise IndexError(f"{label} Expected reduction dim {a} to have non-zero size.")


def _no_bool(x: np.ndarray, kernel: str) -> None:
    """torch has no CPU kernel of these for bool tensors."""
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


# *** gather / scatter along a dim (the backward of every index-selecting op) ***


def _along(index: np.ndarray, d: int) -> tuple:
    grid = list(np.ogrid[tuple(slice(s) for s in index.shape)])
    grid[d] = index
    return tuple(grid)


@primitive(
    "_gather_dim",
    complex=True,
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
    complex=True,
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
    complex=True,
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
    # np.sum's own call on an ndarray, without its Python wrapper (microseconds per backward)
    return np.add.reduce(
        input, axis=_axes(dim, input.ndim), keepdims=keepdim, dtype=_sum_dtype(input, dtype)
    )


@sum.vjp
def _(grad, input_shape, *, dim, keepdim, dtype):
    return _unreduce(grad, input_shape, dim, keepdim).expand(input_shape)


@primitive(
    "mean",
    complex=True,
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
    axes = _axes(dim, input.ndim)
    if dtype is None and input.dtype.kind == "f" and input.dtype.itemsize >= 4 and input.size:
        return _float_mean(input, axes, keepdim)
    out = np.mean(input, axis=axes, keepdims=keepdim, dtype=None if dtype is None else dtype.np)
    return out.astype(input.dtype if dtype is None else dtype.np, copy=False)


def _float_mean(a: np.ndarray, axes: tuple | None, keepdim: bool) -> np.ndarray:
    """np.mean of a float32/64 array, computed as np.mean computes it (the sum, divided by the
    count as an intp in place) without its Python wrapper's cost."""
    count = a.size if axes is None else math.prod(a.shape[d] for d in axes)
    total = np.add.reduce(a, axis=axes, keepdims=keepdim)
    if type(total) is np.ndarray:
        return np.true_divide(total, np.intp(count), out=total, casting="unsafe")
    return np.asarray(total.dtype.type(total / np.intp(count)))


@mean.vjp
def _(grad, input_shape, *, dim, keepdim, dtype):
    return _mean_grad(grad, input_shape, dim, keepdim)


def _mean_grad(grad: Tensor, shape: tuple, dim, keepdim: bool) -> Tensor:
    if dim is None:  # over everything: the gradient (0-d, or all ones with keepdim) expands as is
        return grad.expand(shape) / math.prod(shape)
    g = _unreduce(grad, shape, dim, keepdim)
    return g.expand(shape) / (math.prod(shape) // builtins.max(math.prod(g._data.shape), 1))


@primitive(
    "prod",
    complex="holomorphic",
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


# *** index of the extremum (no gradient) ***


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


# *** logsumexp ***


@primitive(
    "logsumexp",
    complex="holomorphic",
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
    re = input.real  # complex input: shift by the largest real part (|exp| depends only on it)
    m = np.amax(re, axis=axes, keepdims=True) if input.size else np.zeros((1,) * input.ndim)
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


# *** logical reductions (no gradient) ***


def _logical(fn, input: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    out = fn(input, axis=_axes(dim, input.ndim), keepdims=keepdim)
    return out.astype(np.uint8) if input.dtype == np.uint8 else out  # torch keeps uint8


@primitive(
    "all",
    complex=True,
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
    complex=True,
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
    complex=True,
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


# *** moved ops: the old `from .reduction import ...` paths keep working ***

_MOVED = {
    **dict.fromkeys(("return_types", "max", "min", "median", "mode", "kthvalue"), "sorting"),
    **dict.fromkeys(("sort", "argsort", "topk"), "sorting"),
    **dict.fromkeys(("var", "std", "var_mean", "std_mean", "norm", "linalg_norm"), "statistics"),
    **dict.fromkeys(("vector_norm", "matrix_norm"), "statistics"),
    **dict.fromkeys(("cumsum", "cumprod", "cummax", "cummin"), "scan"),
}


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{_MOVED[name]}", __package__), name)
