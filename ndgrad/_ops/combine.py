"""Tensors built from others: block_diag, cartesian_prod, combinations, meshgrid,
broadcast_tensors, column_stack / row_stack, hsplit / vsplit / dsplit, ravel, diagflat, addr,
and index helpers (tril_indices, triu_indices, unravel_index, broadcast_shapes)."""
from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Size, Tensor
from ._registry import call, composite, primitive
from .join import _check_tensors, _promoted, cat, hstack, stack, tensor_split, vstack
from .linalg import _expand_error, diag_embed
from .pointwise import _not_for, _result_np
from .shape import _expand, _int_list, reshape

# *** block_diag ***

def _as_matrix_shape(shape: tuple) -> tuple:
    return {0: (1, 1), 1: (1,) + shape}.get(len(shape), shape)


@primitive("block_diag", complex=True, grad_fn="BlockDiagBackward0", export=False,
           inputs=("a", "b", "c"),
           samples=[(((2, 3), (3,), ()), {})], torch_fn=lambda torch, *ts: torch.block_diag(*ts))
def _block_diag(*tensors, shapes):
    mats = [a.reshape(_as_matrix_shape(a.shape)) for a in _promoted(tensors)] if tensors else []
    dt = mats[0].dtype if mats else _dtype._Default.float.np
    out = np.zeros((sum(m.shape[0] for m in mats), sum(m.shape[1] for m in mats)), dt)
    r = c = 0
    for m in mats:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


@_block_diag.vjp
def _(grad, *, shapes):
    out, r, c = [], 0, 0
    for shape in shapes:
        rows, cols = _as_matrix_shape(shape)
        out.append(grad[r:r + rows, c:c + cols].reshape(shape))
        r, c = r + rows, c + cols
    return tuple(out)


def _block_diag_public(*tensors: Tensor) -> Tensor:
    _check_tensors(tensors, "block_diag")
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t._data.ndim} dimensions")
    return call(_block_diag, tensors, {"shapes": tuple(t._data.shape for t in tensors)})


@composite("block_diag", method=False)
def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-d, 1-d rows or 2-d matrices) on the diagonal of a block matrix.

    Example::
        >>> ndgrad.block_diag(ndgrad.ones(1, 2), ndgrad.tensor(2.))
        tensor([[1., 1., 0.],
                [0., 0., 2.]])
    """
    return _block_diag_public(*tensors)


_block_diag.public = _block_diag_public


# *** grids and products ***

def _tensor_args(tensors: tuple) -> tuple:
    return tuple(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) \
        else tensors


@composite("meshgrid", method=False, inputs=("a", "b"), nondiff_inputs=("b",),
           samples=[(((3,), (2,)), {"indexing": "ij"}), (((3,), ()), {"indexing": "xy"})])
def meshgrid(*tensors: Tensor, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d (or 0-d) tensors; indexing 'ij' (matrix) or 'xy' (Cartesian).

    Example::
        >>> [g.shape for g in ndgrad.meshgrid(ndgrad.zeros(2), ndgrad.zeros(3), indexing="ij")]
        [torch.Size([2, 3]), torch.Size([2, 3])]
    """
    tensors = _tensor_args(tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=3)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    _check_tensors(tensors, "meshgrid")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    swap = indexing == "xy" and len(tensors) >= 2
    order = [1, 0] + list(range(2, len(tensors))) if swap else list(range(len(tensors)))
    shape = tuple(tensors[i]._data.size for i in order)
    grids = []
    for i, t in enumerate(tensors):
        pos = order.index(i)
        view = [1] * len(tensors)
        view[pos] = t._data.size
        grids.append(_expand.public(reshape(t, *view), size=shape))
    return tuple(grids)


@composite("cartesian_prod", method=False, inputs=("a", "b"), samples=[(((3,), (2,)), {})])
def cartesian_prod(*tensors: Tensor) -> Tensor:
    """The Cartesian product of 1-d tensors, one combination per row.

    Example::
        >>> ndgrad.cartesian_prod(ndgrad.tensor([1, 2]), ndgrad.tensor([3])).tolist()
        [[1, 3], [2, 3]]
    """
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.flatten() for g in grids], dim=1)


