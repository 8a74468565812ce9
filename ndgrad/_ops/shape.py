"""Shape ops (views where NumPy gives views) and indexing."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import composite, primitive


def _size_args(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _infer_size(shape: tuple, numel: int) -> tuple:
    """Replace one -1 in shape by the size that makes it hold numel elements."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    bad = any(s < -1 for s in shape)
    if neg and not bad and known and numel % known == 0:
        return tuple(numel // known if s == -1 else s for s in shape)
    if bad or neg or known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


# *** reshaping ***

@primitive("view", grad_fn="ViewBackward0", export=False, samples=[((2, 3), {"size": (3, 2)}),
                                                    ((2, 3), {"size": (-1,)})],
           torch_fn=lambda torch, x, size: x.view(size))
def _view(input, *, size):
    shape = _infer_size(size, input.size)
    try:
        return input.reshape(shape, copy=False)
    except ValueError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None


@_view.vjp
def _(grad, input_shape, *, size):
    return grad.reshape(input_shape)


@primitive("_unsafe_view", grad_fn="UnsafeViewBackward0", export=False, samples=[((2, 3), {"size": (6,)})],
           torch_fn=lambda torch, x, size: torch.ops.aten._unsafe_view(x, size))
def _unsafe_view(input, *, size):
    return input.reshape(_infer_size(size, input.size))


@_unsafe_view.vjp
def _(grad, input_shape, *, size):
    return grad.reshape(input_shape)


@composite("view")
def view(input: Tensor, *size) -> Tensor:
    """A tensor with the same data and a new shape (-1 infers one dimension); never copies.

    Example::
        >>> ndgrad.arange(6.).view(2, 3).shape
        torch.Size([2, 3])
    """
    from .. import _dtype

    if len(size) == 1 and isinstance(size[0], _dtype.dtype):
        raise NotImplementedError("view(dtype) is not supported")
    return _view.public(input, size=_size_args(size))


@composite("reshape")
def reshape(input: Tensor, *shape) -> Tensor:
    """Like view when the data allows it, otherwise a copy (recorded as torch records it).

    Example::
        >>> ndgrad.arange(6.).reshape(3, -1).shape
        torch.Size([3, 2])
    """
    shape = _size_args(shape)
    data = input._data
    try:
        data.reshape(_infer_size(shape, data.size), copy=False)
    except ValueError:
        return _unsafe_view.public(input.clone(), size=shape)
    return _view.public(input, size=shape)


@composite("flatten")
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one.

    Example::
        >>> ndgrad.zeros(2, 3, 4).flatten(1).shape
        torch.Size([2, 12])
    """
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


# *** dims ***

@primitive("transpose", grad_fn="TransposeBackward0", inputs=("input",),
           samples=[((2, 3), {"dim0": 0, "dim1": 1}), ((2, 3, 4), {"dim0": -1, "dim1": 0})])
def transpose(input, dim0, dim1):
    """Swap two dimensions (a view).

    Example::
        >>> ndgrad.zeros(2, 3).transpose(0, 1).shape
        torch.Size([3, 2])
    """
    n = input.ndim
    return np.swapaxes(input, _wrap_dim(dim0, n), _wrap_dim(dim1, n)) if n else input


@transpose.vjp
def _(grad, *, dim0, dim1):
    return grad.transpose(dim0, dim1)


@primitive("t", grad_fn="TBackward0", samples=[((2, 3), {}), ((3,), {})])
def t(input):
    """Transpose a tensor of at most 2 dims.

    Example::
        >>> ndgrad.zeros(2, 3).t().shape
        torch.Size([3, 2])
    """
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return input.T


@t.vjp
def _(grad):
    return grad.t()


@primitive("permute", grad_fn="PermuteBackward0", export=False, samples=[((2, 3, 4), {"dims": (2, 0, 1)})],
           torch_fn=lambda torch, x, dims: x.permute(dims))
def _permute(input, *, dims):
    n = input.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    return np.transpose(input, [_wrap_dim(d, n) for d in dims])


@_permute.vjp
def _(grad, *, dims):
    n = len(dims)
    return grad.permute(*np.argsort([d % n for d in dims]).tolist())


@composite("permute")
def permute(input: Tensor, *dims) -> Tensor:
    """Reorder dimensions (a view).

    Example::
        >>> ndgrad.zeros(2, 3, 4).permute(2, 0, 1).shape
        torch.Size([4, 2, 3])
    """
    return _permute.public(input, dims=_size_args(dims))


@primitive("unsqueeze", grad_fn="UnsqueezeBackward0", inputs=("input",), samples=[((3,), {"dim": 0}),
                                                              ((2, 3), {"dim": -1})])
def unsqueeze(input, dim):
    """Insert a dimension of size 1 at `dim` (a view).

    Example::
        >>> ndgrad.zeros(3).unsqueeze(0).shape
        torch.Size([1, 3])
    """
    return np.expand_dims(input, _wrap_dim(dim, input.ndim + 1))


@unsqueeze.vjp
def _(grad, *, dim):
    return grad.squeeze(dim)


def _squeeze_name(dim) -> str:
    if dim is None:
        return "SqueezeBackward0"
    return "SqueezeBackward2" if isinstance(dim, (tuple, list)) else "SqueezeBackward1"


@primitive("squeeze", grad_fn=_squeeze_name, samples=[((1, 3, 1), {}), ((1, 3), {"dim": 0}),
                                                      ((1, 3, 1), {"dim": (0, 2)})])
def squeeze(input, dim=None):
    """Remove dimensions of size 1 (all, or those in `dim` that have size 1).

    Example::
        >>> ndgrad.zeros(1, 3, 1).squeeze().shape
        torch.Size([3])
    """
    if dim is None:
        return np.squeeze(input)
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    n = input.ndim
    axes = tuple(d for d in (_wrap_dim(d, n) for d in dims) if n and input.shape[d] == 1)
    return np.squeeze(input, axis=axes) if axes else input.view()


@squeeze.vjp
def _(grad, input_shape, *, dim):
    return grad.reshape(input_shape)


@primitive("squeeze_", grad_fn="SqueezeBackward4", export=False, samples=[((1, 3), {"dim": 0})],
           torch_fn=lambda torch, x, dim: x.clone().squeeze_(dim))
def _squeeze_dim_(input, *, dim):
    # torch's matmul squeezes its result in place; the recorded node is squeeze_(dim)'s
    return squeeze.forward(input, dim)


@_squeeze_dim_.vjp
def _(grad, input_shape, *, dim):
    return grad.reshape(input_shape)


@primitive("expand", grad_fn="ExpandBackward0", export=False, samples=[((3,), {"size": (2, 3)}),
                                                        ((2, 1), {"size": (-1, 4)})],
           torch_fn=lambda torch, x, size: x.expand(size))
def _expand(input, *, size):
    n_new = len(size) - input.ndim
    if n_new < 0:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={list(size)}): "
                           "the number of sizes provided must be greater or equal to the number "
                           "of dimensions in the tensor")
    target = tuple(input.shape[i - n_new] if s == -1 else s for i, s in enumerate(size))
    try:
        return np.broadcast_to(input, target)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({list(target)}) must match the "
                           f"existing size ({list(input.shape)}) at non-singleton dimensions. "
                           f"Target sizes: {list(size)}.  Tensor sizes: {list(input.shape)}") from None


@_expand.vjp
def _(grad, *, size):
    return grad  # the engine sums the broadcast dims back to the input's shape


@composite("expand")
def expand(input: Tensor, *size) -> Tensor:
    """Broadcast size-1 dims to `size` without copying (-1 keeps a dim).

    Example::
        >>> ndgrad.zeros(3).expand(2, 3).shape
        torch.Size([2, 3])
    """
    return _expand.public(input, size=_size_args(size))


@composite("expand_as")
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return _expand.public(input, size=tuple(other._data.shape))


@primitive("alias", grad_fn="AliasBackward0", export=False, samples=[((2,), {})],
           torch_fn=lambda torch, x: x[...])
def _alias(input):
    return input.view()


@_alias.vjp
def _(grad):
    return grad


# *** indexing ***

def _torch_index(torch, index: tuple) -> tuple:
    """The same index for real torch (test oracle): arrays become tensors."""
    return tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)


def _normalize_index(index):
    """Turn Tensors and lists in an index into NumPy arrays; report if it is advanced."""
    items = index if isinstance(index, tuple) else (index,)
    out, advanced = [], False
    for it in items:
        if isinstance(it, Tensor):
            arr = it._data
            if arr.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            advanced = True
        elif isinstance(it, (list, np.ndarray)):
            out.append(np.asarray(it))
            advanced = True
        elif isinstance(it, (bool, np.bool_)):
            out.append(it)
            advanced = True
        elif isinstance(it, (int, np.integer)) or it is None or it is Ellipsis or isinstance(it, slice):
            out.append(it)
        elif hasattr(it, "__index__"):
            out.append(it.__index__())
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got " + type(it).__name__ + ")")
    return tuple(out), advanced


def _index_name(index, advanced: bool = False) -> str:
    if advanced:
        return "IndexBackward0"
    items = index
    if len(items) == 1 and isinstance(items[0], slice):
        return "SliceBackward0"
    last = "AliasBackward0"
    for it in items:
        if it is None:
            last = "UnsqueezeBackward0"
        elif isinstance(it, slice):
            if it != slice(None):
                last = "SliceBackward0"
        elif it is not Ellipsis:
            last = "SelectBackward0"
    return last


@primitive("getitem", export=False, grad_fn=lambda index, advanced: _index_name(index, advanced),
           samples=[((3, 4), {"index": (1,), "advanced": False}),
                    ((3, 4), {"index": (slice(0, 2), slice(None, None, 2)), "advanced": False}),
                    ((3, 4), {"index": (np.array([0, 2, 0]),), "advanced": True})],
           torch_fn=lambda torch, x, index, advanced: x[_torch_index(torch, index)])
def _getitem(input, *, index, advanced):
    return input[index]


@_getitem.vjp
def _(grad, input_shape, *, index, advanced):
    return _index_backward.public(grad, shape=input_shape, index=index, advanced=advanced)


@primitive("_index_backward", grad_fn="IndexPutBackward0", export=False,
           samples=[((3,), {"shape": (4,), "index": (np.array([0, 2, 0]),), "advanced": True})],
           torch_fn=lambda torch, g, shape, index, advanced: torch.zeros(shape, dtype=g.dtype)
           .index_put((torch.tensor(index[0]),), g, accumulate=True))
def _index_backward(grad, *, shape, index, advanced):
    out = np.zeros(shape, dtype=grad.dtype)
    if advanced:
        np.add.at(out, index, grad)  # repeated indices accumulate
    else:
        out[index] = grad
    return out


@_index_backward.vjp
def _(grad, *, shape, index, advanced):
    return _getitem.public(grad, index=index, advanced=advanced)


@composite("__getitem__", export=False)
def getitem(input: Tensor, index) -> Tensor:
    """input[index] with ints, slices, None, Ellipsis, bool masks and integer tensors/lists."""
    idx, advanced = _normalize_index(index)
    return _getitem.public(input, index=idx, advanced=advanced)
