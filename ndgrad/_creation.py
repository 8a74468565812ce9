"""Tensor creation: from data, filled, ranges, and random draws on torch's CPU streams."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from . import _dtype, _memory_format
from ._dtype import dtype as _DType
from ._factory import factory
from ._tensor import _TORCH_TYPE_NAMES, Tensor, _check_floating

_STRIDED = "aten::empty_strided"  # what torch's *_like factories allocate with

_C_TYPES = {"float64": "double", "int64": "int64_t", "int32": "int", "int16": "int16_t",
            "int8": "int8_t", "uint8": "uint8_t", "bool": "bool", "float16": "c10::Half"}


def _sizes(size: Sequence) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        out = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be a tuple of ints, but got {size!r}") from None
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return out


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    if requires_grad:
        _check_floating(arr)
    return Tensor._make(arr, bool(requires_grad))


def _float(dtype: _DType | None) -> np.dtype:
    return (dtype or _dtype._Default.float).np


# *** from data ***

def _to_array(data: Any) -> np.ndarray:
    """NumPy array of data with torch's dtype inference (Python floats -> default dtype)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    if isinstance(data, (list, tuple)):
        items = [_to_array(d) if isinstance(d, (Tensor, list, tuple)) else d for d in data]
        arr = np.array(items)
        if arr.dtype == object:
            raise ValueError("expected a sequence of numbers with a regular shape")
        if arr.dtype.kind in "fc" and not _has_numpy_float(data):
            arr = arr.astype(_default_for(arr))
        return arr
    arr = np.asarray(data)
    if arr.dtype.kind in "fc" and isinstance(data, (float, complex)):
        arr = arr.astype(_default_for(arr))
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return arr


def _default_for(arr: np.ndarray) -> np.dtype:
    """The default dtype of Python floats (complex numbers: the matching complex dtype)."""
    d = _dtype._Default.float
    return (d.to_complex() if arr.dtype.kind == "c" else d).np


def _has_numpy_float(data: Any) -> bool:
    # torch.tensor([np.float64(1.)]) stays float64; plain Python floats take the default dtype
    for d in data:
        if isinstance(d, (list, tuple)):
            if _has_numpy_float(d):
                return True
        elif isinstance(d, (np.inexact, np.ndarray, Tensor)) and getattr(d, "dtype", None) \
                is not None and np.dtype(d.dtype if not isinstance(d, Tensor) else
                                         d._data.dtype) in (np.float64, np.complex128):
            return True
    return False


