"""Writing at indices: put, index_reduce, torch.fill (out of place) and nonzero_static."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import call, composite, primitive
from .copy_variants import _rename
from .index_ops import take
from .scatter import scatter_reduce

# *** put ***

def _check_put(input: np.ndarray, index: np.ndarray, source: np.ndarray) -> np.ndarray:
    if index.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{_NAMES.get(index.dtype.name, index.dtype.name)}")
    if index.size != source.size:
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.size}, index.numel() = "
                           f"{index.size}")
    return _positions(input.size, index)


def _positions(n: int, index: np.ndarray) -> np.ndarray:
    """Flat indices into n elements (negative ones count from the end), bounds-checked."""
    flat = index.reshape(-1)
    bad = flat[(flat >= n) | (flat < -n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} "
                         "elements.")
    return np.where(flat < 0, flat + n, flat)


_NAMES = {"int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
          "float32": "Float", "float64": "Double", "float16": "Half"}


@primitive("put", complex=True, inplace=True, grad_fn="PutBackward0",
           inputs=("input", "index", "source"),
           samples=[(((3, 3), (2,), (2,)), {"accumulate": False}),
                    (((2, 2), (3,), (3,)), {"accumulate": True})],
           int_inputs={"index": (0, 4)}, nondiff_inputs=("index",))
def put(input, index, source, accumulate=False):
    """A copy of input with source written (or added) at flat indices index.

    Example::
        >>> ndgrad.zeros(2, 2).put(ndgrad.tensor([3]), ndgrad.tensor([1.]))
        tensor([[0., 0.],
                [0., 1.]])
    """
    flat_index = _check_put(input, index, source)
    out = np.array(input, copy=True, order="C")
    flat = out.reshape(-1)
    src = source.reshape(-1).astype(out.dtype, copy=False)
    if accumulate:
        np.add.at(flat, flat_index, src)
    else:
        flat[flat_index] = src
    return out


@put.vjp
def _(grad, index, source_shape, needs_input_grad, *, accumulate):
    g_input = None
    if needs_input_grad[0]:
        g_input = grad
        if not accumulate:  # written-over positions get nothing
            keep = np.ones(grad._data.shape, grad._data.dtype)
            keep.reshape(-1)[_positions(keep.size, index._data)] = 0
            g_input = grad * Tensor._make(keep)
    g_source = take(grad, index).reshape(source_shape) if needs_input_grad[2] else None
    return g_input, None, g_source


# *** index_reduce (scatter_reduce along dim with the index repeated over the other dims) ***

_REDUCTIONS = ("prod", "mean", "amax", "amin")


@composite("index_reduce", inplace=True)
def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """A copy of input with source's slices along dim reduced ('prod', 'mean', 'amax', 'amin')
    into the slices index names.

    Example::
        >>> ndgrad.ones(2).index_reduce(0, ndgrad.tensor([0, 0]), ndgrad.tensor([2., 3.]), "prod")
        tensor([6., 1.])
    """
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    nd = input._data.ndim
    d = _wrap_dim(dim, max(nd, 1))
    idx = index._data
    if idx.ndim > 1:
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index")
    if source._data.ndim != nd and not (nd == 0 and source._data.ndim <= 1):
        raise IndexError("index_reduce_(): Index is supposed to be a vector")
    if nd == 0:
        out = index_reduce(input.reshape(1), 0, index, source.reshape(1), reduce,
                           include_self=include_self)
        return out.reshape(())
    n_src = source._data.shape[d]
    if n_src != idx.size:
        raise RuntimeError("index_reduce_(): Number of indices should be equal to self.size(dim)")
    line = [1] * nd
    line[d] = n_src
    full = np.broadcast_to(idx.reshape(line).astype(np.int64), source._data.shape).copy()
    out = scatter_reduce(input, d, Tensor._make(full), source, reduce,
                         include_self=include_self)
    if out._grad_fn is not None:
        _rename(out._grad_fn, "IndexReduceBackward0")
    return out


# *** torch.fill (out of place) ***

@primitive("fill_scalar", complex=True, grad_fn="FillBackward0", export=False, shapes=[(3,)],
           attrs={"value": 1.5}, torch_fn=lambda torch, x, value: torch.fill(x, value))
def _fill_scalar(input, *, value):
    return np.full_like(input, value)


@_fill_scalar.vjp
def _(grad, *, value):
    return grad * 0


@primitive("fill_tensor", complex=True, grad_fn="FillBackward1", export=False,
           inputs=("input", "value"),
           samples=[(((3,), ()), {})], torch_fn=lambda torch, x, value: torch.fill(x, value))
def _fill_tensor(input, value):
    return np.full_like(input, value)


@_fill_tensor.vjp
def _(grad, needs_input_grad):
    return (grad * 0 if needs_input_grad[0] else None,
            grad.sum() if needs_input_grad[1] else None)


@composite("fill", method=False)
def fill(input: Tensor, value: Any) -> Tensor:
    """A tensor shaped and typed like input, filled with value (a number or a 0-d tensor).

    Example::
        >>> ndgrad.fill(ndgrad.zeros(2), 3.)
        tensor([3., 3.])
    """
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value._data.ndim} dimensions.")
        return call(_fill_tensor, (input, value), {})
    return call(_fill_scalar, (input,), {"value": value})


# *** nonzero_static ***

@composite("nonzero_static")
def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """The indices of the non-zero elements as a (size, input.dim()) tensor: cut to size rows,
    or padded with fill_value.

    Example::
        >>> ndgrad.nonzero_static(ndgrad.tensor([0, 3, 4]), size=3)
        tensor([[ 1],
                [ 2],
                [-1]])
    """
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got "
                           f"{size}")
    x = input._data
    found = np.stack(np.nonzero(x), axis=1) if x.ndim else np.zeros(
        (int(bool(x)), 0), np.int64)
    out = np.full((size, x.ndim), fill_value, np.int64)
    rows = min(size, found.shape[0])
    out[:rows] = found[:rows]
    return Tensor._make(out)
