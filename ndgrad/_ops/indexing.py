"""Indexing: tensor[index] and tensor[index] = v under torch's rules, index_put, gather / scatter,
index_select / index_add / index_copy / index_fill, take, masked_select / masked_scatter,
nonzero and unique."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd.grad_mode import STATE
from ._registry import composite, primitive
from .pointwise import where
from .shape import _cat_public, _expand, _type_name

_FULL = slice(None)
_INDEX_TYPES = (list, tuple, np.ndarray)
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


@primitive("getitem", export=False, grad_fn=lambda index: index[2],
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


@primitive("index_put", export=False, grad_fn=lambda index, accumulate: _put_name(index),
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
    from .inplace import bump_version, check_inplace, copy_, fill_, inplace

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
    from .inplace import inplace

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



# *** gather / scatter ***

def _lift(*arrays: np.ndarray) -> list:
    # a 0-d tensor gathers and scatters like a 1-element vector
    return [a.reshape(1) if a.ndim == 0 else a for a in arrays]


def _mesh(index: np.ndarray, d: int) -> tuple:
    """Coordinates of input[i0, .., index[i0, .., in], .., in] along d (an open mesh)."""
    n = index.ndim
    return tuple(index if i == d else np.arange(s).reshape((s,) + (1,) * (n - 1 - i))
                 for i, s in enumerate(index.shape))


def _bounds(index: np.ndarray, n: int, d: int, neg: bool = False, pre: str = "",
            exc: type = RuntimeError) -> None:
    if index.size:
        lo, hi = int(index.min()), int(index.max())
        if hi >= n or lo < (-n if neg else 0):
            raise exc(f"{pre}index {hi if hi >= n else lo} is out of bounds for dimension {d} "
                      f"with size {n}")


def _check_scatter(input: np.ndarray, index: np.ndarray, src: Any, d: int) -> None:
    if index.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    is_arr = isinstance(src, np.ndarray)
    if is_arr and max(index.ndim, 1) != max(src.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if is_arr and src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    x, i = _lift(input, index)
    s = _lift(src)[0] if is_arr else None
    for k in range(i.ndim):
        if (k != d and i.shape[k] > x.shape[k]) or (s is not None and i.shape[k] > s.shape[k]):
            raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}"
                               + (f" and to be no larger size than src {list(src.shape)}"
                                  if is_arr else ""))
    _bounds(i, x.shape[d], d)


def _scatter_into(input: np.ndarray, index: np.ndarray, src: Any, dim: int, how: Any) -> tuple:
    """A copy of input, the coordinates index addresses along dim, and src cut to index's shape;
    how(out, coords, values) writes them."""
    d = _wrap_dim(dim, input.ndim)
    _check_scatter(input, index, src, d)
    out = input.copy()
    o, i = _lift(out, index)
    if isinstance(src, np.ndarray):  # only src's leading block of index's shape is read
        src = _lift(src)[0][tuple(slice(0, s) for s in i.shape)]
    how(o, _mesh(i, d), src)
    return out


def _assign(o: np.ndarray, coords: tuple, v: Any) -> None:
    o[coords] = v


@primitive("gather", grad_fn="GatherBackward0", export=False, inputs=("input", "index"),
           samples=[(((3, 4), (3, 2)), {"dim": 1}), (((3, 4), (2, 4)), {"dim": 0}),
                    (((2, 3), (1, 2)), {"dim": -1})],
           int_inputs={"index": (0, 2)}, torch_fn=lambda torch, x, i, dim: torch.gather(x, dim, i))
def _gather(input, index, *, dim):
    d = _wrap_dim(dim, input.ndim)
    if index.dtype.kind not in "iu":
        raise RuntimeError("gather(): Expected dtype int32/int64 for index")
    if max(index.ndim, 1) != max(input.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    x, i = _lift(input, index)
    for k in range(x.ndim):
        if k != d and i.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be no larger than self "
                               f"{list(input.shape)} apart from dimension {d}")
    _bounds(i, x.shape[d], d)
    return x[_mesh(i, d)].reshape(index.shape)


@_gather.vjp
def _(grad, input_shape, index, *, dim):
    return _scatter_add.public(_zeros(input_shape, grad), index, grad, dim=dim), None


@composite("gather")
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim=0 (and likewise along any dim).

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).gather(1, ndgrad.tensor([[1], [0]]))
        tensor([[2.],
                [3.]])
    """
    return _gather.public(input, index, dim=dim)


