"""Indexing: tensor[index] and tensor[index] = v under torch's rules, index_put, narrow and
select. Gather / scatter live in scatter.py; index_select and friends, take, masked_*, nonzero
and unique in index_ops.py."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import STATE
from ._registry import composite, primitive
from .inplace import bump_version, check_inplace, copy_, fill_, inplace
from .shape import _expand, _type_name

_FULL = slice(None)
_INDEX_TYPES = (list, tuple, np.ndarray, range)  # (a range indexes as the list it holds)
_LEAF_VIEW = ("a view of a leaf Variable that requires grad is being used in an in-place "
              "operation.")
_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."


def _zeros(shape: tuple, like: Tensor) -> Tensor:
    return Tensor._make(np.zeros(shape, like._data.dtype))


# *** torch's index rules ***

def _check_step(s: slice) -> None:
    if s.step is not None:
        step = s.step.__index__()
        if step == 0:
            raise ValueError("slice step cannot be zero")
        if step < 0:
            raise ValueError("step must be greater than zero")


def _items(index: Any) -> tuple:
    if type(index) is tuple:
        return index
    # torch's treatSequenceAsTuple: a short list holding a tensor / sequence / slice / None / ...
    if isinstance(index, list) and len(index) < 32 and any(
            isinstance(i, (Tensor, list, tuple, slice)) or i is None or i is Ellipsis
            for i in index):
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and "
                      "will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In "
                      "pytorch 2.9 this will be interpreted as tensor index, x[torch.tensor(seq)], "
                      "which will result either in an error or a different result", UserWarning,
                      stacklevel=4)
        return tuple(index)
    return (index,)


def _classify(it: Any) -> tuple:
    """(code, value): 0 int, 1 slice, 2 None, 3 Ellipsis, 4 bool scalar, 5 int array, 6 mask."""
    if it is None:
        return 2, None
    if it is Ellipsis:
        return 3, None
    if type(it) is slice:
        return 1, it
    if isinstance(it, (bool, np.bool_)):
        return 4, bool(it)
    if isinstance(it, (int, np.integer)):
        return 0, int(it)
    if isinstance(it, Tensor):
        arr = it._data
        if arr.dtype == np.uint8:
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                          "torch.bool instead.", UserWarning, stacklevel=4)
        if arr.dtype.kind == "b" or arr.dtype == np.uint8:
            return (4, bool(arr)) if arr.ndim == 0 else (6, arr.astype(bool, copy=False))
        if arr.dtype.kind in "iu":
            return (0, int(arr)) if arr.ndim == 0 else (5, arr)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if isinstance(it, _INDEX_TYPES):
        arr = np.asarray(it)
        if arr.dtype.kind == "b":
            return 6, arr
        if arr.dtype.kind in "iu" or arr.size == 0:
            return 5, arr.astype(np.int64, copy=False)
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if hasattr(it, "__index__"):
        return 0, it.__index__()
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(it).__name__})")


def parse_index(shape: tuple, index: Any) -> tuple:
    """torch's indexing rules as (basic, adv, name): `arr[basic]` is a NumPy view (ints select,
    slices slice, None unsqueezes), then `view[adv]` applies the integer arrays (adv is None when
    there are none); name is the grad_fn torch shows for the result."""
    t = type(index)
    if t is int:  # fast path: x[i]
        if not shape:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        if not -shape[0] <= index < shape[0]:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {shape[0]}")
        return (index, Ellipsis), None, "SelectBackward0"
    if t is slice:  # a bare slice is always recorded, even a full one
        if not shape:
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        _check_step(index)
        return (index, Ellipsis), None, "SliceBackward0"
    items, used = [], 0
    for it in (index if t is tuple else _items(index)):
        ti = type(it)  # the common kinds inline: this runs on every x[...]
        if ti is int or ti is slice:
            items.append((0 if ti is int else 1, it))
            used += 1
        elif it is None or it is Ellipsis:
            items.append((2 if it is None else 3, None))
        else:
            code, val = _classify(it)
            items.append((code, val))
            used += 1 if code in (0, 1, 5) else val.ndim if code == 6 else 0
    ndim = len(shape)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    cur, dim, basic, adv, masks = list(shape), 0, [], {}, []
    name, fill = "AliasBackward0", ndim - used
    for pos, (code, val) in enumerate(items):
        if code == 0:
            n = cur[dim]
            if not -n <= val < n:  # torch names the item's position in the index
                raise IndexError(f"index {val} is out of bounds for dimension {pos} with size {n}")
            basic.append(val)
            del cur[dim]
            name = "SelectBackward0"
        elif code == 1:
            n = cur[dim]
            if val.step is not None:
                _check_step(val)
            start, stop, step = val.indices(n)
            length = len(range(start, stop, step))
            if length != n or step != 1:  # torch skips full slices in a tuple
                name = "SliceBackward0"
            basic.append(val)
            cur[dim] = length
            dim += 1
        elif code == 2 or code == 4:
            basic.append(None)
            cur.insert(dim, 1)
            if code == 4:  # True / False: a new dim of size 1 indexed by [0] / []
                adv[dim] = np.zeros(int(val), np.int64)
            else:
                name = "UnsqueezeBackward0"
            dim += 1
        elif code == 3:
            basic.extend([_FULL] * fill)
            dim, fill = dim + fill, 0
        elif code == 5:
            basic.append(_FULL)
            adv[dim] = val
            dim += 1
        else:
            masks.append((dim, val))
            basic.extend([_FULL] * val.ndim)
            dim += val.ndim
    for start, m in masks:
        for j, s in enumerate(m.shape):
            if s != cur[start + j]:
                raise IndexError(f"The shape of the mask {list(m.shape)} at index {j} does not "
                                 f"match the shape of the indexed tensor {cur} at index "
                                 f"{start + j}")
        for j, nz in enumerate(np.nonzero(m)):
            adv[start + j] = nz
    basic.append(Ellipsis)
    if not adv:
        return tuple(basic), None, name
    last = max(adv)
    return tuple(basic), tuple(adv.get(i, _FULL) for i in range(last + 1)), "IndexBackward0"


def _out_of_bounds(shape: tuple, adv: tuple) -> IndexError:
    """torch's message for an index array NumPy refused (bounds are checked only on failure)."""
    k = 0
    for n, a in zip(shape, adv):
        if isinstance(a, np.ndarray):
            lo, hi = int(a.min(initial=0)), int(a.max(initial=0))
            if hi >= n or lo < -n:
                return IndexError(f"index {hi if hi >= n else lo} is out of bounds for dimension "
                                  f"{k} with size {n}")
            k += 1
    return IndexError("index out of range in self")


