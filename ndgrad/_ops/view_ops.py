"""Views beyond shape.py: as_strided over a tensor's storage, Tensor.unfold, view(dtype), and
the in-place view ops (squeeze_, unsqueeze_, t_, transpose_, as_strided_) that re-shape a tensor
itself."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import call, composite, primitive
from .index_ops import index_add, take
from .inplace import _carry_tangent, bump_version, check_inplace
from .shape import _int_list, _squeeze_name


# *** storage geometry ***

def storage_of(a: np.ndarray) -> tuple[np.ndarray, int]:
    """The flat memory a lies in (its outermost NumPy base, when that is a C-contiguous array of
    a's item size) and a's offset in it, in elements; otherwise a contiguous copy of a at 0."""
    root = a
    while True:
        base = root.base
        if base is not None and not isinstance(base, np.ndarray):  # as_strided's DummyArray
            base = getattr(base, "base", None)
        if not isinstance(base, np.ndarray):
            break
        root = base
    if root.flags.c_contiguous and root.itemsize == a.itemsize:
        flat = root.reshape(-1).view(a.dtype)
        offset = (a.__array_interface__["data"][0] - root.__array_interface__["data"][0])
        return flat, offset // a.itemsize
    return np.ascontiguousarray(a).reshape(-1), 0


def positions(shape: Sequence[int], strides: Sequence[int], offset: int) -> np.ndarray:
    """The storage index of every element of a strided view, in the view's shape."""
    idx = np.full(tuple(shape), offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        line = [1] * len(shape)
        line[d] = n
        idx = idx + (np.arange(n, dtype=np.int64) * s).reshape(line)
    return idx


def _geometry(a: np.ndarray) -> tuple[int, tuple, int]:
    """(offset, strides in elements, storage size) of a within its storage."""
    flat, offset = storage_of(a)
    return offset, tuple(s // a.itemsize for s in a.strides), flat.size


def _check_strided(size: tuple, stride: tuple, offset: int, storage: int, item: int) -> None:
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    need = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if need > storage:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size "
                           f"{storage * item}")


# *** as_strided ***

@primitive("as_strided", complex=True, grad_fn=lambda size, stride, storage_offset, geometry,
           inplace: "AsStridedBackward1" if inplace else "AsStridedBackward0", export=False,
           view=True,
    samples=[((3, 3), {"size": (2, 2), "stride": (1, 2), "storage_offset": 1,
                       "geometry": (0, (3, 1), 9), "inplace": False})],
    torch_fn=lambda torch, x, size, stride, storage_offset, **_: x.as_strided(size, stride,
                                                                            storage_offset))
def _as_strided(input, *, size, stride, storage_offset, geometry, inplace):
    flat, own = storage_of(input)
    offset = own if storage_offset is None else storage_offset
    _check_strided(size, stride, offset, flat.size, input.itemsize)
    return np.lib.stride_tricks.as_strided(flat[offset:], size,
                                           tuple(s * input.itemsize for s in stride))


@_as_strided.vjp
def _(grad, input_shape, *, size, stride, storage_offset, geometry, inplace):
    # torch's as_strided_backward: gradients land on the storage (summed where the view
    # overlaps itself), then are read back at the input's positions (split where it overlaps)
    own, in_strides, n = geometry
    offset = own if storage_offset is None else storage_offset
    out_pos = Tensor._make(positions(size, stride, offset).reshape(-1))
    in_pos = positions(input_shape, in_strides, own)
    store = index_add(Tensor._make(np.zeros(n, grad._data.dtype)), 0, out_pos, grad.reshape(-1))
    count = np.bincount(in_pos.reshape(-1), minlength=n)
    if count.max(initial=0) > 1:
        store = store / Tensor._make(np.maximum(count, 1).astype(grad._data.dtype))
    return take(store, Tensor._make(in_pos))


def _strided_attrs(input: Tensor, size: Any, stride: Any, storage_offset: Any,
                   inplace: bool) -> dict:
    return {"size": _int_list(size), "stride": _int_list(stride),
            "storage_offset": None if storage_offset is None else int(storage_offset),
            "geometry": _geometry(input._data), "inplace": inplace}


@composite("as_strided")
def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],
               storage_offset: int | None = None) -> Tensor:
    """A view of input's storage with the given sizes, strides (in elements) and offset.

    Example::
        >>> ndgrad.arange(6.).as_strided((2, 2), (1, 2))
        tensor([[0., 2.],
                [1., 3.]])
    """
    return call(_as_strided, (input,), _strided_attrs(input, size, stride, storage_offset, False))