@factory("tensor", takes_out=False, allocating=False)
def tensor(data: Any, *, dtype: _DType | None = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor (always a copy) holding data.

    Example::
        >>> ndgrad.tensor([[1, 2], [3, 4]], dtype=ndgrad.float32)
        tensor([[1., 2.],
                [3., 4.]])
    """
    if dtype is not None and not isinstance(data, (Tensor, np.ndarray)):
        # a requested dtype is applied to the Python numbers directly (no float32 detour)
        try:
            arr = np.array(data, dtype=dtype.np)
        except (TypeError, ValueError):
            arr = np.array(_to_array(data), dtype=dtype.np)
        return _finish(arr, requires_grad)
    arr = _to_array(data)
    arr = np.array(arr, dtype=dtype.np if dtype is not None else None, copy=True)
    _dtype.from_numpy_dtype(arr.dtype)
    return _finish(arr, requires_grad)


@factory("as_tensor", takes_out=False, allocating=False)
def as_tensor(data: Any, *, dtype: _DType | None = None, device: Any = None) -> Tensor:
    """Like tensor(), but shares memory with a NumPy array or Tensor when the dtype allows.

    Example::
        >>> a = np.zeros(2); t = ndgrad.as_tensor(a); a[0] = 1; t
        tensor([1., 0.], dtype=torch.float64)
    """
    if isinstance(data, Tensor):
        return data if dtype is None or dtype.np == data._data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        _dtype.from_numpy_dtype(data.dtype)
        return Tensor._make(data if dtype is None else data.astype(dtype.np, copy=False))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ndarray.

    Example::
        >>> ndgrad.from_numpy(np.array([1, 2]))
        tensor([1, 2])
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


# *** filled ***

@factory("zeros")
def zeros(*size: Any, dtype: _DType | None = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    Example::
        >>> ndgrad.zeros(2, 3).shape
        torch.Size([2, 3])
    """
    return _finish(np.zeros(_sizes(size), dtype=_float(dtype)), requires_grad)


@factory("ones")
def ones(*size: Any, dtype: _DType | None = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    Example::
        >>> ndgrad.ones(2)
        tensor([1., 1.])
    """
    return _finish(np.ones(_sizes(size), dtype=_float(dtype)), requires_grad)


@factory("empty")
def empty(*size: Any, dtype: _DType | None = None, device: Any = None,
          requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """An uninitialised tensor (memory_format=ndgrad.channels_last stores it channels-last)."""
    return _finish(_memory_format.empty(_sizes(size), _float(dtype), memory_format), requires_grad)


@factory("full")
def full(size: Sequence[int], fill_value: Any, *, dtype: _DType | None = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with fill_value (its dtype inferred as torch does).

    Example::
        >>> ndgrad.full((2,), 7)
        tensor([7, 7])
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    elif isinstance(fill_value, complex) and not dtype.is_complex:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES.get(dtype.name, 'float')} "
                           "without overflow")
    return _finish(np.full(_sizes((size,)), fill_value, dtype=dtype.np), requires_grad)


def _like(input: Tensor, dtype: _DType | None, memory_format: Any, fill: Any) -> np.ndarray:
    # preserve_format (the default) keeps input's stride order, as torch does
    dt = dtype.np if dtype is not None else input._data.dtype
    arr = _memory_format.empty_like(input._data, dt, memory_format)
    arr[...] = fill
    return arr


@factory("zeros_like", takes_out=False, allocating=_STRIDED)
def zeros_like(input: Tensor, *, dtype: _DType | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Zeros with input's shape and dtype."""
    return _finish(_like(input, dtype, memory_format, 0), requires_grad)


@factory("ones_like", takes_out=False, allocating=_STRIDED)
def ones_like(input: Tensor, *, dtype: _DType | None = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """Ones with input's shape and dtype."""
    return _finish(_like(input, dtype, memory_format, 1), requires_grad)


@factory("empty_like", takes_out=False, allocating=_STRIDED)
def empty_like(input: Tensor, *, dtype: _DType | None = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """An uninitialised tensor with input's shape and dtype."""
    dt = dtype.np if dtype is not None else input._data.dtype
    return _finish(_memory_format.empty_like(input._data, dt, memory_format), requires_grad)


@factory("full_like", takes_out=False, allocating=_STRIDED)
def full_like(input: Tensor, fill_value: Any, *, dtype: _DType | None = None,
              device: Any = None, requires_grad: bool = False, memory_format: Any = None) -> Tensor:
    """fill_value with input's shape and dtype."""
    return _finish(_like(input, dtype, memory_format, fill_value), requires_grad)


# *** ranges ***

@factory("arange")
def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: _DType | None = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive) by step.

    Example::
        >>> ndgrad.arange(3)
        tensor([0, 1, 2])
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = _dtype._Default.float if any(isinstance(v, float) for v in vals) else _dtype.int64
    if dtype.is_complex:
        raise NotImplementedError(f'"arange_cpu" not implemented for '
                                  f"'{_TORCH_TYPE_NAMES[dtype.name]}'")
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    if n < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype.is_floating_point:
        arr = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]).astype(dtype.np)
    else:
        arr = np.arange(vals[0], vals[0] + n * vals[2], vals[2], dtype=np.int64)[:n].astype(dtype.np)
    return _finish(arr, requires_grad)


@factory("linspace")
def linspace(start: float, end: float, steps: int, *, dtype: _DType | None = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included.

    Example::
        >>> ndgrad.linspace(0, 1, 5)
        tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])
    """
    if dtype is None and (isinstance(start, complex) or isinstance(end, complex)):
        dtype = _dtype._Default.float.to_complex()
    dt = _float(dtype)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    work = dt if dt.kind in "fc" else np.dtype(np.float64)
    s, e = work.type(start), work.type(end)
    if steps <= 1:
        arr = np.full(steps, s, dtype=work)
    else:
        # torch fills the first half forward from start and the second half backward from end
        step = (e - s) / work.type(steps - 1)
        i = np.arange(steps)
        half = steps // 2
        # torch's float32 kernel fuses start + step * i (one rounding, FMA): float64 arithmetic is
        # exact there and rounds once at the end
        fused = np.float64 if work == np.float32 else work.type
        s_, e_, step_ = fused(s), fused(e), fused(step)
        arr = np.where(i < half, s_ + step_ * i, e_ - step_ * (steps - i - 1)).astype(work)
    return _finish(arr.astype(dt), requires_grad)


@factory("logspace")
def logspace(start: float, end: float, steps: int, base: float = 10.0, *,
             dtype: _DType | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps).

    Example::
        >>> ndgrad.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    dt = _float(dtype)
    exps = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish(np.power(float(base), exps).astype(dt), requires_grad)


@factory("eye")
def eye(n: int, m: int | None = None, *, dtype: _DType | None = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """An n x m identity matrix.

    Example::
        >>> ndgrad.eye(2)
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _finish(np.eye(n, n if m is None else m, dtype=_float(dtype)), requires_grad)


# *** random ***

def _gen(generator: Any) -> Any:
    # torch's random streams load on first use: importing _random detects the CPU's kernels and
    # the C library and seeds the default generator, about as long as the rest of `import ndgrad`
    from . import _random

    return generator if generator is not None else _random.default_generator