@primitive("scatter", grad_fn="ScatterBackward0", export=False, inputs=("input", "index", "src"),
           samples=[(((3, 4), (2, 1), (2, 1)), {"dim": 1}), (((3, 4), (1, 4), (1, 4)), {"dim": 0})],
           int_inputs={"index": (0, 2)},
           torch_fn=lambda torch, x, i, s, dim: torch.scatter(x, dim, i, s))
def _scatter(input, index, src, *, dim):
    return _scatter_into(input, index, src, dim, _assign)


@_scatter.vjp
def _(grad, index, *, dim):
    return (_scatter_value.public(grad, index, dim=dim, value=0), None,
            _gather.public(grad, index, dim=dim))


@primitive("scatter_value", grad_fn="ScatterBackward1", export=False, inputs=("input", "index"),
           samples=[(((3, 4), (2, 3)), {"dim": 1, "value": 1.5})], int_inputs={"index": (0, 2)},
           torch_fn=lambda torch, x, i, dim, value: torch.scatter(x, dim, i, value))
def _scatter_value(input, index, *, dim, value):
    return _scatter_into(input, index, value, dim, _assign)


@_scatter_value.vjp
def _(grad, index, *, dim, value):
    return _scatter_value.public(grad, index, dim=dim, value=0), None


@composite("scatter", inplace=True)
def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Tensor:
    """A copy of input with src (a tensor or a number) written at index along dim.

    Example::
        >>> ndgrad.zeros(2, 3).scatter(1, ndgrad.tensor([[2], [0]]), 1.)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    src = value if src is None else src
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is deprecated in torch; use "
                                  "scatter_reduce")
    if isinstance(src, Tensor):
        return _scatter.public(input, index, src, dim=dim)
    return _scatter_value.public(input, index, dim=dim, value=src)


@primitive("scatter_add", grad_fn="ScatterAddBackward0", export=False,
           inputs=("input", "index", "src"),
           samples=[(((3, 4), (3, 2), (3, 2)), {"dim": 1}), (((3, 4), (4, 4), (4, 4)), {"dim": 0})],
           int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, s, dim: torch.scatter_add(x, dim, i, s))
def _scatter_add(input, index, src, *, dim):
    return _scatter_into(input, index, src, dim, np.add.at)  # repeated indices accumulate


@_scatter_add.vjp
def _(grad, index, *, dim):
    return grad, None, _gather.public(grad, index, dim=dim)


@composite("scatter_add", inplace=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with src added at index along dim (repeats accumulate).

    Example::
        >>> ndgrad.zeros(3).scatter_add(0, ndgrad.tensor([0, 0]), ndgrad.ones(2))
        tensor([2., 0., 0.])
    """
    return _scatter_add.public(input, index, src, dim=dim)


_REDUCE = {"sum": (np.add, 0), "prod": (np.multiply, 1), "mean": (np.add, 0),
           "amax": (np.maximum, -np.inf), "amin": (np.minimum, np.inf)}


def _reduce_into(reduce: str, include_self: bool) -> Any:
    ufunc, identity = _REDUCE[reduce]

    def how(o: np.ndarray, coords: tuple, s: np.ndarray) -> None:
        if not include_self:
            ident = identity
            if o.dtype.kind in "iub" and np.isinf(identity):
                info = np.iinfo(o.dtype)
                ident = info.min if identity < 0 else info.max
            o[coords] = ident
        ufunc.at(o, coords, s)
        if reduce == "mean":
            count = np.full(o.shape, int(include_self), np.int64)
            np.add.at(count, coords, 1)
            count = np.maximum(count, 1)
            o[...] = o / count if o.dtype.kind == "f" else o // count

    return how


