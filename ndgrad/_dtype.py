"""torch's dtypes by name, the default dtype, and torch's type-promotion rules."""
from __future__ import annotations

import numpy as np


class dtype:
    """A torch dtype: a name, a NumPy dtype and a category (bool < int < float < complex)."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_cat")

    def __init__(self, name: str, np_dtype: type, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self._cat = category  # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = not (name == "bool" or name.startswith("uint"))
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_real(self) -> "dtype":
        """The real dtype of a complex one (complex64 -> float32); others map to themselves."""
        return _COMPLEX_TO_REAL.get(self.name, self)

    def to_complex(self) -> "dtype":
        """The complex dtype of a floating one (float64 -> complex128)."""
        if self.is_complex:
            return self
        if self.name == "float16":
            return complex32
        if self.name not in _REAL_TO_COMPLEX:
            raise RuntimeError(f"to_complex is only supported for floating point dtypes, but got "
                               f"{self!r}")
        return _NAMES[_REAL_TO_COMPLEX[self.name]]


class _UnsupportedComplexHalf(dtype):
    """torch.complex32 (chalf): a name ndgrad knows; NumPy has no complex-half type to hold it."""

    __slots__ = ()

    def __init__(self) -> None:
        self.name, self._cat, self.itemsize = "complex32", 3, 4
        self.is_floating_point, self.is_complex, self.is_signed = False, True, True

    @property
    def np(self) -> np.dtype:  # type: ignore[override]
        raise TypeError("torch.complex32 (chalf) is not supported by ndgrad: NumPy has no "
                        "complex-half type. Use torch.complex64 (cfloat) instead.")

    def to_real(self) -> dtype:
        return float16


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
# torch's "barebones" unsigned types: storage, conversion and few kernels; no promotion with
# other integer types (see promote_types)
uint16 = dtype("uint16", np.uint16, 1)
uint32 = dtype("uint32", np.uint32, 1)
uint64 = dtype("uint64", np.uint64, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)
complex32 = _UnsupportedComplexHalf()

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128,
       uint16, uint32, uint64)
BAREBONES_UNSIGNED = (uint16, uint32, uint64)
# torch's C++ scalar type names, which its error messages use
SCALAR_TYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                     "int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float",
                     "float64": "Double", "complex32": "ComplexHalf", "complex64": "ComplexFloat",
                     "complex128": "ComplexDouble", "uint16": "UInt16", "uint32": "UInt32",
                     "uint64": "UInt64"}
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64,
              cfloat=complex64, cdouble=complex128, complex32=complex32, chalf=complex32)
_COMPLEX_TO_REAL = {"complex64": float32, "complex128": float64}
_REAL_TO_COMPLEX = {"float32": "complex64", "float64": "complex128"}


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, int32, "
            "int16, int8, uint64, uint32, uint16, uint8, and bool."
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


def get_default_complex_dtype() -> dtype:
    """The complex dtype matching the default float dtype (complex64 for float32)."""
    return _Default.float.to_complex()


def set_default_dtype(d: dtype) -> None:
    """Set the dtype that Python floats and new floating tensors get (float32 or float64)."""
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d!r}")
    _Default.float = d


# *** promotion (torch.promote_types / torch.result_type) ***

_INT_ORDER = (uint8, int8, int16, int32, int64)


def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both a and b convert to safely.

    Example::
        >>> ndgrad.promote_types(ndgrad.float64, ndgrad.complex64)
        torch.complex128
    """
    if a is b:
        return a
    if (a in BAREBONES_UNSIGNED or b in BAREBONES_UNSIGNED) and not (a._cat == 2 and b._cat == 1
                                                                     or a._cat == 1 and b._cat == 2):
        raise RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {SCALAR_TYPE_NAMES[a.name]} and "
                           f"{SCALAR_TYPE_NAMES[b.name]}")
    if a._cat == 3 or b._cat == 3:  # complex: the wider of the two value types, made complex
        ra, rb = a.to_real(), b.to_real()
        if ra._cat < 2:
            return b
        if rb._cat < 2:
            return a
        return (ra if ra.itemsize >= rb.itemsize else rb).to_complex()
    if a._cat != b._cat:
        return a if a._cat > b._cat else b  # int + float -> the float type; bool + x -> x
    if a._cat == 2:
        return a if a.itemsize >= b.itemsize else b
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize >= b.itemsize else b


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # torch's combine_categories: a lower-priority operand only wins if its category is higher;
    # a complex one over a floating one keeps the floating one's width (float64 + 1j: complex128)
    if higher is None:
        return lower
    if lower is None or higher._cat >= lower._cat:
        return higher
    if lower._cat == 3 and higher._cat == 2:
        return higher.to_complex()
    return promote_types(higher, lower)


def scalar_dtype(value: object) -> dtype:
    """The dtype a Python number takes part in promotion with (torch's wrapped numbers)."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return _Default.float
    if isinstance(value, complex):
        return _Default.float.to_complex()
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def result_type_of(dims: list, zeros: list, scalars: list) -> dtype:
    """torch.result_type over tensors with dim > 0, 0-dim tensors, and Python scalars (by dtype)."""

    def fold(ds):
        out = None
        for d in ds:
            out = d if out is None else promote_types(out, d)
        return out

    return _combine(fold(dims), _combine(fold(zeros), fold(scalars)))
