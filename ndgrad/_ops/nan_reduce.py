"""Reductions that skip NaN (nansum, nanmean, nanmedian), quantiles, aminmax, msort and\nhash_tensor."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import call, composite, primitive
from .numeric import named_pair
from .reduction import (
    REDUCE_SAMPLES, _axes, _check_nonempty, _dim1, _distribute, _dims, _keep_shape, _no_bool,
    _sum_dtype, _unreduce,
)
from .pointwise import where
from .sorting import _select, _select_vjp, return_types

_Aminmax = named_pair("aminmax", "min", "max")
return_types.nanmedian = type("nanmedian", (return_types.median,), {"__slots__": ()})


def _no_nan(x: np.ndarray) -> np.ndarray:
    return ~np.isnan(x) if x.dtype.kind == "f" else np.ones(x.shape, np.bool_)


# *** nansum, nanmean ***

@primitive("nansum", grad_fn="NansumBackward0", promote="same", samples=REDUCE_SAMPLES)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over all elements or over `dim`, counting NaN as zero.

    Example::
        >>> ndgrad.nansum(ndgrad.tensor([1., float("nan"), 2.]))
        tensor(3.)
    """
    axes = _axes(dim, input.ndim)
    return np.nansum(input, axis=axes, keepdims=keepdim, dtype=_sum_dtype(input, dtype))


@nansum.vjp
def _(grad, input, *, dim, keepdim, dtype):
    g = _unreduce(grad, input._data.shape, dim, keepdim).expand(input._data.shape)
    return where(input.isnan(), 0.0, g) if input._data.dtype.kind == "f" else g