@factory("rand")
def rand(*size: Any, generator: Any = None, dtype: _DType | None = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1), the same numbers torch draws after the same manual_seed.

    Example::
        >>> _ = ndgrad.manual_seed(0); ndgrad.rand(2)
        tensor([0.4963, 0.7682])
    """
    dt = _float(dtype)
    if dt.kind == "c":  # torch draws the real and imaginary parts as pairs of real numbers
        pairs = _gen(generator).uniform(_sizes(size) + (2,), dt.type(0).real.dtype)
        return _finish(pairs.view(dt)[..., 0], requires_grad)
    return _finish(_gen(generator).uniform(_sizes(size), dt), requires_grad)


@factory("randn")
def randn(*size: Any, generator: Any = None, dtype: _DType | None = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal samples, the same numbers torch draws after the same manual_seed: bit
    for bit in float64, and in float32/float16 under each of torch's CPU kernels (default, avx2,
    avx512) where the C library is glibc, else within 4 ulp (README, "Random numbers").

    Example::
        >>> _ = ndgrad.manual_seed(0); ndgrad.randn(2)
        tensor([ 1.5410, -0.2934])
    """
    dt = _float(dtype)
    if dt.kind == "c":  # real and imaginary parts drawn as pairs, each with variance 1/2
        pairs = _gen(generator).normal(_sizes(size) + (2,), dt.type(0).real.dtype, 0.0,
                                       1 / math.sqrt(2))  # torch's std / sqrt(2), rounded so
        return _finish(pairs.view(dt)[..., 0], requires_grad)
    return _finish(_gen(generator).normal(_sizes(size), dt), requires_grad)


@factory("randint")
def randint(*args: Any, size: Any = None, generator: Any = None, dtype: _DType | None = None,
            device: Any = None, requires_grad: bool = False, low: Any = None,
            high: Any = None) -> Tensor:
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size).

    Example::
        >>> ndgrad.randint(0, 10, (3,)).shape
        torch.Size([3])
    """
    args = list(args)
    if size is None:
        size = args.pop()
    if high is not None:  # randint(low=, high=, size=) and randint(low, high=, size=)
        args = [args[0] if args else (0 if low is None else low), high]
    low, high = (0, args[0]) if len(args) == 1 else args
    dt = (dtype or _dtype.int64).np
    return _finish(_gen(generator).randint(int(low), int(high), _sizes((size,)), dt), requires_grad)


@factory("randperm")
def randperm(n: int, *, generator: Any = None, dtype: _DType | None = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1.

    Example::
        >>> sorted(ndgrad.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    dt = (dtype or _dtype.int64).np
    return _finish(_gen(generator).randperm(int(n), dt), requires_grad)


# *** Tensor.new_*: a new tensor with self's dtype (and device) unless given ***

def new_tensor(self: Tensor, data: Any, dtype: _DType | None = None, device: Any = None,
               requires_grad: bool = False, layout: Any = None, pin_memory: bool = False) -> Tensor:
    """A copy of data as a tensor, with self's dtype unless dtype is given.

    Example::
        >>> ndgrad.ones(1, dtype=ndgrad.float64).new_tensor([1, 2])
        tensor([1., 2.], dtype=torch.float64)
    """
    return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad,
                  layout=layout, pin_memory=pin_memory)


def new_zeros(self: Tensor, *size: Any, dtype: _DType | None = None, **kwargs: Any) -> Tensor:
    """Zeros of the given size, with self's dtype unless dtype is given.

    Example::
        >>> ndgrad.ones(1, dtype=ndgrad.int32).new_zeros(2, 2)
        tensor([[0, 0],
                [0, 0]], dtype=torch.int32)
    """
    return zeros(*size, dtype=dtype or self.dtype, **kwargs)


def new_ones(self: Tensor, *size: Any, dtype: _DType | None = None, **kwargs: Any) -> Tensor:
    """Ones of the given size, with self's dtype unless dtype is given."""
    return ones(*size, dtype=dtype or self.dtype, **kwargs)


def new_empty(self: Tensor, *size: Any, dtype: _DType | None = None, **kwargs: Any) -> Tensor:
    """An uninitialised tensor of the given size, with self's dtype unless dtype is given."""
    return empty(*size, dtype=dtype or self.dtype, **kwargs)


def new_full(self: Tensor, size: Sequence[int], fill_value: Any, *, dtype: _DType | None = None,
             **kwargs: Any) -> Tensor:
    """fill_value in a tensor of the given size, with self's dtype unless dtype is given."""
    return full(size, fill_value, dtype=dtype or self.dtype, **kwargs)


Tensor.new_tensor, Tensor.new_zeros, Tensor.new_ones = new_tensor, new_zeros, new_ones
Tensor.new_empty, Tensor.new_full = new_empty, new_full
