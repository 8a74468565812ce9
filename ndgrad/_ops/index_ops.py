"""Index ops along a dim or a mask: index_select / index_add / index_copy / index_fill, take,
masked_select / masked_scatter, and nonzero / unique."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import composite, primitive
from .indexing import _FULL, _index_put, _zeros
from .join import _cat_public
from .pointwise import where
from .scatter import _bounds, _gather, _lift
from .shape import _expand, _type_name

# *** index_select / index_add / index_copy / index_fill ***

def _vector(index: np.ndarray, fn: str) -> np.ndarray:
    if index.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with type: {_type_name(index)} and size: {list(index.shape)}")
    return index.reshape(-1)


def _along(d: int, index: np.ndarray) -> tuple:
    return (_FULL,) * d + (index,)


@primitive("index_select", complex=True, grad_fn="IndexSelectBackward0", export=False,
           inputs=("input", "index"),
           samples=[(((3, 4), (2,)), {"dim": 1}), (((3, 4), (5,)), {"dim": 0})],
           int_inputs={"index": (0, 1)}, torch_fn=lambda torch, x, i, dim: x.index_select(dim, i))
def _index_select(input, index, *, dim):
    d = _wrap_dim(dim, input.ndim)
    if index.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    i = index.reshape(-1)
    x = _lift(input)[0]
    if input.ndim == 0 and i.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {i.size} "
                           "value(s)")
    n = x.shape[d]
    if i.size and (i.min() < 0 or i.max() >= n):
        bad = int(i.min()) if i.min() < 0 else int(i.max())
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
    out = np.take(x, i, axis=d)
    return out.reshape(()) if input.ndim == 0 else out


@_index_select.vjp
def _(grad, input_shape, index, *, dim):
    return _index_add.public(_zeros(input_shape, grad), index, grad, dim=dim), None


@composite("index_select")
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of input at the positions index (a vector) along dim.

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).index_select(0, ndgrad.tensor([1, 1]))
        tensor([[3., 4.],
                [3., 4.]])
    """
    return _index_select.public(input, index, dim=dim)


def _check_index_source(input: np.ndarray, index: np.ndarray, source: np.ndarray, d: int,
                        fn: str) -> np.ndarray:
    i = _vector(index, fn)
    if source.dtype != input.dtype:
        if fn == "index_copy_":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                               f"but got (self) {_type_name(input)} and (source) "
                               f"{_type_name(source)}")
        raise RuntimeError(f"index_add_(): self ({_type_name(input)}) and source "
                           f"({_type_name(source)}) must have the same scalar type")
    x, s = _lift(input, source)
    rest_x, rest_s = x.shape[:d] + x.shape[d + 1:], s.shape[:d] + s.shape[d + 1:]
    if fn == "index_copy_" and rest_x != rest_s:
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, rest_x))} at "
                           f"dimension {d} and source slice shape: "
                           f"{' '.join(map(str, rest_s))} at dimension 0.")
    if source.ndim and i.size != s.shape[d]:
        if fn == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({i.size}) should be equal to "
                             f"source.size(dim) ({s.shape[d]})")
        raise RuntimeError(f"index_add_(): Number of indices ({i.size}) should be equal to "
                           f"source.size(dim): ({s.shape[d]}), for dim: {d}")
    if rest_x != rest_s:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")
    copy = fn == "index_copy_"
    _bounds(i, x.shape[d], d, pre="index_copy_(): " if copy else "",
            exc=IndexError if copy else RuntimeError)
    return i


@primitive("index_add", complex=True, grad_fn="IndexAddBackward0", export=False,
           inputs=("input", "index", "source"),
           samples=[(((3, 4), (3,), (3, 3)), {"dim": 1}),
                    (((3, 4), (2,), (2, 4)), {"dim": 0, "alpha": 2.0})],
           int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, s, dim, alpha=1: x.index_add(dim, i, s, alpha=alpha))
def _index_add(input, index, source, *, dim, alpha=1):
    d = _wrap_dim(dim, input.ndim)
    i = _check_index_source(input, index, source, d, "index_add_")
    out = input.copy()
    o, s = _lift(out, source)
    np.add.at(o, _along(d, i), s if alpha == 1 else s * alpha)  # repeats accumulate
    return out


@_index_add.vjp
def _(grad, index, *, dim, alpha=1):
    gs = _index_select.public(grad, index, dim=dim)
    return grad, None, gs if alpha == 1 else gs * alpha


