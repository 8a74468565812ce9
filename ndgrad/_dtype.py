"""torch's dtypes by name, the default dtype, and torch's type-promotion rules."""
from __future__ import annotations

import numpy as np


class dtype:
    """A torch dtype: a name, a NumPy dtype and a category (bool < int < float)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_cat")

    def __init__(self, name: str, np_dtype: type, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self._cat = category  # 0 bool, 1 integer, 2 floating
        self.is_floating_point = category == 2
        self.is_complex = False
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> "dtype":
        return self

    def to_complex(self) -> "dtype":
        raise RuntimeError(f"ndgrad has no complex dtypes (asked for complex of {self!r})")


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only supported "
            "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


class _Default:
    float = float32


def get_default_dtype() -> dtype:
    """The dtype of new floating tensors (float32 unless changed).

    Example::
        >>> ndgrad.get_default_dtype()
        torch.float32
    """
    return _Default.float


def set_default_dtype(d: dtype) -> None:
    """Set the dtype that Python floats and new floating tensors get (float32 or float64)."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    _Default.float = d


# *** promotion (torch.promote_types / torch.result_type) ***

_INT_ORDER = (uint8, int8, int16, int32, int64)


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both a and b convert to safely."""
    if a is b:
        return a
    if a._cat != b._cat:
        return a if a._cat > b._cat else b  # int + float -> the float type; bool + x -> x
    if a._cat == 2:
        return a if a.itemsize >= b.itemsize else b
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize >= b.itemsize else b


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # torch's combine_categories: a lower-priority operand only wins if its category is higher
    if higher is None:
        return lower
    if lower is None or higher._cat >= lower._cat:
        return higher
    return promote_types(higher, lower)


def scalar_dtype(value: object) -> dtype:
    """The dtype a Python number takes part in promotion with (torch's wrapped numbers)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _Default.float
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def result_type_of(dims: list, zeros: list, scalars: list) -> dtype:
    """torch.result_type over tensors with dim > 0, 0-dim tensors, and Python scalars (by dtype)."""

    def fold(ds):
        out = None
        for d in ds:
            out = d if out is None else promote_types(out, d)
        return out

    return _combine(fold(dims), _combine(fold(zeros), fold(scalars)))