@composite("nanmean", samples=REDUCE_SAMPLES)
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none).

    Example::
        >>> ndgrad.nanmean(ndgrad.tensor([1., float("nan"), 2.]))
        tensor(1.5000)
    """
    x = input._data
    if x.dtype.kind != "f" and (dtype is None or dtype.np.kind != "f"):
        name = (dtype or input.dtype).name
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_dtype.SCALAR_TYPE_NAMES.get(name, name)}")
    count = input.isnan().logical_not().sum(dim, keepdim) if dim is not None else \
        input.isnan().logical_not().sum()
    total = nansum(input, dim, keepdim, dtype=dtype)
    return total / count


# *** nanmedian ***

def _pick_nanmedian(x: np.ndarray, d: int) -> np.ndarray:
    """The lower median of the non-NaN values along d (index 0 where all are NaN)."""
    order = np.argsort(x, axis=d, kind="stable")  # NaNs sort last
    k = np.sum(_no_nan(x), axis=d, keepdims=True)
    return np.take_along_axis(order, np.maximum(k - 1, 0) // 2, axis=d)


@primitive("nanmedian", grad_fn="NanmedianBackward0", export=False, promote="same",
           samples=[((2, 3), {}), ((4,), {})])
def _nanmedian_all(input):
    _no_bool(input, "nanmedian_cpu")
    flat = input.reshape(-1)
    if flat.dtype.kind == "f":
        flat = flat[~np.isnan(flat)]
    if not flat.size:
        return np.array(np.nan, dtype=input.dtype)
    return np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2].copy()


@_nanmedian_all.vjp
def _(grad, input, result):
    return _distribute(grad, input, result, None, False, nan=True)


@primitive("nanmedian_dim", inputs=("input",), grad_fn="NanmedianBackward1", export=False,
           n_outputs=2, promote="same",
           samples=[((2, 3), {"dim": 1}), ((2, 4), {"dim": 0, "keepdim": True}),
                    ((), {"dim": 0})],
           torch_fn=lambda torch, x, dim, keepdim=False: torch.nanmedian(x, dim, keepdim))
def _nanmedian_dim(input, dim, keepdim=False):
    _no_bool(input, "nanmedian_out")
    return _select(_pick_nanmedian, "nanmedian", input, dim, keepdim)


@_nanmedian_dim.vjp
def _(grads, input, *, dim, keepdim):
    return _select_vjp(_pick_nanmedian, grads, input, dim, keepdim)


@composite("nanmedian", samples=[((3, 2), {}), ((3, 2), {"dim": 0})])
def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """median ignoring NaN: of all elements, or along `dim` as (values, indices).

    Example::
        >>> ndgrad.nanmedian(ndgrad.tensor([1., float("nan"), 3., 2.]))
        tensor(2.)
    """
    if dim is None:
        return call(_nanmedian_all, (input,), {})
    return return_types.nanmedian(call(_nanmedian_dim, (input,),
                                       {"dim": dim, "keepdim": keepdim}))


# *** quantiles ***

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _check_quantile(input: Tensor, q: Any, interpolation: str, name: str) -> np.ndarray:
    if input._data.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if q._data.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        qs = q._data.astype(np.float64)
    else:
        qs = np.asarray(float(q))
    if qs.size and not ((qs >= 0) & (qs <= 1)).all():
        bad = qs.reshape(-1)[~((qs.reshape(-1) >= 0) & (qs.reshape(-1) <= 1))][0]
        if isinstance(q, Tensor):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {bad}")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")
    if input._data.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    return qs


def _quantile(input: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str,
              ignore_nan: bool, name: str) -> Tensor:
    qs = _check_quantile(input, q, interpolation, name)
    shape = input._data.shape
    if dim is None:
        rows, out_shape = input.reshape(-1), ((1,) * len(shape) if keepdim else ())
    elif not shape:
        _dim1(dim, 0)
        rows, out_shape = input.reshape(1), ()
    else:
        d = _dim1(dim, len(shape))
        rows = input.movedim(d, -1)  # (*other dims, n)
        out_shape = _keep_shape(shape, d) if keepdim else shape[:d] + shape[d + 1:]
    srt = rows.sort(-1).values  # NaN sorts last
    x = srt._data
    n = x.shape[-1]
    valid = np.sum(~np.isnan(x), axis=-1, keepdims=True)
    # rank = q * scale + offset: an all-NaN row (nanquantile) takes rank 0 and a row holding a
    # NaN (quantile) its last rank; both hold a NaN and do not depend on q
    if ignore_nan:
        scale, offset = np.maximum(valid - 1, 0), np.zeros_like(valid)
    else:
        scale, offset = np.where(valid < n, 0, n - 1), np.where(valid < n, n - 1, 0)
    q_col = qs.reshape(qs.shape + (1,) * x.ndim)
    ranks = q_col * scale + offset
    ranks = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}.get(
        interpolation, lambda r: r)(ranks)
    below = np.floor(ranks).astype(np.int64)
    srt_q = srt.expand(*ranks.shape[:-1], n)
    lo = srt_q.gather(-1, Tensor._make(below))
    if interpolation in ("linear", "midpoint"):
        hi = srt_q.gather(-1, Tensor._make(np.ceil(ranks).astype(np.int64)))
        if interpolation == "midpoint":
            weight = Tensor._make(np.full(ranks.shape, 0.5, x.dtype))
        elif isinstance(q, Tensor):  # the weight, and so the quantile, is differentiable in q
            q_t = q.reshape(*(qs.shape + (1,) * x.ndim))
            weight = q_t * Tensor._make(scale.astype(x.dtype)) + Tensor._make(
                (offset - below).astype(x.dtype))
        else:
            weight = Tensor._make((ranks - below).astype(x.dtype))
        lo = lo.lerp(hi, weight)
    return lo.reshape(qs.shape + tuple(out_shape))


_Q_SAMPLES = [((5,), {"q": 0.3}), ((3, 4), {"q": 0.6, "dim": 1}),
              ((3, 4), {"q": 0.5, "dim": 0, "keepdim": True, "interpolation": "midpoint"}),
              ((2, 3), {"q": 0.25, "interpolation": "lower"})]


@composite("quantile", samples=_Q_SAMPLES, skips=("torch",))  # torch: the conformance test
def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The q-th quantiles of input (all elements, or along `dim`); NaN if a row holds NaN.

    Example::
        >>> ndgrad.quantile(ndgrad.tensor([0., 1., 2., 3.]), 0.5)
        tensor(1.5000)
    """
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@composite("nanquantile", samples=_Q_SAMPLES, skips=("torch",))
def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile of the non-NaN values (NaN only where a row is all NaN).

    Example::
        >>> ndgrad.nanquantile(ndgrad.tensor([0., float("nan"), 2.]), 0.5)
        tensor(1.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


# *** aminmax, msort ***

@primitive("aminmax", grad_fn="AminmaxBackward0", export=False, n_outputs=2, promote="same",
           samples=[((2, 3), {"dim": None, "keepdim": False}), ((2, 3), {"dim": 1,
                                                                         "keepdim": True})],
           torch_fn=lambda torch, x, dim, keepdim: tuple(torch.aminmax(x, dim=dim,
                                                                       keepdim=keepdim)))
def _aminmax(input, *, dim, keepdim):
    if dim is None:
        axes = None
        if not input.size:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
    else:
        axes = _dims(dim, input.ndim) or None
        if input.ndim and input.shape[axes[0]] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {axes[0]} to have non-zero size.")
    if input.ndim == 0:
        return input.copy(), input.copy()
    return (np.amin(input, axis=axes, keepdims=keepdim),
            np.amax(input, axis=axes, keepdims=keepdim))


@_aminmax.vjp
def _(grads, input, result, result1, *, dim, keepdim):
    out = None
    for g, r in zip(grads, (result, result1)):
        if g is not None:
            part = _distribute(g, input, r, dim, keepdim, nan=False)
            out = part if out is None else out + part
    return out


@composite("aminmax")
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:
    """(min, max) over all elements, or along `dim`.

    Example::
        >>> ndgrad.aminmax(ndgrad.tensor([3., 1., 2.])).max
        tensor(3.)
    """
    return _Aminmax(call(_aminmax, (input,), {"dim": dim, "keepdim": keepdim}))


@composite("msort", samples=[((3, 2), {})])
def msort(input: Tensor) -> Tensor:
    """input sorted along its first dimension.

    Example::
        >>> ndgrad.msort(ndgrad.tensor([[3., 1.], [2., 4.]]))
        tensor([[2., 1.],
                [3., 4.]])
    """
    return input.sort(0).values


# *** hash_tensor: the xor of the elements' 64-bit patterns ***

# torch's xor_sum kernel covers bool, the signed integers, uint8 and the real floating types
_NO_XOR_SUM = frozenset({np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64),
                         np.dtype(np.complex64), np.dtype(np.complex128)})


