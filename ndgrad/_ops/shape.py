"""Shape ops: reshaping, dims and repetition (NumPy views wherever torch returns views).
Joining, splitting and reordering live in join.py; indexing, gather and scatter in indexing.py,
scatter.py and index_ops.py."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import REGISTRY, composite, primitive

_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
         "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _type_name(arr: np.ndarray) -> str:
    return _TYPE.get(arr.dtype.name, arr.dtype.name)


def _size_args(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _int_list(x: Any) -> tuple:
    return (int(x),) if isinstance(x, (int, np.integer, Tensor)) else tuple(int(v) for v in x)


def _reshaped_view(arr: np.ndarray, shape: tuple) -> np.ndarray | None:
    """arr reshaped without a copy, or None when the strides do not allow it (NumPy's
    reshape(copy=False), which needs NumPy 2.1, written for every supported NumPy)."""
    out = arr.reshape(shape)
    if out.size and not np.may_share_memory(out, arr):
        return None
    return out


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


# NOTE: the registry sizes a node class by the op's fixed n_outputs; ops whose output count
# depends on the input (split, unbind) re-class their node to the real count so that the engine
# keeps one gradient slot per output. A registry-level `n_outputs=None` would make this go away.
_SIZED: dict = {}


def _sized_outputs(public: Callable) -> Callable:
    def run(*args: Any, **kwargs: Any) -> tuple:
        outs = public(*args, **kwargs)
        node = outs[0]._grad_fn if outs else None
        if node is not None and node.n_outputs != len(outs):
            base = type(node)
            cls = _SIZED.get((base, len(outs)))
            if cls is None:
                cls = type(base.__name__, (base,), {"__slots__": (), "n_outputs": len(outs)})
                _SIZED[(base, len(outs))] = cls
            node.__class__ = cls
        return outs

    return run


# *** reshaping ***

@primitive("view", complex=True, grad_fn="ViewBackward0", export=False, view=True, samples=[((2,
           3), {"size": (3, 2)}),
                                                                   ((2, 3), {"size": (-1,)})],
           torch_fn=lambda torch, x, size: x.view(size))
def _view(input, *, size):
    out = _reshaped_view(input, _infer_size(size, input.size))
    if out is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at "
                           "least one dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.")
    return out


@_view.vjp
def _(grad, input_shape, *, size):
    return grad.reshape(input_shape)


@primitive("_unsafe_view", complex=True, grad_fn="UnsafeViewBackward0", export=False,
           samples=[((2, 3), {"size": (6,)})],
           torch_fn=lambda torch, x, size: torch.ops.aten._unsafe_view(x, size))
def _unsafe_view(input, *, size):
    return input.reshape(_infer_size(size, input.size))


@_unsafe_view.vjp
def _(grad, input_shape, *, size):
    return grad.reshape(input_shape)


@composite("view", export=False)
def view(input: Tensor, *size, **kwargs) -> Tensor:
    """A tensor with the same data and a new shape (-1 infers one dimension); never copies.
    view(dtype) reinterprets the bytes as another dtype.

    Example::
        >>> ndgrad.arange(6.).view(2, 3).shape
        torch.Size([2, 3])
    """
    if kwargs:
        size = (kwargs.get("size", kwargs.get("dtype")),)
    if len(size) == 1 and isinstance(size[0], _dtype.dtype):
        return REGISTRY["view_dtype"].public(input, dtype=size[0])  # in view_ops.py
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
    if _reshaped_view(data, _infer_size(shape, data.size)) is None:
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


@composite("unflatten")
def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim into the given sizes (one may be -1).

    Example::
        >>> ndgrad.zeros(2, 6).unflatten(1, (2, 3)).shape
        torch.Size([2, 2, 3])
    """
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = _int_list(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        new = _infer_size(sizes, shape[d])
    except RuntimeError as e:
        if "inferred" in str(e):
            raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be "
                               "inferred") from None
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {d} ({shape[d]}) in the input tensor") from None
    return _view.public(input, size=shape[:d] + new + shape[d + 1:])


# *** dims ***

@primitive("transpose", complex=True, grad_fn="TransposeBackward0", inputs=("input",), view=True,
           samples=[((2, 3), {"dim0": 0, "dim1": 1}), ((2, 3, 4), {"dim0": -1, "dim1": 0})])
def transpose(input, dim0, dim1):
    """Swap two dimensions (a view).

    Example::
        >>> ndgrad.zeros(2, 3).transpose(0, 1).shape
        torch.Size([3, 2])
    """
    n = input.ndim
    return np.swapaxes(input, _wrap_dim(dim0, n), _wrap_dim(dim1, n)) if n else input.view()


