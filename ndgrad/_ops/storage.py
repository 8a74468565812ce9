"""Tensors by their memory layout: scalar_tensor, empty_strided, empty_permuted, and the in-place
resize_ / resize_as_ that change a tensor's size over its storage."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, device as _device
from ..autograd.grad_mode import STATE
from ._registry import composite
from .inplace import bump_version
from .shape import _int_list, _size_args
from .view_ops import storage_of


def _new(arr: np.ndarray, device: Any, requires_grad: bool) -> Tensor:
    if device is not None:
        _device(device)  # a device ndgrad cannot use is an error
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_()
    return t


def _float(dtype: Any) -> np.dtype:
    return (dtype or _dtype.get_default_dtype()).np


@composite("scalar_tensor", method=False)
def scalar_tensor(s: Any, *, dtype: Any = None, layout: Any = None, device: Any = None,
                  pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor holding the number s (the default float dtype unless dtype is given).

    Example::
        >>> ndgrad.scalar_tensor(3)
        tensor(3.)
    """
    return _new(np.asarray(s, _float(dtype)), device, requires_grad)


@composite("empty_strided", method=False)
def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: Any = None,
                  layout: Any = None, device: Any = None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor with the given sizes and strides (in elements).

    Example::
        >>> ndgrad.empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
    """
    size, stride = _int_list(size), _int_list(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    dt = np.dtype(_float(dtype))
    need = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    flat = np.empty(need, dt)
    arr = np.lib.stride_tricks.as_strided(flat, size, tuple(s * dt.itemsize for s in stride))
    return _new(arr, device, requires_grad)


@composite("empty_permuted", method=False)
def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *, dtype: Any = None,
                   layout: Any = None, device: Any = None, requires_grad: bool = False,
                   pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of `size` whose dims are laid out in memory in the order
    physical_layout (outermost first).

    Example::
        >>> ndgrad.empty_permuted((2, 3), (1, 0)).stride()
        (1, 2)
    """
    size, order = _int_list(size), _int_list(physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"Dimension out of range or repeated in physical_layout {list(order)}")
    arr = np.empty(tuple(size[d] for d in order), _float(dtype))
    return _new(np.transpose(arr, np.argsort(order)), device, requires_grad)


@composite("resize_", export=False)
def resize_(self: Tensor, *size: Any, memory_format: Any = None) -> Tensor:
    """Give self the size `size` over its storage (grown, uninitialised, when too small).

    Example::
        >>> ndgrad.arange(6.).resize_(2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """
    if self._requires_grad and STATE.enabled:
        raise RuntimeError("cannot resize variables that require grad")
    shape = _size_args(size)
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(shape)}: "
                           f"{list(shape)}")
    need = int(np.prod(shape))
    if shape == self._data.shape:
        return self
    flat, offset = storage_of(self._data)
    if self._data.flags.c_contiguous and offset + need <= flat.size:
        self._data = flat[offset:offset + need].reshape(shape)
    else:  # torch grows the storage: the old elements first, in order
        grown = np.empty(need, self._data.dtype)
        old = np.ascontiguousarray(self._data).reshape(-1)[:need]
        grown[:old.size] = old
        self._data = grown.reshape(shape)
    bump_version(self)
    return self


@composite("resize_as_")
def resize_as_(input: Tensor, the_template: Tensor, *, memory_format: Any = None) -> Tensor:
    """resize_ input to the_template's size.

    Example::
        >>> ndgrad.zeros(4).resize_as_(ndgrad.zeros(2, 2)).shape
        torch.Size([2, 2])
    """
    return resize_(input, tuple(the_template._data.shape))


@composite("new_empty_strided", export=False)
def new_empty_strided(self: Tensor, size: Sequence[int], stride: Sequence[int], *,
                      dtype: Any = None, layout: Any = None, device: Any = None,
                      requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """empty_strided with self's dtype unless dtype is given.

    Example::
        >>> ndgrad.zeros(1, dtype=ndgrad.int64).new_empty_strided((2,), (2,)).dtype
        torch.int64
    """
    return empty_strided(size, stride, dtype=dtype or self.dtype, device=device,
                         requires_grad=requires_grad)