def _strip_ones(v: np.ndarray) -> np.ndarray:
    k = 0
    while k < v.ndim and v.shape[k] == 1:
        k += 1
    return v.reshape(v.shape[k:])


def _write(view: np.ndarray, adv: tuple | None, v: Any, accumulate: bool = False) -> None:
    """view[adv] = v (or +=), with torch's messages when v does not broadcast."""
    for attempt in (0, 1):
        try:
            if adv is None:
                if accumulate:
                    view += v
                else:
                    view[...] = v
            elif accumulate:
                np.add.at(view, adv, v)  # repeated indices accumulate
            else:
                view[adv] = v
            return
        except IndexError:
            raise _out_of_bounds(view.shape, adv) from None
        except ValueError:
            v = np.asarray(v)
            if attempt or not v.ndim or v.shape[0] != 1:
                break
            v = _strip_ones(v)  # extra leading 1-dims broadcast away, as in torch
    v = np.asarray(v)
    if adv is not None:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(view[adv].shape)}")
    _expand.forward(v, size=view.shape)  # raises torch's expand message
    raise RuntimeError(f"cannot write a value of shape {list(v.shape)} into {list(view.shape)}")


# *** getitem / index_put / setitem ***

def _torch_index(torch, index: tuple) -> tuple:
    basic, adv, _ = index
    return basic, adv and tuple(torch.from_numpy(a) if isinstance(a, np.ndarray) else a
                                for a in adv)


