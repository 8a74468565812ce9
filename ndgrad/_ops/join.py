"""Joining, splitting and reordering: cat / stack and friends, split / chunk / tensor_split /
unbind, flips, roll and rot90."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import call, composite, primitive
from .shape import _int_list, _size_args, _sized_outputs, _type_name, reshape, unsqueeze

# *** joining ***

def _check_tensors(tensors: Sequence, fn: str) -> None:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        "Tensor")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(x).__name__}")


def _promoted(arrays: Sequence[np.ndarray]) -> list:
    dt = arrays[0].dtype
    if all(a.dtype == dt for a in arrays):
        return list(arrays)
    dt = _dtype.result_type_of([_dtype._FROM_NP[a.dtype] for a in arrays], [], []).np
    return [a.astype(dt, copy=False) for a in arrays]


@primitive("cat", complex=True, grad_fn="CatBackward0", export=False, inputs=("a", "b", "c"),
           samples=[(((2, 3), (2, 3)), {"dim": 0}), (((2, 3), (2, 1), (2, 2)), {"dim": -1}),
                    (((2,), (0,)), {"dim": 0})],
           torch_fn=lambda torch, *ts, dim: torch.cat(ts, dim))
def _cat(*tensors, dim, sizes):
    # sizes[i] is None for a legacy 1-D empty tensor, which cat skips whatever its shape
    kept = [a for a, s in zip(tensors, sizes) if s is not None] or [tensors[0]]
    return np.concatenate(_promoted(kept), axis=dim)


@_cat.vjp
def _(grad, *, dim, sizes):
    real = tuple(s for s in sizes if s is not None)
    parts = iter(_split.public(grad, sizes=real, dim=dim, even=False) if real else ())
    empty = Tensor._make(np.zeros(0, grad._data.dtype))
    return tuple(next(parts) if s is not None else empty for s in sizes)


def _cat_public(*tensors: Tensor, dim: int = 0) -> Tensor:
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    _check_tensors(tensors, "cat")
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"cat(): argument 'dim' (position 2) must be int, not {type(dim).__name__}")
    shapes = [x._data.shape for x in tensors]
    for i, s in enumerate(shapes):
        if not s:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    skip = [s == (0,) for s in shapes]
    ref = next((s for s, k in zip(shapes, skip) if not k), shapes[0])
    d = _wrap_dim(dim, len(ref))
    for i, (s, k) in enumerate(zip(shapes, skip)):
        if k:
            continue
        if len(s) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and "
                               f"{len(s)}")
        for j, (a, b) in enumerate(zip(ref, s)):
            if j != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {a} but got size {b} for tensor number {i} in "
                                   "the list.")
    sizes = tuple(None if k and not all(skip) else s[d] for s, k in zip(shapes, skip))
    return call(_cat, tensors, {"dim": d, "sizes": sizes})


_cat.public = _cat_public


@composite("cat", method=False)
def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Concatenate tensors along an existing dim (dtypes promoted; `axis` is an alias of dim).

    Example::
        >>> ndgrad.cat([ndgrad.zeros(1, 2), ndgrad.ones(1, 2)]).shape
        torch.Size([2, 2])
    """
    _check_tensors(tensors, "cat")
    return _cat_public(*tensors, dim=dim if axis is None else axis)


@composite("concat", method=False)
def concat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """Alias of cat."""
    return cat(tensors, dim if axis is None else axis)


