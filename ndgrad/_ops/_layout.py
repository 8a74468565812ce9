"""The strides torch gives a copy made with preserve_format (clone's default): those of a dense
tensor, and for any other one dense strides in the order of its dims by stride."""
from __future__ import annotations

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