def _torch_getitem(torch, x, index):
    basic, adv = _torch_index(torch, index)
    return x[basic] if adv is None else x[basic][adv]


@primitive("getitem", complex=True, export=False, grad_fn=lambda index: index[2],
           view=lambda index: index[1] is None,
           samples=[((3, 4), {"index": ((1, Ellipsis), None, "SelectBackward0")}),
                    ((3, 4), {"index": ((slice(0, 2), slice(None, None, 2), Ellipsis), None,
                                        "SliceBackward0")}),
                    ((3, 4), {"index": ((_FULL, None, Ellipsis), None, "UnsqueezeBackward0")}),
                    ((3, 4), {"index": ((Ellipsis,), (np.array([0, 2, 0]),), "IndexBackward0")}),
                    ((2, 3, 4), {"index": ((_FULL, Ellipsis),
                                           (np.array([1, 1]), _FULL, np.array([0, 3])),
                                           "IndexBackward0")})],
           torch_fn=_torch_getitem)
def _getitem(input, *, index):
    basic, adv, _ = index
    out = input[basic]
    if adv is None:
        return out
    try:
        return out[adv]
    except IndexError:
        raise _out_of_bounds(out.shape, adv) from None


@_getitem.vjp
def _(grad, input_shape, *, index):
    return _index_put.public(_zeros(input_shape, grad), grad, index=index, accumulate=True)


def _put_name(index: tuple) -> str:
    basic, adv, _ = index
    whole = all(b == _FULL or b is Ellipsis for b in basic)
    return "IndexPutBackward0" if adv is not None and whole else "CopySlices"


def _torch_index_put(torch, x, v, index, accumulate):
    basic, adv = _torch_index(torch, index)
    if _put_name(index) == "IndexPutBackward0":
        return x.index_put(adv, v, accumulate)
    y = x.clone()
    view = y[basic]
    if adv is not None:
        view.index_put_(adv, v, accumulate)
    else:
        view.add_(v) if accumulate else view.copy_(v)
    return y


@primitive("index_put", complex=True, export=False, grad_fn=lambda index,
           accumulate: _put_name(index),
           inputs=("input", "values"),
           samples=[(((4, 3), (2, 3)), {"index": ((Ellipsis,), (np.array([0, 2]),),
                                                  "IndexBackward0"), "accumulate": False}),
                    (((4, 3), (3,)), {"index": ((Ellipsis,), (np.array([0, 2, 0]),),
                                                "IndexBackward0"), "accumulate": True}),
                    (((4, 3), (3,)), {"index": ((1, Ellipsis), None, "SelectBackward0"),
                                      "accumulate": False}),
                    (((4, 3), (2, 1)), {"index": ((slice(1, 3), Ellipsis), None,
                                                  "SliceBackward0"), "accumulate": True})],
           torch_fn=_torch_index_put)
def _index_put(input, values, *, index, accumulate):
    basic, adv, _ = index
    out = input.copy()
    _write(out[basic], adv, values.astype(out.dtype, copy=False), accumulate)
    return out


@_index_put.vjp
def _(grad, values_shape, needs_input_grad, *, index, accumulate):
    gi = gv = None
    if needs_input_grad[0]:
        gi = grad if accumulate else _index_put.public(grad, _zeros((), grad), index=index,
                                                        accumulate=False)
    if needs_input_grad[1]:
        gv = _getitem.public(grad, index=index)
        extra = len(values_shape) - gv._data.ndim
        if extra > 0:  # the value carried extra leading 1-dims
            gv = gv.reshape((1,) * extra + gv._data.shape)
    return gi, gv


@composite("__getitem__", export=False)
def getitem(input: Tensor, index: Any) -> Tensor:
    """input[index] with ints, slices (step > 0), None, Ellipsis, bool masks and integer
    tensors/lists; a view unless an advanced index is present."""
    return _getitem.public(input, index=parse_index(input._data.shape, index))


