"""default_collate / default_convert: merge samples into batches (torch's _utils/collate.py)."""
from __future__ import annotations

import collections.abc as cabc
import copy
import re
from typing import Any, Callable

import numpy as np

from ..._creation import as_tensor, tensor
from ..._ops.join import stack
from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_NP_STR_OBJ = re.compile(r"[SaUO]")
_COLLATE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                "lists; found {}")


def _as_tensor(x: Any) -> Tensor:
    return as_tensor(x)


def default_convert(data: Any) -> Any:
    """Convert NumPy arrays/scalars inside ``data`` to tensors, keeping the container types."""
    t = type(data)
    if isinstance(data, Tensor):
        return data
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and _NP_STR_OBJ.search(data.dtype.str):
            return data
        return _as_tensor(data)
    if isinstance(data, cabc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, cabc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(elem: cabc.Mapping, items: dict) -> Any:
    """A mapping like ``elem`` (same type where possible) holding ``items``."""
    try:
        if isinstance(elem, cabc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(items)
            return clone
        return type(elem)(items)  # type: ignore[call-arg]
    except TypeError:
        return items


def _rebuild_sequence(elem: cabc.Sequence, items: list) -> Any:
    try:
        if isinstance(elem, cabc.MutableSequence):
            clone = copy.copy(elem)
            for i, v in enumerate(items):
                clone[i] = v
            return clone
        return type(elem)(items)  # type: ignore[call-arg]
    except TypeError:
        return items


def _collate_tensors(batch: list) -> Tensor:
    return stack(batch, 0)


def _collate_arrays(batch: list) -> Tensor:
    if _NP_STR_OBJ.search(batch[0].dtype.str):
        raise TypeError(_COLLATE_ERR.format(batch[0].dtype))
    return default_collate([_as_tensor(b) for b in batch])


def _collate_float(batch: list) -> Tensor:
    return _as_tensor(np.array(batch, dtype=np.float64))


def _collate_int(batch: list) -> Tensor:
    return tensor(batch)


# checked in this order, as torch's default_collate_fn_map (np.float64 is a float: numpy first)
_COLLATE_MAP: list[tuple[Any, Callable[[list], Any]]] = [
    (Tensor, _collate_tensors),
    (np.ndarray, _collate_arrays),
    ((np.bool_, np.number, np.object_), lambda b: _as_tensor(np.array(b))),
    (float, _collate_float),
    (int, _collate_int),
    (str, lambda b: b),
    (bytes, lambda b: b),
]


def default_collate(batch: list) -> Any:
    """Stack a list of samples into a batch, recursing into dicts, tuples and lists.

    Tensors and NumPy arrays are stacked along a new first dimension, Python floats become a
    float64 tensor, ints an int64 tensor, strings stay a list; tuples collate to lists.

    Example::
        >>> default_collate([(ndgrad.tensor([1.0]), 0), (ndgrad.tensor([2.0]), 1)])
        [tensor([[1.],
                [2.]]), tensor([0, 1])]
    """
    elem = batch[0]
    for kind, fn in _COLLATE_MAP:
        if type(elem) is kind:
            return fn(batch)
    for kind, fn in _COLLATE_MAP:
        if isinstance(elem, kind):
            return fn(batch)
    if isinstance(elem, cabc.Mapping):
        return _rebuild_mapping(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, cabc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(list(s)) for s in zip(*batch)]
        return transposed if isinstance(elem, tuple) else _rebuild_sequence(elem, transposed)
    raise TypeError(_COLLATE_ERR.format(type(elem)))