# *** unfold ***

def _unfold_check(shape: tuple, d: int, size: int, step: int) -> int:
    n = shape[d] if shape else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return (n - size) // step + 1


@primitive("unfold", complex=True, grad_fn="UnfoldBackward0", inputs=("input",), view=True,
           export=False,
           samples=[((5, 3), {"dimension": 0, "size": 2, "step": 2}),
                    ((2, 6), {"dimension": -1, "size": 3, "step": 1}), ((), {"dimension": 0,
                                                                            "size": 1, "step": 1})],
           torch_fn=lambda torch, x, dimension, size, step: x.unfold(dimension, size, step))
def _unfold(input, dimension, size, step):
    shape = input.shape
    d = _wrap_dim(dimension, max(input.ndim, 1))
    count = _unfold_check(shape, d, size, step)
    if not shape:
        return input.reshape(1)
    st = input.strides
    new_shape = shape[:d] + (count,) + shape[d + 1:] + (size,)
    new_strides = st[:d] + (st[d] * step,) + st[d + 1:] + (st[d],)
    return np.lib.stride_tricks.as_strided(input, new_shape, new_strides)


@_unfold.vjp
def _(grad, input_shape, *, dimension, size, step):
    # every window element sends its gradient back to the input element it views
    idx = _unfold.forward(np.arange(int(np.prod(input_shape)), dtype=np.int64).reshape(
        input_shape), dimension, size, step)
    n = int(np.prod(input_shape))
    flat = index_add(Tensor._make(np.zeros(n, grad._data.dtype)), 0,
                     Tensor._make(np.ascontiguousarray(idx).reshape(-1)), grad.reshape(-1))
    return flat.reshape(input_shape)


