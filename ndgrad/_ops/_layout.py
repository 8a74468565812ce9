"""Memory layout of new tensors as torch chooses it (strides of clone, empty_like, ...)."""
from __future__ import annotations

from typing import Any

import numpy as np


def non_overlapping_and_dense(arr: np.ndarray) -> bool:
    """torch's is_non_overlapping_and_dense: some permutation of the dims is C-contiguous."""
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


def empty_like(arr: np.ndarray, memory_format: Any = None, dtype: Any = None) -> np.ndarray:
    """An uninitialised array shaped like arr with the strides torch gives `empty_like`:
    preserve_format (the default) keeps a dense tensor's strides and otherwise the order of its
    dims by stride; contiguous_format (named as torch prints it) is C-contiguous."""
    dtype = arr.dtype if dtype is None else dtype
    preserve = memory_format is None or str(memory_format) == "torch.preserve_format"
    if not preserve or arr.ndim < 2 or arr.flags.c_contiguous:
        return np.empty(arr.shape, dtype)
    if non_overlapping_and_dense(arr):
        return np.empty_like(arr, dtype, order="K")
    outer_first = _dims_inner_to_outer(arr)[::-1]
    out = np.empty([arr.shape[d] for d in outer_first], dtype)
    return out.transpose(np.argsort(outer_first))


def copy_with_layout(arr: np.ndarray, memory_format: Any = None) -> np.ndarray:
    """A copy of arr laid out as torch's clone(memory_format=...) lays it out."""
    out = empty_like(arr, memory_format)
    np.copyto(out, arr)
    return out
