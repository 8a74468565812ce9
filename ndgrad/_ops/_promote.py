"""torch's type promotion for op arguments: Python scalars, 0-d tensors, result dtypes."""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor

_NUMBER = (int, float, bool)


def _scalar(x: Any) -> Any:
    t = type(x)
    if t is float or t is int or t is bool:
        return x
    if isinstance(x, np.generic):  # np.float64 subclasses float but is not a weak scalar
        return x.item()
    if isinstance(x, _NUMBER):
        return x
    raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}")


def result_dtype(a: Any, b: Any) -> np.dtype:
    """torch.result_type for two operands (Tensors or Python numbers), as a NumPy dtype."""
    dims, zeros, scalars = [], [], []
    for x in (a, b):
        if isinstance(x, Tensor):
            (dims if x._data.ndim else zeros).append(_dtype._FROM_NP[x._data.dtype])
        else:
            scalars.append(_dtype.scalar_dtype(x))
    return _dtype.result_type_of(dims, zeros, scalars).np


# Each prep takes (inputs, attrs) and returns (inputs, arrays, rg): the inputs (Python numbers
# normalised), the arrays the forward receives, and whether any input requires grad (so the
# registry reads grad mode only when it matters). Dtypes that already agree cost no promotion.

def _prep_binary(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
    a, b = inputs
    if isinstance(a, Tensor):
        da = a._data
        if isinstance(b, Tensor):
            db = b._data
            if da.dtype == db.dtype:
                return inputs, (da, db), a._requires_grad or b._requires_grad
            dt = result_dtype(a, b)
            return inputs, (da.astype(dt, copy=False), db.astype(dt, copy=False)), (
                a._requires_grad or b._requires_grad)
        tb = type(b)
        if tb is not float and tb is not int and tb is not bool:
            b = _scalar(b)
        if da.dtype.kind == "f" and not isinstance(b, complex):
            return (a, b), (da, b), a._requires_grad
        dt = result_dtype(a, b)
        return (a, b), (da.astype(dt, copy=False), np.asarray(b, dtype=dt)), a._requires_grad
    if isinstance(b, Tensor):
        a = _scalar(a)
        dt = result_dtype(a, b)
        return (a, b), (np.asarray(a, dtype=dt), b._data.astype(dt, copy=False)), b._requires_grad
    raise TypeError(f"expected at least one Tensor argument, got {type(a).__name__} and "
                    f"{type(b).__name__}")


def _prep_float(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
    if len(inputs) == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            d = x._data
            return inputs, (d if d.dtype.kind == "f" else d.astype(_dtype._Default.float.np),), \
                x._requires_grad
    arrays, rg = [], False
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(x).__name__}")
        d = x._data
        arrays.append(d if d.dtype.kind == "f" else d.astype(_dtype._Default.float.np))
        rg = rg or x._requires_grad
    return inputs, tuple(arrays), rg


def _prep_plain(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
    if len(inputs) == 1:
        x = inputs[0]
        if isinstance(x, Tensor):
            return inputs, (x._data,), x._requires_grad
    arrays, rg = [], False
    for x in inputs:
        if isinstance(x, Tensor):
            arrays.append(x._data)
            rg = rg or x._requires_grad
        elif x is None or isinstance(x, _NUMBER):
            arrays.append(x)
        else:
            raise TypeError(f"expected Tensor as argument, but got {type(x).__name__}")
    return inputs, tuple(arrays), rg


def _prep_scalar_attr(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
    # one tensor and a Python-number attribute (`other` / `exponent` / `self`) promoted together
    (a,) = inputs
    s = attrs.get("other", attrs.get("exponent", attrs.get("base")))
    d = a._data
    if d.dtype.kind == "f" and not isinstance(s, complex):
        return inputs, (d,), a._requires_grad
    return inputs, (d.astype(result_dtype(a, _scalar(s)), copy=False),), a._requires_grad


_PREP = {"binary": _prep_binary, "float": _prep_float, "same": _prep_plain, None: _prep_plain,
         "scalar": _prep_scalar_attr}


def _broadcast_error(shapes: list) -> str | None:
    """torch's message for the first pair of shapes that does not broadcast."""
    for i in range(len(shapes)):
        for j in range(i + 1, len(shapes)):
            a, b = shapes[i], shapes[j]
            for k in range(1, min(len(a), len(b)) + 1):
                if a[-k] != b[-k] and a[-k] != 1 and b[-k] != 1:
                    return (f"The size of tensor a ({a[-k]}) must match the size of tensor b "
                            f"({b[-k]}) at non-singleton dimension {max(len(a), len(b)) - k}")
    return None