@primitive("scatter_reduce", grad_fn="ScatterReduceBackward0", export=False,
           inputs=("input", "index", "src"),
           samples=[(((3, 4), (3, 3), (3, 3)), {"dim": 1, "reduce": r, "include_self": s})
                    for r in _REDUCE for s in (True, False)],
           int_inputs={"index": (0, 2)}, domain=(0.3, 2.0),
           torch_fn=lambda torch, x, i, s, dim, reduce, include_self: torch.scatter_reduce(
               x, dim, i, s, reduce, include_self=include_self))
def _scatter_reduce(input, index, src, *, dim, reduce, include_self=True):
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch's forward accepts these
    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    return _scatter_into(input, index, src, dim, _reduce_into(reduce, include_self))


@_scatter_reduce.vjp
def _(grad, input, index, src, result, *, dim, reduce, include_self):
    gather = _gather.public
    if reduce not in _REDUCE:
        raise RuntimeError(f"Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' "
                           f"but got {reduce}.")
    if reduce == "sum":
        gi, gs = grad, gather(grad, index, dim=dim)
    elif reduce == "mean":
        ones = np.ones(src._data.shape, grad._data.dtype)
        n = _scatter_reduce.forward(np.full(grad._data.shape, float(include_self), ones.dtype),
                                    index._data, ones, dim=dim, reduce="sum")
        gi = grad / Tensor._make(np.maximum(n, 1))
        gs = gather(gi, index, dim=dim)
    elif reduce == "prod":
        gi, gs = _prod_grads(grad, input, index, src, result, dim, include_self)
    else:  # ties share the gradient evenly, as torch does
        self_is, src_is = input == result, src == gather(result, index, dim=dim)
        n = _scatter_add.forward(self_is._data.astype(grad._data.dtype), index._data,
                                 src_is._data.astype(grad._data.dtype), dim=dim)
        share = grad / Tensor._make(n)
        gi, gs = where(self_is, share, 0.0), where(src_is, gather(share, index, dim=dim), 0.0)
    if not include_self:  # scattered-to positions no longer depend on input
        gi = _scatter_value.public(gi, index, dim=dim, value=0)
    return gi, None, gs


def _prod_grads(grad: Tensor, input: Tensor, index: Tensor, src: Tensor, result: Tensor,
                dim: int, include_self: bool) -> tuple:
    """d prod / d x = product of the others: result / x where x != 0; recomputed with a lone
    zero replaced by 1 where x is that zero (two zeros make it 0)."""
    def prod(x: Tensor, s: Tensor) -> Tensor:
        return _scatter_reduce.public(x, index, s, dim=dim, reduce="prod",
                                      include_self=include_self)

    masked_self = where(input == 0, 1.0, input)
    gi = grad * prod(masked_self, src) / masked_self
    zero = src._data == 0
    n_zero = _scatter_add.forward(np.zeros(input._data.shape, np.int64), index._data,
                                  zero.astype(np.int64), dim=dim)
    lone = Tensor._make(zero & (_gather.forward(n_zero, index._data, dim=dim) == 1))
    others = _gather.public(grad * prod(input, where(lone, 1.0, src)), index, dim=dim)
    plain = _gather.public(grad * result, index, dim=dim) / where(Tensor._make(zero), 1.0, src)
    return gi, where(lone, others, plain)


@composite("scatter_reduce", inplace=True)
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """Reduce src into a copy of input at index along dim ('sum', 'prod', 'mean', 'amax',
    'amin'); include_self=False leaves input's values out of scattered-to positions.

    Example::
        >>> ndgrad.zeros(2).scatter_reduce(0, ndgrad.tensor([0, 0]), ndgrad.tensor([2., 3.]),
        ...                                'amax', include_self=False)
        tensor([3., 0.])
    """
    return _scatter_reduce.public(input, index, src, dim=dim, reduce=reduce,
                                  include_self=include_self)