@composite("concatenate", method=False)
def concatenate(tensors: Sequence[Tensor], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Alias of cat (`dim` is an alias of axis, as torch's argument parser allows)."""
    return cat(tensors, axis if dim is None else dim)


@primitive("stack", complex=True, grad_fn="StackBackward0", export=False, inputs=("a", "b", "c"),
           samples=[(((2, 3), (2, 3)), {"dim": 0}), (((3,), (3,), (3,)), {"dim": -1}),
                    (((), ()), {"dim": 0})],
           torch_fn=lambda torch, *ts, dim: torch.stack(ts, dim))
def _stack(*tensors, dim):
    return np.stack(_promoted(tensors), axis=dim)


@_stack.vjp
def _(grad, *, dim):
    return _unbind.public(grad, dim=dim)


def _stack_public(*tensors: Tensor, dim: int = 0) -> Tensor:
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    _check_tensors(tensors, "stack")
    s0 = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at "
                               f"entry 0 and {list(x._data.shape)} at entry {i}")
    return call(_stack, tensors, {"dim": _wrap_dim(dim, len(s0) + 1)})


_stack.public = _stack_public


@composite("stack", method=False)
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim.

    Example::
        >>> ndgrad.stack([ndgrad.zeros(2), ndgrad.ones(2)], 1).shape
        torch.Size([2, 2])
    """
    _check_tensors(tensors, "stack")
    return _stack_public(*tensors, dim=dim)


def _atleast(tensors: tuple, fn: Callable) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(x) for x in tensors[0])
    return fn(tensors[0]) if len(tensors) == 1 else tuple(fn(x) for x in tensors)


def _at1(x: Tensor) -> Tensor:
    return reshape(x, 1) if x._data.ndim == 0 else x


def _at2(x: Tensor) -> Tensor:
    n = x._data.ndim
    return reshape(x, 1, 1) if n == 0 else unsqueeze(x, 0) if n == 1 else x


def _at3(x: Tensor) -> Tensor:
    n = x._data.ndim
    if n == 0:
        return reshape(x, 1, 1, 1)
    return unsqueeze(unsqueeze(x, 0), -1) if n == 1 else unsqueeze(x, -1) if n == 2 else x


@composite("atleast_1d", method=False)
def atleast_1d(*tensors) -> Any:
    """View 0-d tensors as 1-d.

    Example::
        >>> ndgrad.atleast_1d(ndgrad.tensor(1.)).shape
        torch.Size([1])
    """
    return _atleast(tensors, _at1)


@composite("atleast_2d", method=False)
def atleast_2d(*tensors) -> Any:
    """View tensors of fewer dims as 2-d."""
    return _atleast(tensors, _at2)


@composite("atleast_3d", method=False)
def atleast_3d(*tensors) -> Any:
    """View tensors of fewer dims as 3-d."""
    return _atleast(tensors, _at3)


@composite("hstack", method=False)
def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 1 (dim 0 for 1-d tensors).

    Example::
        >>> ndgrad.hstack([ndgrad.zeros(2), ndgrad.ones(3)]).shape
        torch.Size([5])
    """
    _check_tensors(tensors, "hstack")
    ts = [_at1(x) for x in tensors]
    return _cat_public(*ts, dim=0 if ts and ts[0]._data.ndim == 1 else 1)


@composite("vstack", method=False)
def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 0 of the tensors made at least 2-d."""
    _check_tensors(tensors, "vstack")
    return _cat_public(*[_at2(x) for x in tensors], dim=0)


@composite("dstack", method=False)
def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 2 of the tensors made at least 3-d."""
    _check_tensors(tensors, "dstack")
    return _cat_public(*[_at3(x) for x in tensors], dim=2)


# *** splitting ***

@primitive("split", complex=True, grad_fn=lambda sizes, dim, even: "SplitBackward0" if even
           else "SplitWithSizesBackward0", export=False, n_outputs=2, view=True,
           samples=[((5, 2), {"sizes": (2, 2, 1), "dim": 0, "even": True}),
                    ((2, 4), {"sizes": (1, 3), "dim": 1, "even": False})],
           torch_fn=lambda torch, x, sizes, dim, even: x.split(sizes[0] if even else sizes, dim))
def _split(input, *, sizes, dim, even):
    return np.split(input, np.cumsum(sizes[:-1]).tolist(), axis=dim)


@_split.vjp
def _(grads, *, sizes, dim, even):
    return _cat_public(*grads, dim=dim)


_split.public = _sized_outputs(_split.public)


@composite("split")
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Split into pieces of split_size (the last may be smaller) or of the given sizes (views).

    Example::
        >>> [p.shape[0] for p in ndgrad.zeros(5).split(2)]
        [2, 2, 1]
    """
    shape = tensor._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, len(shape))
    n = shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        s = int(split_size_or_sections)
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        if s == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        k = max((n + s - 1) // s, 1) if s else 1
        sizes = (s,) * (k - 1) + (n - s * (k - 1),)
        return _split.public(tensor, sizes=sizes, dim=d, even=True)
    sizes = _int_list(split_size_or_sections)
    if sum(sizes) != n or any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                           f"tensor's size at dimension {d}), but got split_sizes={list(sizes)}")
    return _split.public(tensor, sizes=sizes, dim=d, even=False)


@composite("chunk")
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` pieces of ceil(size / chunks) (fewer if the size runs out).

    Example::
        >>> len(ndgrad.zeros(6).chunk(4))
        3
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    shape = input._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = shape[_wrap_dim(dim, len(shape))]
    s = (n + chunks - 1) // chunks
    if s == 0:
        return split(input, [0] * chunks, dim)
    return split(input, s, dim)


@composite("tensor_split")
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Split into n near-equal sections, or at the given indices (each a SliceBackward0 view).

    Example::
        >>> [p.shape[0] for p in ndgrad.zeros(5).tensor_split(3)]
        [2, 2, 1]
    """
    from .indexing import _slice

    d = _wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{ios._data.ndim} dims")
        if ios._data.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype "
                               f"of long, but got {_type_name(ios._data)}")
        ios = ios._data.item() if ios._data.ndim == 0 else ios._data.tolist()
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds = [i * q + min(i, r) for i in range(k + 1)]
    else:
        bounds = [0] + [int(i) for i in ios] + [n]
    return tuple(_slice(input, d, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1))