def _whole(basic: tuple) -> bool:
    return all(b == _FULL or b is Ellipsis for b in basic)


@composite("__setitem__", export=False)
def setitem(self: Tensor, index: Any, value: Any) -> None:
    """self[index] = value (broadcast). Without autograd the data is written in place; otherwise
    it is recorded as torch records it: a copy_/fill_ of the indexed view (CopySlices on self),
    index_put_ (IndexPutBackward0) for advanced indices, copy_/fill_ of self for `x[...]`."""
    idx = parse_index(self._data.shape, index)
    basic, adv, _ = idx
    is_t = isinstance(value, Tensor)
    if not (STATE.enabled and self._data.dtype.kind == "f" and (
            self._requires_grad or (is_t and value._requires_grad))):
        fill = adv is None and not is_t  # a fill_, which torch allows on expanded tensors
        check_inplace(self, overlap_ok=fill)
        data = self._data
        if fill and not data.flags.writeable and data.base is not None:
            data = data.view()  # NumPy marks expanded views read-only; fill_ may write them
            data.flags.writeable = True
        _write(data[basic], adv, value._data if is_t else value)
        bump_version(self)
        return
    whole = _whole(basic)
    target = self if whole else _getitem.public(self, index=(basic, None, "AliasBackward0"))
    if adv is not None:
        v = value if is_t else Tensor._make(np.asarray(value, dtype=self._data.dtype))
        put = ((Ellipsis,), adv, "IndexBackward0")
        inplace(lambda t, v: _index_put.public(t, v, index=put, accumulate=False), target, v)
    elif not is_t:
        fill_(target, value)
    else:
        v = value
        if v._data.ndim > target._data.ndim:  # extra leading 1-dims broadcast away
            v = v.reshape(_strip_ones(v._data).shape)
        _expand.forward(v._data, size=target._data.shape)  # torch's message if it can't expand
        copy_(target, v)


@composite("index_put")
def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False, *,
              _fn: str = "index_put") -> Tensor:
    """A copy of input with input[indices] = values (or += when accumulate).

    Example::
        >>> ndgrad.zeros(3).index_put((ndgrad.tensor([0, 0]),), ndgrad.tensor(1.), True)
        tensor([2., 0., 0.])
    """
    if not isinstance(values, Tensor):
        raise TypeError(f"{_fn}(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    mask_fill = (len(indices) == 1 and indices[0]._data.dtype == np.bool_
                 and values._data.ndim == 0)  # torch takes masked_fill_'s path, which casts
    if values._data.dtype != input._data.dtype and not mask_fill:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_type_name(input._data)} for the destination and "
                           f"{_type_name(values._data)} for the source.")
    idx = parse_index(input._data.shape, tuple(indices))
    return _index_put.public(input, values, index=idx, accumulate=bool(accumulate))


@composite("index_put_", export=False)
def index_put_(self: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """In-place version of index_put."""
    return inplace(lambda t, v: index_put(t, indices, v, accumulate, _fn="index_put_"), self,
                   values)


def _slice(input: Tensor, dim: int, start: int, end: int) -> Tensor:
    """input's [start, end) along dim: always recorded as SliceBackward0, as torch's slice."""
    basic = (_FULL,) * dim + (slice(start, end), Ellipsis)
    return _getitem.public(input, index=(basic, None, "SliceBackward0"))


@composite("narrow")
def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """The view input[..., start:start + length] along dim.

    Example::
        >>> ndgrad.arange(5.).narrow(0, 1, 2)
        tensor([1., 2.])
    """
    shape = input._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    n, start, length = shape[d], int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start + n if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, d, start, start + length)


@composite("select")
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The view input[..., index, ...] along dim (that dim removed).

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).select(1, 0)
        tensor([1., 3.])
    """
    shape = input._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shape))
    i = int(index)
    if not -shape[d] <= i < shape[d]:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(shape)} at "
                         f"dimension {d}")
    return _getitem.public(input, index=((_FULL,) * d + (i, Ellipsis), None, "SelectBackward0"))