@composite("index_add", inplace=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of input with alpha * source added at the positions index along dim.

    Example::
        >>> ndgrad.zeros(3).index_add(0, ndgrad.tensor([0, 2]), ndgrad.tensor([1., 2.]))
        tensor([1., 0., 2.])
    """
    return _index_add.public(input, index, source, dim=dim, alpha=alpha)


@primitive("index_copy", complex=True, grad_fn="IndexCopyBackward0", export=False,
           inputs=("input", "index", "source"),
           samples=[(((3, 4), (1,), (3, 1)), {"dim": 1}), (((3, 4), (1,), (1, 4)), {"dim": 0})],
           int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, s, dim: x.index_copy(dim, i, s))
def _index_copy(input, index, source, *, dim):
    d = _wrap_dim(dim, input.ndim)
    i = _check_index_source(input, index, source, d, "index_copy_")
    out = input.copy()
    o, s = _lift(out, source)
    o[_along(d, i)] = s
    return out


@_index_copy.vjp
def _(grad, index, *, dim):
    return (_index_fill.public(grad, index, dim=dim, value=0), None,
            _index_select.public(grad, index, dim=dim))


@composite("index_copy", inplace=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of input with source's slices written at the positions index along dim.

    Example::
        >>> ndgrad.zeros(3).index_copy(0, ndgrad.tensor([2]), ndgrad.tensor([5.]))
        tensor([0., 0., 5.])
    """
    return _index_copy.public(input, index, source, dim=dim)


def _fill_into(input: np.ndarray, index: np.ndarray, dim: int, value: Any) -> np.ndarray:
    d = _wrap_dim(dim, input.ndim)
    i = _vector(index, "index_fill_")
    out = input.copy()
    o = _lift(out)[0]
    _bounds(i, o.shape[d], d, neg=True, exc=IndexError)
    o[_along(d, i)] = value
    return out


@primitive("index_fill", complex=True, grad_fn="IndexFillBackward0", export=False,
           inputs=("input", "index"),
           samples=[(((3, 4), (2,)), {"dim": 1, "value": 1.5})], int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, dim, value: x.index_fill(dim, i, value))
def _index_fill(input, index, *, dim, value):
    return _fill_into(input, index, dim, value)


@_index_fill.vjp
def _(grad, index, *, dim, value):
    return _index_fill.public(grad, index, dim=dim, value=0), None


@primitive("index_fill_tensor", complex=True, grad_fn="IndexFillBackward1", export=False,
           inputs=("input", "index", "value"),
           samples=[(((3, 4), (3,), ()), {"dim": 1})], int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, v, dim: x.index_fill(dim, i, v))
def _index_fill_tensor(input, index, value, *, dim):
    return _fill_into(input, index, dim, value)


@_index_fill_tensor.vjp
def _(grad, index, *, dim):
    # each filled position takes value once, however often index repeats it
    once = Tensor._make(np.unique(index._data))
    return (_index_fill.public(grad, index, dim=dim, value=0), None,
            _index_select.public(grad, once, dim=dim).sum())


@composite("index_fill", inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of input with value at the positions index along dim.

    Example::
        >>> ndgrad.zeros(3).index_fill(0, ndgrad.tensor([0, 2]), 7.)
        tensor([7., 0., 7.])
    """
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        return _index_fill_tensor.public(input, index, value, dim=dim)
    return _index_fill.public(input, index, dim=dim, value=value)


# *** take / masked ***

@primitive("take", complex=True, grad_fn="TakeBackward0", inputs=("input", "index"),
           samples=[(((3, 4), (2, 2)), {}), (((3,), (4,)), {})], int_inputs={"index": (0, 3)})
def take(input, index):
    """input viewed as 1-d, at index (negative counts from the end); out has index's shape.

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).take(ndgrad.tensor([0, 3]))
        tensor([1., 4.])
    """
    if index.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{_type_name(index)}")
    n = input.size
    if index.size and (index.max() >= n or index.min() < -n):
        bad = int(index.max()) if index.max() >= n else int(index.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return input.reshape(-1)[index]


@take.vjp
def _(grad, input_shape, index):
    flat = _zeros((int(np.prod(input_shape)),), grad)
    idx = ((Ellipsis,), (index._data.reshape(-1),), "IndexBackward0")
    put = _index_put.public(flat, grad.reshape(-1), index=idx, accumulate=True)
    return put.reshape(input_shape), None


@composite("take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """gather with input and indices broadcast against each other (outside dim); dim=None
    works on the flattened tensors.

    Example::
        >>> ndgrad.tensor([[3., 1.], [2., 4.]]).take_along_dim(ndgrad.tensor([[1], [0]]), 1)
        tensor([[1.],
                [2.]])
    """
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_type_name(indices._data)}")
    if dim is None:
        return _gather.public(input.reshape(-1), indices.reshape(-1), dim=0)
    a, b = input._data.shape, indices._data.shape
    if len(a) != len(b):
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {len(a)} dimensions for input, and "
                           f"{len(b)} dimensions for indices")
    if not a:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, len(a))
    shape = list(np.broadcast_shapes(a[:d] + (1,) + a[d + 1:], b[:d] + (1,) + b[d + 1:]))
    sa, sb = tuple(shape[:d] + [a[d]] + shape[d + 1:]), tuple(shape[:d] + [b[d]] + shape[d + 1:])
    x = input if sa == a else _expand.public(input, size=sa)
    if a[d] == 0 and indices._data.size:
        raise RuntimeError("ZeroDivisionError")  # torch's message for the modulus below
    # with a dim, torch wraps every index into [0, size): -1 is the last, size + 1 the second
    wrapped = Tensor._make(indices._data % a[d]) if indices._data.size else indices
    return _gather.public(x, wrapped if sb == b else _expand.public(wrapped, size=sb), dim=d)


def _bool_mask(mask: np.ndarray, fn: str) -> None:
    if mask.dtype != np.bool_:
        raise RuntimeError(f"{fn} only supports boolean masks, but got mask with dtype "
                           f"{_type_name(mask)}")


@primitive("masked_select", complex=True, grad_fn="MaskedSelectBackward0", inputs=("input", "mask"),
           samples=[(((3, 4), (4,)), {}), (((4,), (3, 4)), {})],
           bool_inputs=("mask",))
def masked_select(input, mask):
    """The entries of input where mask (broadcast with it) is True, as a 1-d tensor.

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).masked_select(ndgrad.tensor([True, False, True]))
        tensor([1., 3.])
    """
    if mask.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    a, m = np.broadcast_arrays(input, mask)
    return a[m]


@masked_select.vjp
def _(grad, input_shape, mask):
    shape = np.broadcast_shapes(input_shape, mask._data.shape)
    return _masked_scatter.public(_zeros(shape, grad), mask, grad), None


@primitive("masked_scatter", complex=True, grad_fn="MaskedScatterBackward0", export=False,
           inputs=("input", "mask", "source"),
           samples=[(((3, 4), (3, 4), (12,)), {}), (((3, 4), (4,), (3, 5)), {})],
           bool_inputs=("mask",), torch_fn=lambda torch, x, m, s: x.masked_scatter(m, s))
def _masked_scatter(input, mask, source):
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_type_name(input)} and {_type_name(source)}")
    _bool_mask(mask, "masked_scatter_")
    shape = np.broadcast_shapes(input.shape, mask.shape)
    out = np.array(np.broadcast_to(input, shape))
    m = np.broadcast_to(mask, shape)
    n = int(m.sum())
    if source.size < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[m] = source.reshape(-1)[:n]  # source is consumed in order, row-major
    return out


@_masked_scatter.vjp
def _(grad, mask, source_shape, needs_input_grad):
    gs = None
    if needs_input_grad[2]:
        sel = masked_select(grad, mask)
        pad = int(np.prod(source_shape)) - sel._data.shape[0]
        gs = (_cat_public(sel, _zeros((pad,), grad)) if pad else sel).reshape(source_shape)
    return where(mask, 0.0, grad) if needs_input_grad[0] else None, None, gs


@composite("masked_scatter", inplace=True)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of input with source's leading entries written, in order, where mask is True.

    Example::
        >>> ndgrad.zeros(3).masked_scatter(ndgrad.tensor([True, False, True]),
        ...                                ndgrad.tensor([1., 2.]))
        tensor([1., 0., 2.])
    """
    return _masked_scatter.public(input, mask, source)