# *** index_select / index_add / index_copy / index_fill ***

def _vector(index: np.ndarray, fn: str) -> np.ndarray:
    if index.ndim > 1:
        raise IndexError(f"{fn}(): Index is supposed to be a vector, but got dim: {index.ndim} "
                         f"with type: {_type_name(index)} and size: {list(index.shape)}")
    return index.reshape(-1)


def _along(d: int, index: np.ndarray) -> tuple:
    return (_FULL,) * d + (index,)


@primitive("index_select", grad_fn="IndexSelectBackward0", export=False,
           inputs=("input", "index"),
           samples=[(((3, 4), (2,)), {"dim": 1}), (((3, 4), (5,)), {"dim": 0})],
           int_inputs={"index": (0, 1)}, torch_fn=lambda torch, x, i, dim: x.index_select(dim, i))
def _index_select(input, index, *, dim):
    d = _wrap_dim(dim, input.ndim)
    if index.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    i = index.reshape(-1)
    x = _lift(input)[0]
    if input.ndim == 0 and i.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {i.size} "
                           "value(s)")
    n = x.shape[d]
    if i.size and (i.min() < 0 or i.max() >= n):
        bad = int(i.min()) if i.min() < 0 else int(i.max())
        raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={n}")
    out = np.take(x, i, axis=d)
    return out.reshape(()) if input.ndim == 0 else out


@_index_select.vjp
def _(grad, input_shape, index, *, dim):
    return _index_add.public(_zeros(input_shape, grad), index, grad, dim=dim), None


