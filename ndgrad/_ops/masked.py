"""torch.masked's function API on strided tensors: reductions and normalizations that ignore the
elements where `mask` is False. Masked-out elements are replaced by the operation's identity
(0 for sum, -inf for amax ...) and the plain op runs, as torch.masked does; gradients flow through
those public ops. MaskedTensor is not provided."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from . import nn  # noqa: F401  (nn loads nn_softmax at its end: importing that first is a cycle)
from . import nn_softmax
from ._registry import PUBLIC
from .log_space import logaddexp as _logaddexp
from .pointwise import where
from .statistics import vector_norm

_SMALL_INTS = ("uint8", "bool", "int8", "int16", "int32")


def _canonical_dim(dim: Any, ndim: int) -> tuple:
    """dim as a sorted tuple of non-negative dims (None and () mean every dim)."""
    if dim is None or dim == ():
        return tuple(range(ndim))
    ndim = max(ndim, 1)
    dims: list = []
    for d in (dim,) if isinstance(dim, int) else dim:
        if d in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        if d >= ndim or d < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                             f"{ndim - 1}], but got {d})")
        dims.append(d % ndim)
    return tuple(sorted(dims))


def _input_mask(input: Tensor, *args: Any, mask: Tensor | None = None, **kwargs: Any) -> Tensor:
    """The mask broadcast to input's shape, as bool (torch.masked._input_mask: the mask comes as
    a keyword; other arguments of the masked op are ignored)."""
    if mask is None:
        raise ValueError("_input_mask requires explicit mask")
    if tuple(mask.shape) != tuple(input.shape):
        if mask.ndim > input.ndim:
            raise IndexError("_input_mask expected broadcastable mask (got mask dimensionality "
                             "higher than of the input)")
        mask = mask.broadcast_to(tuple(input.shape))
    return mask.to(_dtype.bool_)


def _identity(op: str, input: Tensor, ord: Any = 2) -> Tensor | None:
    """The value that op ignores (op(identity, v) == v), as a 0-d tensor of input's dtype."""
    dt = input.dtype
    np_dt = dt.np
    floating = dt.is_floating_point or np_dt.kind == "c"
    if op in ("sum", "cumsum"):
        value: Any = 0
    elif op in ("prod", "cumprod"):
        value = 1
    elif op in ("amax", "argmax", "logaddexp", "logsumexp"):
        value = -math.inf if floating else np.iinfo(np_dt).min
    elif op in ("amin", "argmin"):
        value = math.inf if floating else np.iinfo(np_dt).max
    elif op == "norm":
        value = math.inf if ord == -math.inf else 0
    elif op == "median":
        return Tensor._make(np.asarray(np.nan, np_dt if floating else np.float32))
    else:
        raise NotImplementedError(f"identity of {op} on {dt} input")
    return Tensor._make(np.asarray(value, dtype=np_dt))


def _masked_input(op: str, input: Tensor, mask: Tensor | None, ord: Any = 2) -> Tensor:
    """input with the masked-out elements replaced by op's identity."""
    if mask is None:
        return input
    return where(_input_mask(input, mask=mask), input, _identity(op, input, ord))


_REDUCTIONS = ("sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "norm", "var",
               "std", "logsumexp")
_NORMALIZATIONS = ("softmax", "log_softmax", "softmin", "normalize", "cumsum", "cumprod")


