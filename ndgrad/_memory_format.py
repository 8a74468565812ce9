"""torch.memory_format and torch.layout objects, and the strides each memory format gives an array
(NumPy holds any strides, so channels_last tensors really are stored channels-last)."""
from __future__ import annotations

from typing import Any

import numpy as np


class memory_format:
    """How a dense tensor's elements are ordered in memory (torch.channels_last, ...)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self) -> str:
        return self._name  # pickled by reference to the module-level instance


class layout:
    """How a tensor is stored: ndgrad has only torch.strided (dense arrays)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"

    def __reduce__(self) -> str:
        return self._name


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
legacy_contiguous_format = contiguous_format  # an alias in torch as well

strided = layout("strided")
sparse_coo, sparse_csr, sparse_csc = layout("sparse_coo"), layout("sparse_csr"), layout("sparse_csc")
sparse_bsr, sparse_bsc, jagged = layout("sparse_bsr"), layout("sparse_bsc"), layout("jagged")

# the dimension order, outermost first, that a channels-last format stores
_ORDER = {channels_last: (0, 2, 3, 1), channels_last_3d: (0, 2, 3, 4, 1)}


def _order(fmt: Any, ndim: int) -> tuple | None:
    """The storage order of fmt for an ndim tensor (None: C order), or torch's error."""
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return None
    order = _ORDER.get(fmt)
    if order is None:
        raise TypeError(f"memory_format must be a torch.memory_format, got {fmt!r}")
    if ndim != len(order):
        raise RuntimeError(f"required rank {len(order)} tensor to use {fmt._name} format")
    return order


def is_contiguous(arr: np.ndarray, fmt: Any = None) -> bool:
    """Tensor.is_contiguous(memory_format=fmt) of an array."""
    order = _ORDER.get(fmt) if fmt is not None else None
    if order is None:
        return bool(arr.flags.c_contiguous)
    return arr.ndim == len(order) and bool(arr.transpose(order).flags.c_contiguous)


def empty(shape: tuple, dtype: Any, fmt: Any = None) -> np.ndarray:
    """torch.empty(shape, memory_format=fmt) as an array."""
    if fmt is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    order = _order(fmt, len(shape))
    if order is None:
        return np.empty(shape, dtype=dtype)
    return np.empty(tuple(shape[d] for d in order), dtype=dtype).transpose(np.argsort(order))


def empty_like(arr: np.ndarray, dtype: Any, fmt: Any = None) -> np.ndarray:
    """torch.empty_like(t, memory_format=fmt). preserve_format (the default) keeps a channels-last
    layout; any other layout gives C order (torch would keep e.g. a transpose's strides: the
    values are the same, and ndgrad's own code relies on fresh tensors being C-ordered)."""
    if fmt is None or fmt is preserve_format:
        shape = arr.shape
        if len(shape) in (4, 5) and not arr.flags.c_contiguous:
            fmt = channels_last if len(shape) == 4 else channels_last_3d
            if not is_contiguous(arr, fmt):
                fmt = None
        if fmt is None or fmt is preserve_format:
            return np.empty(shape, dtype=dtype)
    return empty(arr.shape, dtype, fmt)


def copy(arr: np.ndarray, fmt: Any = None) -> np.ndarray:
    """clone(memory_format=fmt) of an array: preserve_format keeps arr's stride order."""
    if fmt is None or fmt is preserve_format:
        return copy_preserving(arr)
    out = empty(arr.shape, arr.dtype, fmt)
    np.copyto(out, arr)
    return out


# *** the strides torch gives a copy made with preserve_format (clone's default): those of a
# dense tensor, and for any other one dense strides in the order of its dims by stride ***

def non_overlapping_and_dense(arr: np.ndarray) -> bool:
    """torch's is_non_overlapping_and_dense: some permutation of the dims is C-contiguous."""
    # the common case without the sort (NumPy calls every empty array contiguous: not torch)
    if arr.size and (arr.flags.c_contiguous or arr.flags.f_contiguous):
        return True
    expected = arr.itemsize
    for stride, size in sorted((s, n) for s, n in zip(arr.strides, arr.shape) if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def _dims_inner_to_outer(arr: np.ndarray) -> list[int]:
    """torch's infer_dense_strides order: a stable insertion sort of the dims by stride (then
    size) in which a zero stride compares as ambiguous, so broadcast dims keep their place."""
    strides, sizes = arr.strides, arr.shape
    perm = list(range(arr.ndim - 1, -1, -1))

    def should_swap(d0: int, d1: int) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return 1 if s0 > s1 else -1
        return 1 if sizes[d0] > sizes[d1] else 0

    for i in range(1, arr.ndim):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            cmp = should_swap(perm[d0], perm[d1])
            if cmp > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif cmp < 0:
                break
    return perm


def copy_preserving(arr: np.ndarray) -> np.ndarray:
    """A copy of arr laid out as torch's clone(memory_format=torch.preserve_format)."""
    if arr.ndim < 2 or arr.flags.c_contiguous:
        return arr.copy()
    if non_overlapping_and_dense(arr):
        return np.array(arr, copy=True, order="K")  # NumPy keeps a dense array's strides
    outer_first = _dims_inner_to_outer(arr)[::-1]
    out = np.empty([arr.shape[d] for d in outer_first], arr.dtype).transpose(
        np.argsort(outer_first))
    np.copyto(out, arr)
    return out