@composite("index_select")
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of input at the positions index (a vector) along dim.

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).index_select(0, ndgrad.tensor([1, 1]))
        tensor([[3., 4.],
                [3., 4.]])
    """
    return _index_select.public(input, index, dim=dim)


def _check_index_source(input: np.ndarray, index: np.ndarray, source: np.ndarray, d: int,
                        fn: str) -> np.ndarray:
    i = _vector(index, fn)
    if source.dtype != input.dtype:
        if fn == "index_copy_":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                               f"but got (self) {_type_name(input)} and (source) "
                               f"{_type_name(source)}")
        raise RuntimeError(f"index_add_(): self ({_type_name(input)}) and source "
                           f"({_type_name(source)}) must have the same scalar type")
    x, s = _lift(input, source)
    rest_x, rest_s = x.shape[:d] + x.shape[d + 1:], s.shape[:d] + s.shape[d + 1:]
    if fn == "index_copy_" and rest_x != rest_s:
        raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                           f"shapes. Destination slice shape: {' '.join(map(str, rest_x))} at "
                           f"dimension {d} and source slice shape: "
                           f"{' '.join(map(str, rest_s))} at dimension 0.")
    if source.ndim and i.size != s.shape[d]:
        if fn == "index_copy_":
            raise IndexError(f"index_copy_(): Number of indices ({i.size}) should be equal to "
                             f"source.size(dim) ({s.shape[d]})")
        raise RuntimeError(f"index_add_(): Number of indices ({i.size}) should be equal to "
                           f"source.size(dim): ({s.shape[d]}), for dim: {d}")
    if rest_x != rest_s:
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")
    copy = fn == "index_copy_"
    _bounds(i, x.shape[d], d, pre="index_copy_(): " if copy else "",
            exc=IndexError if copy else RuntimeError)
    return i


@primitive("index_add", grad_fn="IndexAddBackward0", export=False,
           inputs=("input", "index", "source"),
           samples=[(((3, 4), (3,), (3, 3)), {"dim": 1}),
                    (((3, 4), (2,), (2, 4)), {"dim": 0, "alpha": 2.0})],
           int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, s, dim, alpha=1: x.index_add(dim, i, s, alpha=alpha))
def _index_add(input, index, source, *, dim, alpha=1):
    d = _wrap_dim(dim, input.ndim)
    i = _check_index_source(input, index, source, d, "index_add_")
    out = input.copy()
    o, s = _lift(out, source)
    np.add.at(o, _along(d, i), s if alpha == 1 else s * alpha)  # repeats accumulate
    return out


@_index_add.vjp
def _(grad, index, *, dim, alpha=1):
    gs = _index_select.public(grad, index, dim=dim)
    return grad, None, gs if alpha == 1 else gs * alpha


@composite("index_add", inplace=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """A copy of input with alpha * source added at the positions index along dim.

    Example::
        >>> ndgrad.zeros(3).index_add(0, ndgrad.tensor([0, 2]), ndgrad.tensor([1., 2.]))
        tensor([1., 0., 2.])
    """
    return _index_add.public(input, index, source, dim=dim, alpha=alpha)


@primitive("index_copy", grad_fn="IndexCopyBackward0", export=False,
           inputs=("input", "index", "source"),
           samples=[(((3, 4), (1,), (3, 1)), {"dim": 1}), (((3, 4), (1,), (1, 4)), {"dim": 0})],
           int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, s, dim: x.index_copy(dim, i, s))
def _index_copy(input, index, source, *, dim):
    d = _wrap_dim(dim, input.ndim)
    i = _check_index_source(input, index, source, d, "index_copy_")
    out = input.copy()
    o, s = _lift(out, source)
    o[_along(d, i)] = s
    return out


@_index_copy.vjp
def _(grad, index, *, dim):
    return (_index_fill.public(grad, index, dim=dim, value=0), None,
            _index_select.public(grad, index, dim=dim))


@composite("index_copy", inplace=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of input with source's slices written at the positions index along dim.

    Example::
        >>> ndgrad.zeros(3).index_copy(0, ndgrad.tensor([2]), ndgrad.tensor([5.]))
        tensor([0., 0., 5.])
    """
    return _index_copy.public(input, index, source, dim=dim)


def _fill_into(input: np.ndarray, index: np.ndarray, dim: int, value: Any) -> np.ndarray:
    d = _wrap_dim(dim, input.ndim)
    i = _vector(index, "index_fill_")
    out = input.copy()
    o = _lift(out)[0]
    _bounds(i, o.shape[d], d, neg=True, exc=IndexError)
    o[_along(d, i)] = value
    return out


@primitive("index_fill", grad_fn="IndexFillBackward0", export=False, inputs=("input", "index"),
           samples=[(((3, 4), (2,)), {"dim": 1, "value": 1.5})], int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, dim, value: x.index_fill(dim, i, value))
def _index_fill(input, index, *, dim, value):
    return _fill_into(input, index, dim, value)


@_index_fill.vjp
def _(grad, index, *, dim, value):
    return _index_fill.public(grad, index, dim=dim, value=0), None


@primitive("index_fill_tensor", grad_fn="IndexFillBackward1", export=False,
           inputs=("input", "index", "value"),
           samples=[(((3, 4), (3,), ()), {"dim": 1})], int_inputs={"index": (0, 3)},
           torch_fn=lambda torch, x, i, v, dim: x.index_fill(dim, i, v))
def _index_fill_tensor(input, index, value, *, dim):
    return _fill_into(input, index, dim, value)


@_index_fill_tensor.vjp
def _(grad, index, *, dim):
    # each filled position takes value once, however often index repeats it
    once = Tensor._make(np.unique(index._data))
    return (_index_fill.public(grad, index, dim=dim, value=0), None,
            _index_select.public(grad, once, dim=dim).sum())


