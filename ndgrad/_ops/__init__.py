"""Imports every op module (which registers its ops), then binds methods and operators to Tensor."""
from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from . import (  # noqa: F401  (registration)
    binary, compare, indexing, scatter, index_ops, inplace, linalg, nn, pointwise, random,
    reduction, sorting, statistics, scan, shape, join, special, unary,
)
from . import conv, pool, resample  # noqa: F401  (registration)
from . import embedding_bag, grid_sample, nn_margin, nn_misc, pool3d, pool_extra  # noqa: F401
from . import resample_separable  # noqa: F401  (registration: the nn ops of issue 11)
from ._registry import INPLACE, METHODS, PUBLIC, REGISTRY, call, composite
from .inplace import copy_, fill_, make_inplace_method, zero_  # noqa: F401
from .inplace import inplace as _inplace  # noqa: F401  (used by nn.functional's inplace=True)

# NumPy warns on log(0), x/0, overflow; torch returns inf/nan silently. Filtering by module costs
# nothing until a warning is actually raised inside ndgrad's op modules.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ndgrad\._ops")

for _name in INPLACE:
    METHODS[_name + "_"] = make_inplace_method(METHODS[_name])


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
    # bound directly (no wrapper frame): these are the hottest calls in ndgrad
    "__add__": PUBLIC["add"], "__radd__": PUBLIC["add"],
    "__sub__": PUBLIC["sub"], "__rsub__": _rsub,
    "__mul__": PUBLIC["mul"], "__rmul__": PUBLIC["mul"],
    "__truediv__": PUBLIC["div"], "__rtruediv__": _rtruediv,
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
