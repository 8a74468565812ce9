"""Reductions: sum, mean, and sum_to (the engine's un-broadcast)."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import primitive

REDUCE_SAMPLES = [((2, 3), {}), ((2, 3), {"dim": 1}), ((2, 3), {"dim": (0, 1), "keepdim": True}),
                  ((2, 3, 2), {"dim": -1}), ((), {})]


def _dims(dim, ndim: int) -> tuple | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    n = max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                             f"but got {d})")
        out.append(d % n if ndim else 0)
    return tuple(out) if ndim else ()


def _keep_shape(shape: tuple, dim) -> tuple:
    dims = _dims(dim, len(shape))
    if dims is None or (not dims and dim is not None and len(shape)):
        return (1,) * len(shape)
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _sum_dtype(a: np.ndarray, dtype) -> np.dtype | None:
    if dtype is not None:
        return dtype.np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else None


@primitive("sum", grad_fn=lambda dim, keepdim, dtype: "SumBackward0" if dim is None else "SumBackward1",
           promote="same", samples=REDUCE_SAMPLES)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over all elements, or over `dim` (an int or a tuple).

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).sum(0)
        tensor([4., 6.])
    """
    dims = _dims(dim, input.ndim)
    if dims is not None and not dims and dim is not None and input.ndim:
        dims = None  # torch: sum(dim=()) reduces everything
    out = np.sum(input, axis=dims, keepdims=keepdim, dtype=_sum_dtype(input, dtype))
    return out


@sum.vjp
def _(grad, input_shape, *, dim, keepdim, dtype):
    if not keepdim:
        grad = grad.reshape(_keep_shape(input_shape, dim))
    return grad.expand(input_shape)


@primitive("mean", grad_fn=lambda dim, keepdim, dtype: "MeanBackward0" if dim is None else "MeanBackward1",
           promote="same", samples=REDUCE_SAMPLES)
def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean over all elements, or over `dim`.

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).mean()
        tensor(2.)
    """
    if dtype is None and input.dtype.kind not in "fc":
        name = _dtype._FROM_NP[input.dtype].name
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_TORCH_NAMES.get(name, name)}")
    dims = _dims(dim, input.ndim)
    if dims is not None and not dims and dim is not None and input.ndim:
        dims = None
    out = np.mean(input, axis=dims, keepdims=keepdim, dtype=None if dtype is None else dtype.np)
    return out.astype(input.dtype if dtype is None else dtype.np, copy=False)


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


@mean.vjp
def _(grad, input_shape, *, dim, keepdim, dtype):
    n_in = int(np.prod(input_shape))
    if not keepdim:
        grad = grad.reshape(_keep_shape(input_shape, dim))
    n_out = int(np.prod(grad._data.shape))
    return grad.expand(input_shape) / (n_in // n_out if n_out else 1)


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