def _output_mask(op: Any, input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Which output elements of the masked op `op` see at least one unmasked input element
    (torch.masked._output_mask)."""
    name = getattr(op, "__name__", None)
    if name in _REDUCTIONS:
        if name == "norm" and args:
            args = args[1:]  # ord comes first
        dim = args[0] if args else kwargs.get("dim")
        out = _input_mask(input, *args, **kwargs)
        keepdim = bool(kwargs.get("keepdim", False))
        for d in reversed(_canonical_dim(dim, input.ndim)):
            out = out.any(dim=d, keepdim=keepdim)
        return out
    if name in _NORMALIZATIONS:
        return _input_mask(input, *args, **kwargs)
    raise ValueError(f"_output_mask expected masked operation (got {type(op).__name__} object)")


def _sum_dtype(input: Tensor, dtype: Any) -> Any:
    if dtype is not None:
        return dtype
    return _dtype.int64 if input.dtype.np.name in _SMALL_INTS else input.dtype


# *** reductions ***

def sum(input: Tensor, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,  # noqa: A001
        mask: Tensor | None = None) -> Tensor:
    """The sum over dim of the elements where mask is True.

    Example::
        >>> x = ndgrad.tensor([[1., 2.], [3., 4.]])
        >>> ndgrad.masked.sum(x, 1, mask=ndgrad.tensor([[True, False], [True, True]]))
        tensor([1., 7.])
    """
    dtype = _sum_dtype(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    return PUBLIC["sum"](_masked_input("sum", input, mask), dims, bool(keepdim), dtype=dtype)


def prod(input: Tensor, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The product over dim of the elements where mask is True.

    Example::
        >>> x = ndgrad.tensor([[1., 2.], [3., 4.]])
        >>> ndgrad.masked.prod(x, 1, mask=ndgrad.tensor([[True, False], [True, True]]))
        tensor([ 1., 12.])
    """
    dtype = _sum_dtype(input, dtype)
    result = _masked_input("prod", input, mask).to(dtype)
    for d in reversed(_canonical_dim(dim, input.ndim)):
        result = result.prod(dim=d, keepdim=bool(keepdim))
    return result


def cumsum(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """Cumulative sum along dim, masked-out elements counting as 0.

    Example::
        >>> ndgrad.masked.cumsum(ndgrad.tensor([1., 2., 3.]), 0,
        ...                      mask=ndgrad.tensor([True, False, True]))
        tensor([1., 1., 4.])
    """
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return PUBLIC["cumsum"](_masked_input("sum", input, mask), d, dtype=dtype).to(dtype)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """Cumulative product along dim, masked-out elements counting as 1.

    Example::
        >>> ndgrad.masked.cumprod(ndgrad.tensor([2., 5., 3.]), 0,
        ...                       mask=ndgrad.tensor([True, False, True]))
        tensor([2., 2., 6.])
    """
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return PUBLIC["cumprod"](_masked_input("prod", input, mask), d, dtype=dtype).to(dtype)


def amax(input: Tensor, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The maximum over dim of the elements where mask is True (-inf where none is).

    Example::
        >>> ndgrad.masked.amax(ndgrad.tensor([1., 5., 3.]), mask=ndgrad.tensor([True, False, True]))
        tensor(3.)
    """
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.ndim)
    return PUBLIC["amax"](_masked_input("amax", input, mask), dims, bool(keepdim)).to(dtype)


def amin(input: Tensor, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The minimum over dim of the elements where mask is True (inf where none is).

    Example::
        >>> ndgrad.masked.amin(ndgrad.tensor([4., 1., 3.]), mask=ndgrad.tensor([True, False, True]))
        tensor(3.)
    """
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.ndim)
    return PUBLIC["amin"](_masked_input("amin", input, mask), dims, bool(keepdim)).to(dtype)


def argmax(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype: Any = None,
           mask: Tensor | None = None) -> Tensor:
    """The index of the maximum among the elements where mask is True (in input's dtype).

    Example::
        >>> ndgrad.masked.argmax(ndgrad.tensor([1., 5., 3.]), 0,
        ...                      mask=ndgrad.tensor([True, False, True]))
        tensor(2.)
    """
    dtype = input.dtype if dtype is None else dtype
    return PUBLIC["argmax"](_masked_input("argmax", input, mask), dim, bool(keepdim)).to(dtype)


def argmin(input: Tensor, dim: int | None = None, *, keepdim: bool = False, dtype: Any = None,
           mask: Tensor | None = None) -> Tensor:
    """The index of the minimum among the elements where mask is True (in input's dtype).

    Example::
        >>> ndgrad.masked.argmin(ndgrad.tensor([4., 1., 3.]), 0,
        ...                      mask=ndgrad.tensor([True, False, True]))
        tensor(2.)
    """
    dtype = input.dtype if dtype is None else dtype
    return PUBLIC["argmin"](_masked_input("argmin", input, mask), dim, bool(keepdim)).to(dtype)


def _count(input: Tensor, dim: Any, keepdim: bool, mask: Tensor | None) -> Tensor:
    """How many elements each reduction sees (an int64 tensor)."""
    if mask is None:
        ones = Tensor._make(np.ones(tuple(input.shape), dtype=np.int64))
        return sum(ones, dim, keepdim=keepdim)
    inmask = _input_mask(input, mask=mask)
    return PUBLIC["sum"](inmask, _canonical_dim(dim, input.ndim), bool(keepdim))


def mean(input: Tensor, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,
         mask: Tensor | None = None) -> Tensor:
    """The mean over dim of the elements where mask is True (nan where none is).

    Example::
        >>> ndgrad.masked.mean(ndgrad.tensor([1., 5., 3.]), mask=ndgrad.tensor([True, False, True]))
        tensor(2.)
    """
    source = "Optional"
    if dtype is None:
        dtype, source = input.dtype, "Input"
    if not (dtype.is_floating_point or dtype.np.kind == "c"):
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either a "
                         f"floating point or complex dtype. Got: {dtype}")
    count = _count(input, dim, keepdim, mask)
    total = sum(input, dim, keepdim=keepdim, dtype=dtype,
                mask=None if mask is None else _input_mask(input, mask=mask))
    return total / count


def median(input: Tensor, dim: int = -1, *, keepdim: bool = False, dtype: Any = None,
           mask: Tensor | None = None) -> Tensor:
    """The lower median along dim of the elements where mask is True (nan where none is).

    Example::
        >>> ndgrad.masked.median(ndgrad.tensor([1., 9., 3., 4.]),
        ...                      mask=ndgrad.tensor([True, False, True, True]))
        tensor(3.)
    """
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    floating = input.dtype.is_floating_point
    if not floating:
        input = input.to(_dtype.float32)
    output = _nanmedian(_masked_input("median", input, mask), d, keepdim)
    if floating:
        return output
    if bool(output.isnan().any()):
        raise ValueError("masked median expects no fully masked out rows if dtype is not floating "
                         "point")
    return output.to(dtype)


def _nanmedian(x: Tensor, dim: int, keepdim: bool) -> Tensor:
    """The lower median of the non-nan values along dim (nan if there are none): sort puts nans
    last, and the median sits at (count - 1) // 2; gather routes the gradient to it."""
    if x.ndim == 0:
        return x.clone()
    count = (~x.isnan()).sum(dim, keepdim=True)
    pos = ((count - 1).clamp(min=0) // 2)
    values = x.sort(dim).values.gather(dim, pos)
    values = where(count == 0, Tensor._make(np.asarray(np.nan, x._data.dtype)), values)
    return values if keepdim else values.squeeze(dim)


def logsumexp(input: Tensor, dim: Any = None, *, keepdim: bool = False, dtype: Any = None,
              mask: Tensor | None = None) -> Tensor:
    """log(sum(exp(input))) over dim of the elements where mask is True.

    Example::
        >>> ndgrad.masked.logsumexp(ndgrad.tensor([0., 5., 0.]),
        ...                         mask=ndgrad.tensor([True, False, True]))
        tensor(0.6931)
    """
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.ndim)
    masked = _masked_input("logsumexp", input, mask)
    return PUBLIC["logsumexp"](masked, dims, keepdim=keepdim).to(dtype)


def logaddexp(input: Tensor, other: Tensor, *, dtype: Any = None, input_mask: Tensor | None = None,
              other_mask: Tensor | None = None) -> Tensor:
    """log(exp(input) + exp(other)), masked-out elements of either counting as -inf.

    Example::
        >>> ndgrad.masked.logaddexp(ndgrad.tensor([0., 0.]), ndgrad.tensor([0., 1.]),
        ...                         other_mask=ndgrad.tensor([True, False]))
        tensor([0.6931, 0.0000])
    """
    dtype = input.dtype if dtype is None else dtype
    a = _masked_input("logaddexp", input, input_mask)
    b = _masked_input("logaddexp", other, other_mask)
    return _logaddexp(a, b).to(dtype)


def norm(input: Tensor, ord: Any = 2.0, dim: Any = None, *, keepdim: bool = False,
         dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """The vector ord-norm over dim of the elements where mask is True.

    Example::
        >>> ndgrad.masked.norm(ndgrad.tensor([3., 9., 4.]), 2.0,
        ...                    mask=ndgrad.tensor([True, False, True]))
        tensor(5.)
    """
    dtype = input.dtype if dtype is None else dtype
    masked = _masked_input("norm", input, mask, ord)
    dims = _canonical_dim(dim, input.ndim)
    return vector_norm(masked, ord, dims, bool(keepdim), dtype=dtype)


def _std_var(input: Tensor, dim: Any, unbiased: bool | None, correction: Any, keepdim: bool,
             dtype: Any, mask: Tensor | None, take_sqrt: bool) -> Tensor:
    if unbiased is not None and correction is not None:
        raise RuntimeError("Only one of unbiased and correction may be given")
    corr = 1.0 if unbiased is None else float(bool(unbiased))
    if correction is not None:
        corr = float(correction)
    if dtype is None:
        dtype = input.dtype
        if not (dtype.is_floating_point or dtype.np.kind == "c"):
            dtype = _dtype.float32
    compute = dtype if dtype.is_floating_point or dtype.np.kind == "c" else _dtype.float32
    inmask = None if mask is None else _input_mask(input, mask=mask)
    count = _count(input, dim, True, inmask)
    sample_mean = sum(input, dim, keepdim=True, dtype=dtype, mask=inmask) / count
    x = input - sample_mean
    sq = x * x.conj() if x.dtype.np.kind == "c" else x * x
    total = sum(sq, dim, keepdim=keepdim, dtype=compute, mask=inmask)
    if not keepdim:
        count = count.reshape(tuple(total.shape))
    if corr != 0:
        real = _dtype.from_numpy_dtype(np.empty(0, compute.np).real.dtype)
        count = PUBLIC["maximum"](count.to(real) - corr, Tensor._make(np.zeros((), real.np)))
    output = (total / count).to(dtype)
    return output.sqrt() if take_sqrt else output


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, *, correction: Any = None,
        keepdim: bool = False, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """The variance over dim of the elements where mask is True (correction 1 by default).

    Example::
        >>> ndgrad.masked.var(ndgrad.tensor([1., 9., 3.]), mask=ndgrad.tensor([True, False, True]))
        tensor(2.)
    """
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, *, correction: Any = None,
        keepdim: bool = False, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """The standard deviation over dim of the elements where mask is True.

    Example::
        >>> ndgrad.masked.std(ndgrad.tensor([1., 9., 3.]), mask=ndgrad.tensor([True, False, True]))
        tensor(1.4142)
    """
    return _std_var(input, dim, unbiased, correction, keepdim, dtype, mask, True)


# *** normalizations ***

def softmax(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """softmax along dim over the elements where mask is True (0 at the others).

    Example::
        >>> ndgrad.masked.softmax(ndgrad.zeros(3), 0, mask=ndgrad.tensor([True, False, True]))
        tensor([0.5000, 0.0000, 0.5000])
    """
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return nn_softmax.softmax(_masked_input("amax", input, mask), d, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None,
                mask: Tensor | None = None) -> Tensor:
    """log_softmax along dim over the elements where mask is True (-inf at the others).

    Example::
        >>> ndgrad.masked.log_softmax(ndgrad.zeros(2), 0, mask=ndgrad.tensor([True, False]))
        tensor([0., -inf])
    """
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return nn_softmax.log_softmax(_masked_input("amax", input, mask), d, dtype=dtype)


def softmin(input: Tensor, dim: int, *, dtype: Any = None, mask: Tensor | None = None) -> Tensor:
    """softmin along dim over the elements where mask is True (0 at the others).

    Example::
        >>> ndgrad.masked.softmin(ndgrad.zeros(3), 0, mask=ndgrad.tensor([True, False, True]))
        tensor([0.5000, 0.0000, 0.5000])
    """
    dtype = input.dtype if dtype is None else dtype
    d = _canonical_dim(dim, input.ndim)[0]
    return nn_softmax.softmax(-_masked_input("amin", input, mask), d, dtype=dtype)  # F.softmin


def normalize(input: Tensor, ord: float, dim: int, *, eps: float = 1e-12, dtype: Any = None,
              mask: Tensor | None = None) -> Tensor:
    """input divided by its masked ord-norm along dim (at least eps); 0 where masked out.

    Example::
        >>> ndgrad.masked.normalize(ndgrad.tensor([3., 9., 4.]), 2.0, 0,
        ...                         mask=ndgrad.tensor([True, False, True]))
        tensor([0.6000, 0.0000, 0.8000])
    """
    dtype = input.dtype if dtype is None else dtype
    masked = _masked_input("sum", input, mask)
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    denom = PUBLIC["maximum"](nrm, Tensor._make(np.asarray(eps, dtype=nrm._data.dtype)))
    return masked / denom