@transpose.vjp
def _(grad, *, dim0, dim1):
    return grad.transpose(dim0, dim1)


@composite("swapaxes")
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Alias of transpose."""
    return transpose(input, axis0, axis1)


@composite("swapdims")
def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of transpose."""
    return transpose(input, dim0, dim1)


@primitive("t", complex=True, grad_fn="TBackward0", view=True, samples=[((2, 3), {}), ((3,), {})])
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


@primitive("permute", complex=True, grad_fn="PermuteBackward0", export=False, view=True,
           samples=[((2, 3, 4), {"dims": (2, 0, 1)})],
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


@composite("movedim")
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims `source` to positions `destination` (a permute view).

    Example::
        >>> ndgrad.zeros(2, 3, 4).movedim(0, -1).shape
        torch.Size([3, 4, 2])
    """
    n = input._data.ndim
    src, dst = _int_list(source), _int_list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = [_wrap_dim(d, n) for d in src]
    dst = [_wrap_dim(d, n) for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(_int_list(source if name == 'source' else destination))})")
    if n == 0:
        return _alias.public(input)
    order = [d for d in range(n) if d not in src]
    perm = [-1] * n
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(order)
    return _permute.public(input, dims=tuple(p if p >= 0 else next(rest) for p in perm))


@composite("moveaxis")
def moveaxis(input: Tensor, source, destination) -> Tensor:
    """Alias of movedim."""
    return movedim(input, source, destination)


@primitive("unsqueeze", complex=True, grad_fn="UnsqueezeBackward0", inputs=("input",), view=True,
           samples=[((3,), {"dim": 0}), ((2, 3), {"dim": -1})])
def unsqueeze(input, dim):
    """Insert a dimension of size 1 at `dim` (a view).

    Example::
        >>> ndgrad.zeros(3).unsqueeze(0).shape
        torch.Size([1, 3])
    """
    d = _wrap_dim(dim, input.ndim + 1)
    # a size-1 dim never needs a copy; np.expand_dims does this reshape after costly checks
    return input.reshape(input.shape[:d] + (1,) + input.shape[d:])


@unsqueeze.vjp
def _(grad, *, dim):
    return grad.squeeze(dim)


def _squeeze_name(dim) -> str:
    if dim is None:
        return "SqueezeBackward0"
    return "SqueezeBackward2" if isinstance(dim, (tuple, list)) else "SqueezeBackward1"


@primitive("squeeze", complex=True, grad_fn=_squeeze_name, view=True, samples=[((1, 3, 1), {}),
           ((1, 3), {"dim": 0}),
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


@primitive("squeeze_", complex=True, grad_fn="SqueezeBackward4", export=False, view=True,
           samples=[((1, 3), {"dim": 0})],
           torch_fn=lambda torch, x, dim: x.clone().squeeze_(dim))
def _squeeze_dim_(input, *, dim):
    # torch's matmul squeezes its result in place; the recorded node is squeeze_(dim)'s
    return squeeze.forward(input, dim)


@_squeeze_dim_.vjp
def _(grad, input_shape, *, dim):
    return grad.reshape(input_shape)


@primitive("expand", complex=True, grad_fn="ExpandBackward0", export=False, view=True,
           samples=[((3,), {"size": (2, 3)}), ((2, 1), {"size": (-1, 4)})],
           torch_fn=lambda torch, x, size: x.expand(size))
def _expand(input, *, size):
    n_new = len(size) - input.ndim
    if n_new < 0:
        raise RuntimeError(f"expand(torch.{_type_name(input)}Tensor{{{list(input.shape)}}}, "
                           f"size={list(size)}): the number of sizes provided ({len(size)}) must "
                           f"be greater or equal to the number of dimensions in the tensor "
                           f"({input.ndim})")
    target = tuple(input.shape[i - n_new] if s == -1 and i >= n_new else s
                   for i, s in enumerate(size))
    for i in range(len(size) - 1, -1, -1):
        own = input.shape[i - n_new] if i >= n_new else 1
        if target[i] < 0 or (own != 1 and own != target[i]):
            raise RuntimeError(f"The expanded size of the tensor ({size[i]}) must match the "
                               f"existing size ({own}) at non-singleton dimension {i}.  Target "
                               f"sizes: {list(size)}.  Tensor sizes: {list(input.shape)}")
    return np.broadcast_to(input, target)


@_expand.vjp
def _(grad, *, size):
    return grad  # the engine sums the broadcast dims back to the input's shape


@composite("expand", export=False)
def expand(input: Tensor, *size) -> Tensor:
    """Broadcast size-1 dims to `size` without copying (-1 keeps a dim).

    Example::
        >>> ndgrad.zeros(3).expand(2, 3).shape
        torch.Size([2, 3])
    """
    return _expand.public(input, size=_size_args(size))


@composite("expand_as", export=False)
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """expand to other's shape."""
    return _expand.public(input, size=tuple(other._data.shape))


@composite("view_as", export=False)
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """view with other's shape.

    Example::
        >>> ndgrad.arange(6.).view_as(ndgrad.zeros(2, 3)).shape
        torch.Size([2, 3])
    """
    return view(input, tuple(other._data.shape))


@composite("reshape_as", export=False)
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """reshape to other's shape."""
    return reshape(input, tuple(other._data.shape))


@composite("broadcast_to")
def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """expand to `size` (recorded as ExpandBackward0).

    Example::
        >>> ndgrad.broadcast_to(ndgrad.zeros(3), (2, 3)).shape
        torch.Size([2, 3])
    """
    return _expand.public(input, size=_int_list(size))


@primitive("alias", complex=True, grad_fn="AliasBackward0", export=False, view=True,
           samples=[((2,), {})],
           torch_fn=lambda torch, x: x[...])
def _alias(input):
    return input.view()


@_alias.vjp
def _(grad):
    return grad


# *** repetition ***

@primitive("repeat", complex=True, grad_fn="RepeatBackward0", export=False,
           samples=[((2, 3), {"repeats": (2, 1)}), ((3,), {"repeats": (2, 1, 2)}),
                    ((), {"repeats": (2,)})],
           torch_fn=lambda torch, x, repeats: x.repeat(repeats))
def _repeat(input, *, repeats):
    if len(repeats) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    shape = (1,) * (len(repeats) - input.ndim) + input.shape
    out = [r * s for r, s in zip(repeats, shape)]
    if any(s < 0 for s in out):
        bad = next(s for s in out if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {out}")
    return np.tile(input, repeats) if repeats else input.copy()


@_repeat.vjp
def _(grad, input_shape, *, repeats):
    if not repeats:
        return grad
    shape = (1,) * (len(repeats) - len(input_shape)) + tuple(input_shape)
    # output dim k holds repeats[k] copies of the input's dim k, copy-major
    split = [v for r, s in zip(repeats, shape) for v in (r, s)]
    return grad.reshape(split).sum(tuple(range(0, 2 * len(shape), 2))).reshape(input_shape)


@composite("repeat", export=False)
def repeat(input: Tensor, *repeats) -> Tensor:
    """Tile the tensor `repeats[k]` times along dim k (leading new dims allowed).

    Example::
        >>> ndgrad.tensor([1., 2.]).repeat(2)
        tensor([1., 2., 1., 2.])
    """
    return _repeat.public(input, repeats=_size_args(repeats))


@composite("tile")
def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """repeat, with dims padded by leading 1s to the input's rank.

    Example::
        >>> ndgrad.tensor([[1., 2.]]).tile((2,)).shape
        torch.Size([1, 4])
    """
    dims = _int_list(dims)
    return _repeat.public(input, repeats=(1,) * (input._data.ndim - len(dims)) + dims)


@composite("repeat_interleave")
def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Repeat each element `repeats` times (an int, or one count per element along dim).

    Example::
        >>> ndgrad.tensor([1., 2.]).repeat_interleave(2)
        tensor([1., 1., 2., 2.])
    """
    from .index_ops import index_select

    if repeats is None:  # torch.repeat_interleave(counts): the indices each count repeats
        counts = input._data
        return Tensor._make(np.repeat(np.arange(counts.shape[0]), counts).astype(np.int64))
    if dim is None:
        input, dim = flatten(input), 0
    d = _wrap_dim(dim, input._data.ndim)
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        n = input._data.shape[d] if input._data.ndim else 1
        if r.size != 1 and r.shape[0] != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.shape[0]} and input.size({d}) = {n}")
        if (r < 0).any():
            raise RuntimeError("repeats can not be negative")
        idx = np.repeat(np.arange(n), np.broadcast_to(r.reshape(-1), (n,)))
        return index_select(input, d, Tensor._make(idx.astype(np.int64)))
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = input._data.shape
    if not shape:
        input, shape = reshape(input, 1), (1,)
    x = unsqueeze(input, d + 1)
    x = _expand.public(x, size=shape[:d + 1] + (int(repeats),) + shape[d + 1:]).clone()
    return flatten(x, d, d + 1)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Kept for `from .shape import nonzero` callers; the op lives in index_ops.py."""
    from .index_ops import nonzero

    return nonzero(input, as_tuple=as_tuple)