@composite("index_fill", inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of input with value at the positions index along dim.

    Example::
        >>> ndgrad.zeros(3).index_fill(0, ndgrad.tensor([0, 2]), 7.)
        tensor([7., 0., 7.])
    """
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        if value._data.dtype != input._data.dtype:
            value = value.to(input.dtype)
        return _index_fill_tensor.public(input, index, value, dim=dim)
    return _index_fill.public(input, index, dim=dim, value=value)


# *** take / masked ***

@primitive("take", grad_fn="TakeBackward0", inputs=("input", "index"),
           samples=[(((3, 4), (2, 2)), {}), (((3,), (4,)), {})], int_inputs={"index": (0, 3)})
def take(input, index):
    """input viewed as 1-d, at index (negative counts from the end); out has index's shape.

    Example::
        >>> ndgrad.tensor([[1., 2.], [3., 4.]]).take(ndgrad.tensor([0, 3]))
        tensor([1., 4.])
    """
    if index.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{_type_name(index)}")
    n = input.size
    if index.size and (index.max() >= n or index.min() < -n):
        bad = int(index.max()) if index.max() >= n else int(index.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return input.reshape(-1)[index]


@take.vjp
def _(grad, input_shape, index):
    flat = _zeros((int(np.prod(input_shape)),), grad)
    idx = ((Ellipsis,), (index._data.reshape(-1),), "IndexBackward0")
    put = _index_put.public(flat, grad.reshape(-1), index=idx, accumulate=True)
    return put.reshape(input_shape), None


@composite("take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """gather with input and indices broadcast against each other (outside dim); dim=None
    works on the flattened tensors.

    Example::
        >>> ndgrad.tensor([[3., 1.], [2., 4.]]).take_along_dim(ndgrad.tensor([[1], [0]]), 1)
        tensor([[1.],
                [2.]])
    """
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_type_name(indices._data)}")
    if dim is None:
        return _gather.public(input.reshape(-1), indices.reshape(-1), dim=0)
    a, b = input._data.shape, indices._data.shape
    if len(a) != len(b):
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {len(a)} dimensions for input, and "
                           f"{len(b)} dimensions for indices")
    d = _wrap_dim(dim, len(a))
    shape = list(np.broadcast_shapes(a[:d] + (1,) + a[d + 1:], b[:d] + (1,) + b[d + 1:]))
    sa, sb = tuple(shape[:d] + [a[d]] + shape[d + 1:]), tuple(shape[:d] + [b[d]] + shape[d + 1:])
    x = input if sa == a else _expand.public(input, size=sa)
    return _gather.public(x, indices if sb == b else _expand.public(indices, size=sb), dim=d)


def _bool_mask(mask: np.ndarray, fn: str) -> None:
    if mask.dtype != np.bool_:
        raise RuntimeError(f"{fn} only supports boolean masks, but got mask with dtype "
                           f"{_type_name(mask)}")


@primitive("masked_select", grad_fn="MaskedSelectBackward0", inputs=("input", "mask"),
           samples=[(((3, 4), (4,)), {}), (((4,), (3, 4)), {})],
           bool_inputs=("mask",))
def masked_select(input, mask):
    """The entries of input where mask (broadcast with it) is True, as a 1-d tensor.

    Example::
        >>> ndgrad.tensor([1., 2., 3.]).masked_select(ndgrad.tensor([True, False, True]))
        tensor([1., 3.])
    """
    if mask.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    a, m = np.broadcast_arrays(input, mask)
    return a[m]


@masked_select.vjp
def _(grad, input_shape, mask):
    shape = np.broadcast_shapes(input_shape, mask._data.shape)
    return _masked_scatter.public(_zeros(shape, grad), mask, grad), None


@primitive("masked_scatter", grad_fn="MaskedScatterBackward0", export=False,
           inputs=("input", "mask", "source"),
           samples=[(((3, 4), (3, 4), (12,)), {}), (((3, 4), (4,), (3, 5)), {})],
           bool_inputs=("mask",), torch_fn=lambda torch, x, m, s: x.masked_scatter(m, s))
def _masked_scatter(input, mask, source):
    if source.dtype != input.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{_type_name(input)} and {_type_name(source)}")
    _bool_mask(mask, "masked_scatter_")
    shape = np.broadcast_shapes(input.shape, mask.shape)
    out = np.array(np.broadcast_to(input, shape))
    m = np.broadcast_to(mask, shape)
    n = int(m.sum())
    if source.size < n:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out[m] = source.reshape(-1)[:n]  # source is consumed in order, row-major
    return out


@_masked_scatter.vjp
def _(grad, mask, source_shape, needs_input_grad):
    gs = None
    if needs_input_grad[2]:
        sel = masked_select(grad, mask)
        pad = int(np.prod(source_shape)) - sel._data.shape[0]
        gs = (_cat_public(sel, _zeros((pad,), grad)) if pad else sel).reshape(source_shape)
    return where(mask, 0.0, grad) if needs_input_grad[0] else None, None, gs


@composite("masked_scatter", inplace=True)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of input with source's leading entries written, in order, where mask is True.

    Example::
        >>> ndgrad.zeros(3).masked_scatter(ndgrad.tensor([True, False, True]),
        ...                                ndgrad.tensor([1., 2.]))
        tensor([1., 0., 2.])
    """
    return _masked_scatter.public(input, mask, source)


# *** nonzero / unique (no gradient) ***

@primitive("nonzero", differentiable=False, export=False, samples=[((3, 4), {}), ((2, 0), {})],
           bool_inputs=("input",), torch_fn=lambda torch, x: torch.nonzero(x))
def _nonzero(input):
    return np.argwhere(input).astype(np.int64, copy=False)


@composite("nonzero")
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero entries: an (n, ndim) tensor, or one 1-d tensor per dim.

    Example::
        >>> ndgrad.tensor([0., 3., 0., 5.]).nonzero()
        tensor([[1],
                [3]])
    """
    if as_tuple:
        return tuple(Tensor._make(c.astype(np.int64, copy=False))
                     for c in np.nonzero(np.atleast_1d(input._data)))
    return _nonzero.public(input)


@composite("argwhere")
def argwhere(input: Tensor) -> Tensor:
    """Same as nonzero(input)."""
    return _nonzero.public(input)


def _unique_name(sorted, dim) -> str:
    return "Unique2Backward0" if dim is None else "UniqueDimBackward0"


@primitive("unique", grad_fn=_unique_name, export=False, n_outputs=3,
           samples=[((6,), {"sorted": True, "dim": None}), ((3, 2), {"sorted": True, "dim": 1})],
           int_inputs={"input": (0, 3)}, torch_fn=lambda torch, x, sorted, dim: torch.unique(
               x, sorted, return_inverse=True, return_counts=True, dim=dim))
def _unique(input, *, sorted, dim):
    # torch's CPU kernels sort whatever `sorted` says; so does np.unique
    if dim is None:
        vals, inv, counts = np.unique(input.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(input.shape)
    else:
        vals, inv, counts = np.unique(input, return_inverse=True, return_counts=True,
                                      axis=_wrap_dim(dim, input.ndim))
        inv = inv.reshape(-1)
    return vals, inv.astype(np.int64), counts.astype(np.int64)


@_unique.vjp
def _(grads, *, sorted, dim):
    name = "_unique2" if dim is None else "unique_dim"
    raise NotImplementedError(f"the derivative for '{name}' is not implemented.")


@composite("unique")
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The sorted distinct values (or slices along dim), optionally with the inverse map and
    the counts.

    Example::
        >>> ndgrad.tensor([3, 1, 3]).unique(return_counts=True)
        (tensor([1, 3]), tensor([1, 2]))
    """
    vals, inv, counts = _unique.public(input, sorted=sorted, dim=dim)
    extra = ((inv,) if return_inverse else ()) + ((counts,) if return_counts else ())
    return (vals,) + extra if extra else vals
