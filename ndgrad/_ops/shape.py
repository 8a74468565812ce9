"""Shape ops: reshaping, dims, repetition, joining and splitting, flips and rolls (NumPy views
wherever torch returns views). Indexing, gather and scatter live in indexing.py."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import call, composite, primitive

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

@primitive("view", grad_fn="ViewBackward0", export=False, view=True, samples=[((2, 3), {"size": (3, 2)}),
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


@primitive("_unsafe_view", grad_fn="UnsafeViewBackward0", export=False,
           samples=[((2, 3), {"size": (6,)})],
           torch_fn=lambda torch, x, size: torch.ops.aten._unsafe_view(x, size))
def _unsafe_view(input, *, size):
    return input.reshape(_infer_size(size, input.size))


@_unsafe_view.vjp
def _(grad, input_shape, *, size):
    return grad.reshape(input_shape)


@composite("view", export=False)
def view(input: Tensor, *size) -> Tensor:
    """A tensor with the same data and a new shape (-1 infers one dimension); never copies.

    Example::
        >>> ndgrad.arange(6.).view(2, 3).shape
        torch.Size([2, 3])
    """
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

@primitive("transpose", grad_fn="TransposeBackward0", inputs=("input",), view=True,
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


@primitive("t", grad_fn="TBackward0", view=True, samples=[((2, 3), {}), ((3,), {})])
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


@primitive("permute", grad_fn="PermuteBackward0", export=False, view=True,
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


@primitive("unsqueeze", grad_fn="UnsqueezeBackward0", inputs=("input",), view=True,
           samples=[((3,), {"dim": 0}), ((2, 3), {"dim": -1})])
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


@primitive("squeeze", grad_fn=_squeeze_name, view=True, samples=[((1, 3, 1), {}), ((1, 3), {"dim": 0}),
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


@primitive("squeeze_", grad_fn="SqueezeBackward4", export=False, view=True, samples=[((1, 3), {"dim": 0})],
           torch_fn=lambda torch, x, dim: x.clone().squeeze_(dim))
def _squeeze_dim_(input, *, dim):
    # torch's matmul squeezes its result in place; the recorded node is squeeze_(dim)'s
    return squeeze.forward(input, dim)


@_squeeze_dim_.vjp
def _(grad, input_shape, *, dim):
    return grad.reshape(input_shape)


@primitive("expand", grad_fn="ExpandBackward0", export=False, view=True,
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


@composite("broadcast_to")
def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    """expand to `size` (recorded as ExpandBackward0).

    Example::
        >>> ndgrad.broadcast_to(ndgrad.zeros(3), (2, 3)).shape
        torch.Size([2, 3])
    """
    return _expand.public(input, size=_int_list(size))


@primitive("alias", grad_fn="AliasBackward0", export=False, view=True, samples=[((2,), {})],
           torch_fn=lambda torch, x: x[...])
def _alias(input):
    return input.view()


@_alias.vjp
def _(grad):
    return grad


# *** repetition ***

@primitive("repeat", grad_fn="RepeatBackward0", export=False,
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
    from .indexing import index_select

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


@primitive("cat", grad_fn="CatBackward0", export=False, inputs=("a", "b", "c"),
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
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dim (dtypes promoted).

    Example::
        >>> ndgrad.cat([ndgrad.zeros(1, 2), ndgrad.ones(1, 2)]).shape
        torch.Size([2, 2])
    """
    _check_tensors(tensors, "cat")
    return _cat_public(*tensors, dim=dim)


@composite("concat", method=False)
def concat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Alias of cat."""
    return cat(tensors, dim)


@composite("concatenate", method=False)
def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Alias of cat."""
    return cat(tensors, axis)


@primitive("stack", grad_fn="StackBackward0", export=False, inputs=("a", "b", "c"),
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

@primitive("split", grad_fn=lambda sizes, dim, even: "SplitBackward0" if even
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


@primitive("unbind", grad_fn="UnbindBackward0", export=False, n_outputs=2, view=True,
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


@primitive("flip", grad_fn="FlipBackward0", export=False,
           samples=[((2, 3), {"dims": (0,)}), ((2, 3, 2), {"dims": (0, -1)})],
           torch_fn=lambda torch, x, dims: x.flip(dims))
def _flip(input, *, dims):
    # torch's flip copies; a NumPy negative-stride view would alias the input
    return np.flip(input, _flip_dims(dims, input.ndim)).copy()


@_flip.vjp
def _(grad, *, dims):
    return _flip.public(grad, dims=dims)


@composite("flip")
def flip(input: Tensor, *dims) -> Tensor:
    """Reverse the order of elements along dims (a copy).

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).flip(0)
        tensor([3., 2., 1.])
    """
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


@primitive("roll", grad_fn="RollBackward0", inputs=("input",),
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


@primitive("rot90", grad_fn="Rot90Backward0", inputs=("input",),
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


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Kept for `from .shape import nonzero` callers; the op lives in indexing.py."""
    from .indexing import nonzero

    return nonzero(input, as_tuple=as_tuple)