@primitive("unbind", complex=True, grad_fn="UnbindBackward0", export=False, n_outputs=2, view=True,
           samples=[((2, 3), {"dim": 0}), ((2, 3), {"dim": -1})],
           torch_fn=lambda torch, x, dim: x.unbind(dim))
def _unbind(input, *, dim):
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, input.ndim)
    lead = (slice(None),) * d
    return [input[lead + (i, Ellipsis)] for i in range(input.shape[d])]


@_unbind.vjp
def _(grads, *, dim):
    return _stack_public(*grads, dim=dim)


_unbind.public = _sized_outputs(_unbind.public)


@composite("unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """All slices along dim, as a tuple of views.

    Example::
        >>> len(ndgrad.zeros(3, 2).unbind())
        3
    """
    return _unbind.public(input, dim=dim)


# *** reordering ***

def _flip_dims(dims: tuple, n: int) -> tuple:
    out = tuple(_wrap_dim(d, n) for d in dims)
    for d in out:
        if out.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out if n else ()


@primitive("flip", complex=True, grad_fn="FlipBackward0", export=False,
           samples=[((2, 3), {"dims": (0,)}), ((2, 3, 2), {"dims": (0, -1)})],
           torch_fn=lambda torch, x, dims: x.flip(dims))
def _flip(input, *, dims):
    # torch's flip copies; a NumPy negative-stride view would alias the input
    return np.flip(input, _flip_dims(dims, input.ndim)).copy()


@_flip.vjp
def _(grad, *, dims):
    return _flip.public(grad, dims=dims)


@composite("flip")
def flip(input: Tensor, *dims: Any, **kwargs: Any) -> Tensor:
    """Reverse the order of elements along dims (a copy); `flip(x, dims)`, `x.flip(*dims)`.

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).flip(dims=(0,))
        tensor([3., 2., 1.])
    """
    if "dims" in kwargs:
        if dims:
            raise TypeError("flip() got multiple values for argument 'dims'")
        dims = kwargs.pop("dims")
        if not isinstance(dims, (tuple, list)):
            raise TypeError(f"flip(): argument 'dims' must be tuple of ints, not "
                            f"{type(dims).__name__}")
        dims = (dims,)
    if kwargs:
        raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    return _flip.public(input, dims=_size_args(dims))


@composite("fliplr")
def fliplr(input: Tensor) -> Tensor:
    """flip dim 1 (needs >= 2 dims)."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return _flip.public(input, dims=(1,))


@composite("flipud")
def flipud(input: Tensor) -> Tensor:
    """flip dim 0 (needs >= 1 dim)."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return _flip.public(input, dims=(0,))


@primitive("roll", complex=True, grad_fn="RollBackward0", inputs=("input",),
           samples=[((5,), {"shifts": 2}), ((2, 3), {"shifts": (1, -1), "dims": (0, 1)}),
                    ((2, 3), {"shifts": 4})])
def roll(input, shifts, dims=None):
    """Rotate elements along dims (the flattened tensor when dims is None).

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).roll(1)
        tensor([3., 1., 2.])
    """
    sh = _int_list(shifts)
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        return np.roll(input, sh[0])
    ds = _int_list(dims)
    if not sh:
        raise RuntimeError("`shifts` required")
    if len(sh) != len(ds):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    if input.ndim == 0:
        return input.copy()
    return np.roll(input, sh, axis=tuple(_wrap_dim(d, input.ndim) for d in ds))


@roll.vjp
def _(grad, *, shifts, dims):
    return roll(grad, tuple(-s for s in _int_list(shifts)), dims)


@primitive("rot90", complex=True, grad_fn="Rot90Backward0", inputs=("input",),
           samples=[((2, 3), {}), ((2, 3, 2), {"k": -1, "dims": (2, 0)}), ((2, 3), {"k": 2})])
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees k times in the plane of dims (from the first toward the second).

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).rot90()
        tensor([[2., 4.],
                [1., 3.]])
    """
    dims = _int_list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = _wrap_dim(dims[0], input.ndim), _wrap_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    return np.rot90(input, k, axes=(d0, d1)).copy()


@rot90.vjp
def _(grad, *, k, dims):
    return rot90(grad, -k, dims)