@composite("unfold", export=False)
def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Windows of `size` elements every `step` along `dimension`, as a new last dim (a view).

    Example::
        >>> ndgrad.arange(5.).unfold(0, 2, 2)
        tensor([[0., 1.],
                [2., 3.]])
    """
    return _unfold.public(input, dimension, size, step)


# *** view(dtype) ***

@primitive("view_dtype", complex=True, differentiable=False, export=False, promote="same",
           samples=[((2, 4), {"dtype": _dtype.float32})],
           torch_fn=lambda torch, x, dtype: x.view(getattr(torch, dtype.name)))
def view_dtype(input, *, dtype):
    new = np.dtype(dtype.np)
    if new.itemsize == input.itemsize:
        return input.view(new)
    src, dst = (_dtype.SCALAR_TYPE_NAMES[input.dtype.name],
                _dtype.SCALAR_TYPE_NAMES[new.name])
    if input.ndim == 0:
        raise RuntimeError(f"self.dim() cannot be 0 to view {src} as {dst} (different element "
                           "sizes)")
    if input.strides[-1] != input.itemsize and input.shape[-1] != 1:
        raise RuntimeError(f"self.stride(-1) must be 1 to view {src} as {dst} (different element "
                           f"sizes), but got {input.strides[-1] // input.itemsize}")
    ratio = new.itemsize / input.itemsize
    if ratio > 1 and input.shape[-1] % int(ratio):
        raise RuntimeError(f"self.size(-1) must be divisible by {int(ratio)} to view {src} as "
                           f"{dst} (different element sizes), but got {input.shape[-1]}")
    if any(s % new.itemsize for s in input.strides[:-1]):
        raise RuntimeError(f"self.stride(k) must be divisible by {int(ratio)} for every k < "
                           f"self.dim() - 1 to view {src} as {dst} (different element sizes)")
    return np.lib.stride_tricks.as_strided(input, input.shape, input.strides[:-1] + (
        input.itemsize,)).view(new)


# *** in-place view ops: the tensor itself takes the view's geometry and node ***

def inplace_view(self: Tensor, op: Any, attrs: dict) -> Tensor:
    check_inplace(self, overlap_ok=True)
    out = call(op, (self,), attrs)
    self._data = out._data
    if out._grad_fn is not None:
        self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, 0, True
    if self._view is not None:
        self._view = out._view  # still a view of the same base, one more step along its chain
    bump_version(self)
    _carry_tangent(out, self)
    return self


@primitive("t_", complex=True, grad_fn="TBackward1", export=False, view=True,
           samples=[((2, 3), {})],
           torch_fn=lambda torch, x: x.clone().t_())
def _t_(input):
    if input.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return input.T


@_t_.vjp
def _(grad):
    return grad.t()


@primitive("transpose_", complex=True, grad_fn="TransposeBackward1", export=False, view=True,
           samples=[((2, 3, 4), {"dim0": 0, "dim1": -1})],
           torch_fn=lambda torch, x, dim0, dim1: x.clone().transpose_(dim0, dim1))
def _transpose_(input, *, dim0, dim1):
    n = max(input.ndim, 1)
    return np.swapaxes(input, _wrap_dim(dim0, n), _wrap_dim(dim1, n)) if input.ndim else \
        input.view()


@_transpose_.vjp
def _(grad, *, dim0, dim1):
    return grad.transpose(dim0, dim1)


def _squeeze_inplace_name(dim: Any) -> str:
    return {"SqueezeBackward0": "SqueezeBackward3", "SqueezeBackward1": "SqueezeBackward4",
            "SqueezeBackward2": "SqueezeBackward5"}[_squeeze_name(dim)]


@primitive("squeeze_inplace", complex=True, grad_fn=_squeeze_inplace_name, export=False, view=True,
           samples=[((1, 3, 1), {"dim": None}), ((1, 3, 1), {"dim": (0, 2)})],
           torch_fn=lambda torch, x, dim: x.clone().squeeze_() if dim is None else
           x.clone().squeeze_(dim))
def _squeeze_inplace(input, *, dim):
    from .shape import squeeze

    return squeeze.forward(input, dim)


@_squeeze_inplace.vjp
def _(grad, input_shape, *, dim):
    return grad.reshape(input_shape)


@primitive("unsqueeze_", complex=True, grad_fn="UnsqueezeBackward1", export=False, view=True,
           samples=[((2, 3), {"dim": 1})],
           torch_fn=lambda torch, x, dim: x.clone().unsqueeze_(dim))
def _unsqueeze_(input, *, dim):
    return np.expand_dims(input, _wrap_dim(dim, input.ndim + 1))


@_unsqueeze_.vjp
def _(grad, *, dim):
    return grad.squeeze(dim)


@composite("t_", export=False)
def t_(self: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims in place."""
    return inplace_view(self, _t_, {})


@composite("transpose_", export=False)
def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims of self in place."""
    return inplace_view(self, _transpose_, {"dim0": dim0, "dim1": dim1})


composite("swapdims_", export=False)(transpose_)
composite("swapaxes_", export=False)(transpose_)


@composite("squeeze_", export=False)
def squeeze_(self: Tensor, dim: Any = None) -> Tensor:
    """Remove size-1 dims of self in place (all, or those in dim)."""
    return inplace_view(self, _squeeze_inplace, {"dim": dim})


@composite("unsqueeze_", export=False)
def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim into self in place."""
    return inplace_view(self, _unsqueeze_, {"dim": dim})


@composite("as_strided_", export=False)
def as_strided_(self: Tensor, size: Sequence[int], stride: Sequence[int],
                storage_offset: int | None = None) -> Tensor:
    """Give self the geometry (sizes, strides, offset) of a view of its storage."""
    return inplace_view(self, _as_strided, _strided_attrs(self, size, stride, storage_offset,
                                                           True))
