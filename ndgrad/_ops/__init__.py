"""Imports every op module (which registers its ops), then binds methods and operators to Tensor."""
from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from . import linalg, nn, pointwise, reduction, shape  # noqa: F401  (registration)
from ._registry import INPLACE, METHODS, PUBLIC, REGISTRY, call, composite

# NumPy warns on log(0), x/0, overflow; torch returns inf/nan silently. Filtering by module costs
# nothing until a warning is actually raised inside ndgrad's op modules.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ndgrad\._ops")

_CAN_CAST = {"b": "b", "u": "bui", "i": "bui", "f": "buif"}


def _inplace(fn, self: Tensor, *args, **kwargs) -> Tensor:
    """Run fn out of place, then write the result into self and take over its graph position."""
    self._check_inplace()
    if STATE.enabled and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args)):
        # the op records a node whose input is self's old value: give it its own copy so the
        # saved input survives the overwrite
        old = Tensor._make(self._data.copy(), self._requires_grad, self._grad_fn, self._output_nr)
        out = fn(old, *args, **kwargs)
    else:
        out = fn(self, *args, **kwargs)
    src = out._data
    if src.dtype != self._data.dtype and src.dtype.kind not in _CAN_CAST[self._data.dtype.kind]:
        from .._dtype import from_numpy_dtype

        names = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool",
                 "int32": "Int", "float16": "Half", "uint8": "Byte"}
        raise RuntimeError(f"result type {names.get(out.dtype.name, out.dtype.name)} can't be cast "
                           f"to the desired output type "
                           f"{names.get(from_numpy_dtype(self._data.dtype).name)}")
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")
    np.copyto(self._data, src, casting="unsafe")
    self._vc[0] += 1
    if out._grad_fn is not None:
        self._grad_fn, self._output_nr, self._requires_grad = out._grad_fn, 0, True
    return self


def _make_inplace(fn):
    def method(self, *args, **kwargs):
        return _inplace(fn, self, *args, **kwargs)

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of {fn.__name__}."
    return method


for _name in INPLACE:
    METHODS[_name + "_"] = _make_inplace(METHODS[_name])
METHODS["true_divide"] = METHODS["div"]
METHODS["negative"] = METHODS["neg"]
PUBLIC["true_divide"] = PUBLIC["div"]
PUBLIC["negative"] = PUBLIC["neg"]


@composite("zero_", export=False)
def zero_(self: Tensor) -> Tensor:
    """Fill with zeros in place."""
    return fill_(self, 0)


@composite("fill_", export=False)
def fill_(self: Tensor, value) -> Tensor:
    """Fill with `value` in place."""
    self._check_inplace()
    if isinstance(value, Tensor):
        value = value.item()
    if STATE.enabled and self._requires_grad:
        return _inplace(lambda t: (t * 0 + value).to(t.dtype), self)
    self._data[...] = value
    self._vc[0] += 1
    return self


@composite("copy_", export=False)
def copy_(self: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:
    """Copy src's values into self (broadcasting src)."""
    if not isinstance(src, Tensor):
        src = Tensor._make(np.asarray(src))
    # NOTE: recorded as a clone of src; torch's CopyBackwards node arrives with full mutation
    # semantics (views and version counters)
    return _inplace(lambda t, s: s.to(t.dtype).expand_as(t).clone(), self, src)


@composite("mT", export=False)
def _mT(self: Tensor) -> Tensor:
    return self.transpose(-2, -1)


@composite("T", export=False)
def _T(self: Tensor) -> Tensor:
    if self._data.ndim != 2 and self._data.ndim != 0:
        warnings.warn("The use of `x.T` on tensors of dimension other than 2 to reverse their "
                      "shape is deprecated and it will throw an error in a future release.",
                      UserWarning, stacklevel=3)
    return self.permute(*range(self._data.ndim - 1, -1, -1))


for _name, _fn in METHODS.items():
    if _name in ("mT", "T"):
        setattr(Tensor, _name, property(_fn))
    else:
        setattr(Tensor, _name, _fn)


def _reflect(fn):
    def method(self, other):
        return fn(other, self)

    return method


def _not_implemented_for(fn):
    def method(self, other):
        if not isinstance(other, (Tensor, int, float, bool, np.generic)):
            return NotImplemented
        return fn(self, other)

    return method


def _eq(self, other):
    if other is None:
        return False
    return PUBLIC["eq"](self, other)


def _ne(self, other):
    if other is None:
        return True
    return PUBLIC["ne"](self, other)


def _rtruediv(self, other):
    return PUBLIC["reciprocal"](self) * other  # torch records 2 / x as MulBackward0(Reciprocal)


def _rpow(self, other):
    return PUBLIC["pow"](other, self)


def _rsub(self, other):
    return PUBLIC["rsub"](self, other)


def _rmatmul(self, other):
    return PUBLIC["matmul"](other, self)


_OPERATORS = {
    "__add__": _not_implemented_for(PUBLIC["add"]), "__radd__": _not_implemented_for(PUBLIC["add"]),
    "__sub__": _not_implemented_for(PUBLIC["sub"]), "__rsub__": _rsub,
    "__mul__": _not_implemented_for(PUBLIC["mul"]), "__rmul__": _not_implemented_for(PUBLIC["mul"]),
    "__truediv__": _not_implemented_for(PUBLIC["div"]), "__rtruediv__": _rtruediv,
    "__floordiv__": PUBLIC["floor_divide"], "__rfloordiv__": _reflect(PUBLIC["floor_divide"]),
    "__mod__": PUBLIC["remainder"], "__rmod__": _reflect(PUBLIC["remainder"]),
    "__pow__": PUBLIC["pow"], "__rpow__": _rpow,
    "__matmul__": PUBLIC["matmul"], "__rmatmul__": _rmatmul,
    "__neg__": PUBLIC["neg"], "__pos__": lambda self: self, "__abs__": PUBLIC["abs"],
    "__eq__": _eq, "__ne__": _ne, "__lt__": PUBLIC["lt"], "__le__": PUBLIC["le"],
    "__gt__": PUBLIC["gt"], "__ge__": PUBLIC["ge"],
    "__and__": PUBLIC["bitwise_and"], "__or__": PUBLIC["bitwise_or"],
    "__xor__": PUBLIC["bitwise_xor"], "__invert__": PUBLIC["bitwise_not"],
    "__rand__": _reflect(PUBLIC["bitwise_and"]), "__ror__": _reflect(PUBLIC["bitwise_or"]),
    "__rxor__": _reflect(PUBLIC["bitwise_xor"]),
    "__iadd__": METHODS["add_"], "__isub__": METHODS["sub_"], "__imul__": METHODS["mul_"],
    "__itruediv__": METHODS["div_"], "__ipow__": METHODS["pow_"],
}
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _fn)
Tensor.__hash__ = lambda self: id(self)  # defining __eq__ would otherwise drop hashing

__all__ = ["REGISTRY", "PUBLIC", "METHODS", "call"]
