"""The copying forms of the view ops (`*_copy`, `narrow_copy`, `unsafe_split`...) and the
`*_scatter` ops that write a tensor into a view of a copy of another."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd import forward_ad
from ._registry import call, composite, primitive
from .index_ops import take
from .join import chunk, split, unbind
from .shape import _alias
from .view_ops import _check_strided, as_strided, positions, unfold

_RENAMED: dict = {}


def _rename(node: Any, name: str) -> None:
    """Give one recorded node torch's name for the op that produced it."""
    base = type(node)
    cls = _RENAMED.get((base, name))
    if cls is None:
        cls = _RENAMED[(base, name)] = type(name, (base,), {"__slots__": ()})
    node.__class__ = cls


def _detach_views(out: Any, name: str | None, copy: bool = True) -> Any:
    """The outputs of a view op as new tensors (copies unless copy=False) that are no views,
    their node renamed (default: the view's node name + '_copy')."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    if any(type(o) is not Tensor for o in outs):  # a transform's tensors (vmap): plain copies
        res = tuple(o if not copy else o.clone() for o in outs)
        return res if isinstance(out, (tuple, list)) else res[0]
    node = next((o._grad_fn for o in outs if o._grad_fn is not None), None)
    if node is not None:
        _rename(node, name or type(node).__name__ + "_copy")
    res = []
    for o in outs:
        t = Tensor._make(np.array(o._data, copy=True) if copy else o._data, o._requires_grad,
                         o._grad_fn, o._output_nr)
        if forward_ad.LEVELS.stack:
            tangent = forward_ad.get_tangent(o)
            if tangent is not None:
                forward_ad.set_tangent(t, tangent)
        res.append(t)
    return tuple(res) if isinstance(out, (tuple, list)) else res[0]


# *** *_copy: the view ops' results as fresh tensors ***

@composite("alias_copy", method=False)
def alias_copy(input: Tensor) -> Tensor:
    """A copy of input (torch.alias as a new tensor).

    Example::
        >>> ndgrad.alias_copy(ndgrad.tensor([1.]))
        tensor([1.])
    """
    return _detach_views(_alias.public(input), None)


@composite("view_copy", method=False)
def view_copy(input: Tensor, size: Any) -> Tensor:
    """input.view(size) (or view(dtype)) as a new tensor.

    Example::
        >>> ndgrad.view_copy(ndgrad.arange(4.), (2, 2)).shape
        torch.Size([2, 2])
    """
    return _detach_views(input.view(size), None)


@composite("expand_copy", method=False, samples=[((3, 1), {"size": (3, 2)})])
def expand_copy(input: Tensor, size: Sequence[int], *, implicit: bool = False) -> Tensor:
    """input.expand(size) as a new (contiguous) tensor.

    Example::
        >>> ndgrad.expand_copy(ndgrad.tensor([1., 2.]), (2, 2))
        tensor([[1., 2.],
                [1., 2.]])
    """
    return _detach_views(input.expand(*size), None)


@composite("permute_copy", method=False, samples=[((2, 3, 4), {"dims": (2, 0, 1)})])
def permute_copy(input: Tensor, dims: Sequence[int]) -> Tensor:
    """input.permute(dims) as a new tensor."""
    return _detach_views(input.permute(*dims), None)


@composite("t_copy", method=False)
def t_copy(input: Tensor) -> Tensor:
    """input.t() as a new tensor."""
    return _detach_views(input.t(), None)


@composite("transpose_copy", method=False)
def transpose_copy(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """input.transpose(dim0, dim1) as a new tensor."""
    return _detach_views(input.transpose(dim0, dim1), None)


@composite("squeeze_copy", method=False)
def squeeze_copy(input: Tensor, dim: Any = None) -> Tensor:
    """input.squeeze(dim) as a new tensor."""
    return _detach_views(input.squeeze() if dim is None else input.squeeze(dim), None)


@composite("unsqueeze_copy", method=False)
def unsqueeze_copy(input: Tensor, dim: int) -> Tensor:
    """input.unsqueeze(dim) as a new tensor."""
    return _detach_views(input.unsqueeze(dim), None)


@composite("diagonal_copy", method=False, samples=[((3, 4), {"offset": 1})])
def diagonal_copy(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """input.diagonal(offset, dim1, dim2) as a new tensor."""
    return _detach_views(input.diagonal(offset, dim1, dim2), None)


@composite("select_copy", method=False)
def select_copy(input: Tensor, dim: int, index: int) -> Tensor:
    """input.select(dim, index) as a new tensor."""
    return _detach_views(input.select(dim, index), None)


@composite("slice_copy", method=False)
def slice_copy(input: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
               step: int = 1) -> Tensor:
    """input sliced start:end:step along dim, as a new tensor."""
    d = _wrap_dim(dim, input._data.ndim)
    return _detach_views(input[(slice(None),) * d + (slice(start, end, step),)], None)


@composite("as_strided_copy", method=False)
def as_strided_copy(input: Tensor, size: Sequence[int], stride: Sequence[int],
                    storage_offset: int | None = None) -> Tensor:
    """input.as_strided(size, stride, storage_offset) as a new tensor."""
    return _detach_views(as_strided(input, size, stride, storage_offset), None)


@composite("unfold_copy", method=False)
def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """input.unfold(dimension, size, step) as a new tensor."""
    return _detach_views(unfold(input, dimension, size, step), None)


@composite("narrow_copy", samples=[((4, 3), {"dim": 0, "start": 1, "length": 2})])
def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """input.narrow(dim, start, length) as a new tensor.

    Example::
        >>> ndgrad.arange(5.).narrow_copy(0, 1, 2)
        tensor([1., 2.])
    """
    return _detach_views(input.narrow(dim, start, length), "NarrowCopyBackward0")


@composite("unbind_copy", method=False, samples=[((2, 3), {"dim": 1})])
def unbind_copy(input: Tensor, dim: int = 0) -> tuple:
    """input.unbind(dim) as new tensors."""
    return _detach_views(unbind(input, dim), None)


@composite("split_with_sizes")
def split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """Views of input split along dim into pieces of the given sizes.

    Example::
        >>> [p.shape[0] for p in ndgrad.zeros(5).split_with_sizes([2, 3])]
        [2, 3]
    """
    return split(input, list(split_sizes), dim)


@composite("split_with_sizes_copy", method=False)
def split_with_sizes_copy(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """split_with_sizes as new tensors."""
    return _detach_views(split(input, list(split_sizes), dim), None)


@composite("split_copy", method=False)
def split_copy(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    """split(split_size, dim) as new tensors."""
    return _detach_views(split(input, split_size, dim), None)


@composite("unsafe_split", samples=[((5, 2), {"split_size": 2})])
def unsafe_split(input: Tensor, split_size: int, dim: int = 0) -> tuple:
    """split without view tracking (torch's unsafe_split: pieces may share memory).

    Example::
        >>> len(ndgrad.zeros(5).unsafe_split(2))
        3
    """
    return _detach_views(split(input, split_size, dim), "UnsafeSplitBackward0", copy=False)


@composite("unsafe_split_with_sizes")
def unsafe_split_with_sizes(input: Tensor, split_sizes: Sequence[int], dim: int = 0) -> tuple:
    """split_with_sizes without view tracking."""
    return _detach_views(split(input, list(split_sizes), dim), "UnsafeSplitWithSizesBackward0",
                         copy=False)


@composite("unsafe_chunk")
def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """chunk without view tracking.

    Example::
        >>> len(ndgrad.zeros(5).unsafe_chunk(2))
        2
    """
    return _detach_views(chunk(input, chunks, dim), "UnsafeSplitBackward0", copy=False)


# *** *_scatter: a copy of input with a view of it replaced by src ***

@primitive("view_scatter", complex=True, grad_fn=lambda index, kind: kind, export=False,
           inputs=("input", "src"),
           samples=[(((3, 4), (4,)), {"index": np.arange(4, 8), "kind":
                                          "SelectScatterBackward0"})],
           torch_fn=lambda torch, x, src, index, kind: torch.select_scatter(x, src, 0, 1),
           complex_skips=("torch",))  # torch has no complex autograd for select_scatter
def _view_scatter(input, src, *, index, kind):
    if src.shape != index.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(index.shape)}")
    out = np.array(input, copy=True, order="C")
    out.reshape(-1)[index] = src
    return out


@_view_scatter.vjp
def _(grad, input_shape, needs_input_grad, *, index, kind):
    out = []
    if needs_input_grad[0]:
        keep = np.ones(input_shape, dtype=grad._data.dtype)
        keep.reshape(-1)[index] = 0
        out.append(grad * Tensor._make(keep))
    else:
        out.append(None)
    out.append(take(grad, Tensor._make(index)) if needs_input_grad[1] else None)
    return tuple(out)


def _positions_of(input: Tensor, view: Any) -> np.ndarray:
    """Where the elements of view(input) sit in contiguous input (view: a function of a
    Tensor returning a view of it)."""
    flat = np.arange(input._data.size, dtype=np.int64).reshape(input._data.shape)
    return np.array(view(Tensor._make(flat))._data, copy=True, order="C")


def _scatter_into(input: Tensor, src: Tensor, index: np.ndarray, kind: str) -> Tensor:
    return call(_view_scatter, (input, src), {"index": index, "kind": kind})


@composite("select_scatter", inputs=("input", "src"),
           samples=[(((3, 4), (4,)), {"dim": 0, "index": 1})])
def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """A copy of input with input.select(dim, index) replaced by src.

    Example::
        >>> ndgrad.select_scatter(ndgrad.zeros(2, 2), ndgrad.ones(2), 0, 0)
        tensor([[1., 1.],
                [0., 0.]])
    """
    return _scatter_into(input, src, _positions_of(input, lambda t: t.select(dim, index)),
                         "SelectScatterBackward0")


@composite("slice_scatter", inputs=("input", "src"),
           samples=[(((4, 3), (2, 3)), {"dim": 0, "start": 1, "end": 4, "step": 2})])
def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Tensor:
    """A copy of input with the slice start:end:step along dim replaced by src.

    Example::
        >>> ndgrad.slice_scatter(ndgrad.zeros(3), ndgrad.ones(1), 0, 1, 2)
        tensor([0., 1., 0.])
    """
    d = _wrap_dim(dim, input._data.ndim)
    index = _positions_of(input, lambda t: t[(slice(None),) * d + (slice(start, end, step),)])
    return _scatter_into(input, src, index, "SliceScatterBackward0")


@composite("diagonal_scatter", inputs=("input", "src"),
           samples=[(((3, 4), (3,)), {"offset": 1})])
def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Tensor:
    """A copy of input with its diagonal (offset, dim1, dim2) replaced by src.

    Example::
        >>> ndgrad.diagonal_scatter(ndgrad.zeros(2, 2), ndgrad.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    index = _positions_of(input, lambda t: t.diagonal(offset, dim1, dim2))
    return _scatter_into(input, src, index, "DiagonalScatterBackward0")


@composite("as_strided_scatter")
def as_strided_scatter(input: Tensor, src: Tensor, size: Sequence[int], stride: Sequence[int],
                       storage_offset: int | None = None) -> Tensor:
    """A copy of input (contiguous) with its as_strided(size, stride, offset) view replaced by
    src.

    Example::
        >>> ndgrad.as_strided_scatter(ndgrad.zeros(4), ndgrad.ones(2), (2,), (2,))
        tensor([1., 0., 1., 0.])
    """
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    offset = int(storage_offset or 0)
    _check_strided(size, stride, offset, input._data.size, input._data.itemsize)
    return _scatter_into(input, src, positions(size, stride, offset), "AsStridedScatterBackward0")