# *** nonzero / unique (no gradient) ***

@primitive("nonzero", complex=True, differentiable=False, export=False, samples=[((3, 4), {}),
           ((2, 0), {})],
           bool_inputs=("input",), torch_fn=lambda torch, x: torch.nonzero(x))
def _nonzero(input):
    return np.argwhere(input).astype(np.int64, copy=False)


@composite("nonzero")
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero entries: an (n, ndim) tensor, or one 1-d tensor per dim.

    Example::
        >>> ndgrad.tensor([0., 3., 0., 5.]).nonzero()
        tensor([[1],
                [3]])
    """
    if as_tuple:
        return tuple(Tensor._make(c.astype(np.int64, copy=False))
                     for c in np.nonzero(np.atleast_1d(input._data)))
    return _nonzero.public(input)


@composite("argwhere")
def argwhere(input: Tensor) -> Tensor:
    """Same as nonzero(input)."""
    return _nonzero.public(input)


def _unique_name(sorted, dim) -> str:
    return "Unique2Backward0" if dim is None else "UniqueDimBackward0"


@primitive("unique", grad_fn=_unique_name, export=False, n_outputs=3,
           samples=[((6,), {"sorted": True, "dim": None}), ((3, 2), {"sorted": True, "dim": 1})],
           int_inputs={"input": (0, 3)}, torch_fn=lambda torch, x, sorted, dim: torch.unique(
               x, sorted, return_inverse=True, return_counts=True, dim=dim))
def _unique(input, *, sorted, dim):
    # torch's CPU kernels sort whatever `sorted` says; so does np.unique
    if dim is None:
        vals, inv, counts = np.unique(input.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(input.shape)
    else:
        vals, inv, counts = np.unique(input, return_inverse=True, return_counts=True,
                                      axis=_wrap_dim(dim, input.ndim))
        inv = inv.reshape(-1)
    return vals, inv.astype(np.int64), counts.astype(np.int64)


@_unique.vjp
def _(grads, *, sorted, dim):
    name = "_unique2" if dim is None else "unique_dim"
    raise NotImplementedError(f"the derivative for '{name}' is not implemented.")


@composite("unique")
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The sorted distinct values (or slices along dim), optionally with the inverse map and
    the counts.

    Example::
        >>> ndgrad.tensor([3, 1, 3]).unique(return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
    """
    vals, inv, counts = _unique.public(input, sorted=sorted, dim=dim)
    extra = ((inv,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return (vals,) + extra if extra else vals