@composite("combinations", samples=[((4,), {}), ((3,), {"r": 3, "with_replacement": True})])
def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-r combinations of the elements of a 1-d tensor, one per row.

    Example::
        >>> ndgrad.combinations(ndgrad.tensor([1, 2, 3])).tolist()
        [[1, 2], [1, 3], [2, 3]]
    """
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(np.zeros(0, input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(pick(range(input._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return stack([input[Tensor._make(idx[:, k].copy())] for k in range(r)], dim=1)


def _broadcast(shapes: Sequence[tuple]) -> tuple:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        from ._promote import _broadcast_error

        raise RuntimeError(_broadcast_error(list(shapes)) or "shapes cannot be broadcast to a "
                           "single shape") from None


@composite("broadcast_shapes", method=False)
def broadcast_shapes(*shapes: Any) -> Size:
    """The shape the given shapes broadcast to.

    Example::
        >>> ndgrad.broadcast_shapes((2, 1), (3,))
        torch.Size([2, 3])
    """
    out = []
    for s in shapes:
        s = (s,) if isinstance(s, (int, np.integer)) else tuple(s)
        if any(int(n) < 0 for n in s):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(s)}: "
                               f"{list(s)}")
        out.append(tuple(int(n) for n in s))
    return Size(_broadcast(out))


@composite("broadcast_tensors", method=False, inputs=("a", "b"), nondiff_inputs=("b",),
           samples=[(((2, 1), (3,)), {})])
def broadcast_tensors(*tensors: Tensor) -> tuple:
    """The tensors expanded to their common broadcast shape (views; unchanged ones as given).

    Example::
        >>> [t.shape for t in ndgrad.broadcast_tensors(ndgrad.zeros(2, 1), ndgrad.zeros(3))]
        [torch.Size([2, 3]), torch.Size([2, 3])]
    """
    tensors = _tensor_args(tensors)
    _check_tensors(tensors, "broadcast_tensors")
    shape = _broadcast([t._data.shape for t in tensors])
    return tuple(t if t._data.shape == shape else _expand.public(t, size=shape) for t in tensors)


# *** stacking and splitting by axis ***

@composite("column_stack", method=False)
def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Stack 0-d/1-d tensors as columns (and n-d ones along dim 1).

    Example::
        >>> ndgrad.column_stack([ndgrad.tensor([1, 2]), ndgrad.tensor([3, 4])]).tolist()
        [[1, 3], [2, 4]]
    """
    _check_tensors(tensors, "column_stack")
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    cols = [t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return hstack(cols)


@composite("row_stack", method=False)
def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Alias of vstack."""
    return vstack(tensors)


def _split_by(name: str, dim: int, min_dims: int, input: Tensor, sections: Any,
              named: tuple) -> tuple:
    if sections is None:  # torch's overloads name it `sections` (an int) or `indices` (a list)
        sections = named[0] if named[0] is not None else named[1]
    nd = input._data.ndim
    if nd < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, "
                           f"but got a tensor with {nd} dimensions!")
    if isinstance(sections, bool) or not isinstance(sections, (int, np.integer, list, tuple)):
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        f"{type(sections).__name__})")
    if isinstance(sections, (int, np.integer)):
        n = input._data.shape[dim]
        if sections == 0 or n % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size "
                               f"{sections}!")
    return tensor_split(input, sections, dim)


@composite("hsplit", samples=[((2, 4), {"sections": 2}), ((5,), {"indices": [1, 3]})])
def hsplit(input: Tensor, indices_or_sections: Any = None, *, sections: Any = None,
           indices: Any = None) -> tuple:
    """Split along dim 1 (dim 0 for 1-d tensors) into equal sections or at indices.

    Example::
        >>> [p.shape for p in ndgrad.zeros(2, 4).hsplit(2)]
        [torch.Size([2, 2]), torch.Size([2, 2])]
    """
    dim = 0 if input._data.ndim == 1 else 1
    return _split_by("hsplit", dim, 1, input, indices_or_sections, (sections, indices))


@composite("vsplit")
def vsplit(input: Tensor, indices_or_sections: Any = None, *, sections: Any = None,
           indices: Any = None) -> tuple:
    """Split along dim 0 (at least 2-d input).

    Example::
        >>> len(ndgrad.zeros(4, 2).vsplit([1]))
        2
    """
    return _split_by("vsplit", 0, 2, input, indices_or_sections, (sections, indices))


@composite("dsplit")
def dsplit(input: Tensor, indices_or_sections: Any = None, *, sections: Any = None,
           indices: Any = None) -> tuple:
    """Split along dim 2 (at least 3-d input).

    Example::
        >>> len(ndgrad.zeros(1, 1, 4).dsplit(2))
        2
    """
    return _split_by("dsplit", 2, 3, input, indices_or_sections, (sections, indices))


@composite("ravel", samples=[((2, 3), {})])
def ravel(input: Tensor) -> Tensor:
    """input flattened to 1-d (a view when the memory allows).

    Example::
        >>> ndgrad.ones(2, 2).ravel().shape
        torch.Size([4])
    """
    return reshape(input, -1)


@composite("diagflat", samples=[((2, 2), {}), ((3,), {"offset": -1})])
def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """A 2-d matrix with the flattened input on its offset diagonal.

    Example::
        >>> ndgrad.diagflat(ndgrad.tensor([1., 2.]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    return diag_embed(reshape(input, -1), offset)


# *** addr ***

def _scale(x: Any, factor: Any, kind: str, name: str) -> Any:
    if kind == "b":
        return np.logical_and(x, bool(factor))
    if kind in "iu" and isinstance(factor, float):
        raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating "
                           "point number.")
    return x * factor


@primitive("addr", complex="holomorphic", inplace=True, grad_fn="AddrBackward0",
           samples=[(((2, 3), (2,), (3,)), {}), (((3,), (2,), (3,)), {"beta": 0.5, "alpha": 2})])
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2).

    Example::
        >>> ndgrad.addr(ndgrad.zeros(2, 2), ndgrad.tensor([1., 2.]), ndgrad.tensor([1., 1.]))
        tensor([[1., 1.],
                [2., 2.]])
    """
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    dt = _result_np(input, vec1, vec2)
    input, vec1, vec2 = (a.astype(dt, copy=False) for a in (input, vec1, vec2))
    shape = (vec1.shape[0], vec2.shape[0])
    try:
        np.broadcast_to(input, shape)
    except ValueError:
        raise _expand_error(input, shape) from None
    prod = np.multiply.outer(vec1, vec2) if dt.kind != "b" else np.logical_and.outer(vec1, vec2)
    prod = _scale(prod, alpha, dt.kind, "alpha")
    if beta == 0:  # input is ignored, NaN included
        return np.broadcast_to(prod, shape).astype(dt)
    base = np.broadcast_to(_scale(input, beta, dt.kind, "beta"), shape)
    return (np.logical_or(base, prod) if dt.kind == "b" else base + prod).astype(dt)


@addr.vjp
def _(grad, vec1, vec2, needs_input_grad, *, beta, alpha):
    return (grad * beta if needs_input_grad[0] else None,
            grad.mv(vec2) * alpha if needs_input_grad[1] else None,
            grad.t().mv(vec1) * alpha if needs_input_grad[2] else None)


# *** index helpers ***

def _tri_indices(fn: Any, name: str, row: int, col: int, offset: int, dtype: Any) -> Tensor:
    dtype = dtype or _dtype.int64
    if dtype.np.kind not in "iu" or dtype.np.itemsize < 4:
        raise _not_for(name, dtype.np)
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    rows, cols = fn(row, offset, col)
    return Tensor._make(np.stack([rows, cols]).astype(dtype.np).reshape(2, -1))


@composite("tril_indices", method=False)
def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (row, col) indices of the lower triangle of a row x col matrix, as a 2 x N tensor.

    Example::
        >>> ndgrad.tril_indices(2, 2).tolist()
        [[0, 1, 1], [0, 0, 1]]
    """
    return _tri_indices(np.tril_indices, "tril_indices", row, col, offset, dtype)


@composite("triu_indices", method=False)
def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The (row, col) indices of the upper triangle of a row x col matrix, as a 2 x N tensor.

    Example::
        >>> ndgrad.triu_indices(2, 2).tolist()
        [[0, 0, 1], [0, 1, 1]]
    """
    return _tri_indices(np.triu_indices, "triu_indices", row, col, offset, dtype)


@composite("unravel_index", method=False)
def unravel_index(indices: Tensor, shape: Any) -> tuple:
    """The coordinates in a tensor of `shape` of flat indices (wrapping around as torch does).

    Example::
        >>> ndgrad.unravel_index(ndgrad.tensor(3), (2, 2))
        (tensor(1), tensor(1))
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be integer tensor, but got {type(indices)}")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = _int_list(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(shape)}")
    idx = indices._data.astype(np.int64)
    out, stride = [], 1
    for s in reversed(shape):  # coordinate k = (index // prod(shape[k+1:])) % shape[k]
        out.append(np.mod(np.floor_divide(idx, stride), s) if s else np.zeros_like(idx))
        stride *= s
    return tuple(Tensor._make(np.asarray(c, np.int64)) for c in reversed(out))