# complex=True: the op refuses complex input itself, after torch's dim checks
@primitive("hash_tensor", differentiable=False, promote="same", complex=True,
           complex_samples=False, samples=[((2, 3), {}), ((2, 3), {"dim": 1}),
                                           ((2, 3, 2), {"dim": (0, 2), "keepdim": True})])
def hash_tensor(input, dim=(), *, keepdim=False, mode=0):
    """A uint64 hash of the elements (over `dim`): their float64 or int64 bit patterns xor-ed.

    Example::
        >>> ndgrad.hash_tensor(ndgrad.tensor([1.5, -2.0]))
        tensor(18444492273895866368, dtype=torch.uint64)
    """
    if mode != 0:
        raise RuntimeError(f"Unknown hash_tensor mode: {mode}")
    axes = _axes(dim, input.ndim)
    _check_nonempty("hash_tensor", input, axes, "hash_tensor:")
    if input.dtype in _NO_XOR_SUM and input.size:  # an empty result runs no kernel
        name = _dtype.SCALAR_TYPE_NAMES[_dtype.from_numpy_dtype(input.dtype).name]
        raise NotImplementedError(f"\"xor_sum_cpu\" not implemented for '{name}'")
    wide = np.float64 if input.dtype.kind == "f" else np.int64
    bits = np.array(input, dtype=wide, order="C").view(np.uint64)  # a copy; 0-d stays 0-d
    if input.ndim == 0:  # dim 0 / -1 of a 0-d tensor names the tensor itself
        return bits
    return np.bitwise_xor.reduce(bits, axis=axes, keepdims=keepdim)
