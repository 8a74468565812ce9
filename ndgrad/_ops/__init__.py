"""Imports the core op modules (which register their ops), binds methods and operators to
Tensor, and loads the rarely used op modules on first use.

A lazily loaded module's names are known before it loads (`_lazy_index.py`, generated): Tensor
gets a stub for each of its methods that loads the module (which binds the real method over the
stub) and calls the real method; `ndgrad.<name>` and misses in REGISTRY / PUBLIC / METHODS load
it too. `load_all()` loads every op module (the op tables of the tests)."""
from __future__ import annotations

import importlib
import warnings
from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from . import _lazy_index, _registry
from . import (  # noqa: F401  (registration: the core op modules)
    binary, compare, indexing, inplace, linalg, pointwise, reduction, shape, unary,
)
from . import complex  # noqa: F401  (registration; binds Tensor.real/imag/mH/H)
from ._registry import INPLACE, METHODS, PUBLIC, REGISTRY, call, composite
from .inplace import copy_, fill_, make_inplace_method, zero_  # noqa: F401
from .inplace import inplace as _inplace  # noqa: F401  (used by nn.functional's inplace=True)

# The rarely used op modules, in an order where each one's own op-module imports come first;
# the nn_* modules load with nn. Adding a module here: regenerate _lazy_index.py (see there).
LAZY = ("join", "scatter", "index_ops", "view_ops", "sorting", "scan", "statistics", "special",
        "contract", "decomp", "spectral", "conv", "pool", "resample", "random", "nn", "fft", "fftn",
        "stft", "numeric", "nan_reduce", "log_space", "copy_variants", "combine", "numerical",
        "histogram", "index_writes", "storage", "native_norms", "lowrank",
        "special_fns", "special_binary", "special_poly", "windows", "linalg_lu", "linalg_solvers",
        "linalg_householder", "linalg_misc", "linalg_eig",
        # the nn ops of issue 11
        "pool3d", "pool_extra", "nn_margin", "nn_misc", "embedding_bag", "grid_sample",
        "resample_separable")

# NumPy warns on log(0), x/0, overflow; torch returns inf/nan silently. Filtering by module costs
# nothing until a warning is actually raised inside ndgrad's op modules.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ndgrad\._ops")

_INPLACE_DONE: set = set()
_PROPERTIES = ("mT", "T")


def _bind() -> None:
    """Bind every registered method onto Tensor (in-place variants made for INPLACE ops)."""
    for name in INPLACE:
        if name not in _INPLACE_DONE:
            _INPLACE_DONE.add(name)
            METHODS[name + "_"] = make_inplace_method(METHODS[name])
    attrs = Tensor.__dict__
    for name, fn in METHODS.items():
        if name in _PROPERTIES:
            if name not in attrs:
                setattr(Tensor, name, property(fn))
        elif attrs.get(name) is not fn:
            setattr(Tensor, name, fn)


def load(module: str) -> None:
    """Import the op module ndgrad._ops.<module> (it registers its ops) and bind its methods."""
    importlib.import_module(f".{module}", __name__)
    _bind()


def load_all() -> None:
    """Load every lazily loaded op module (what iterating REGISTRY / PUBLIC / METHODS needs)."""
    for module in LAZY:
        load(module)


def _load_for(kind: str, name: str) -> bool:
    """REGISTRY / PUBLIC / METHODS missed `name`: load the module that defines it, if any."""
    module = getattr(_lazy_index, kind).get(name)
    if module is None:
        return False
    load(module)
    return True


def _stub(name: str, module: str) -> Callable:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        load(module)
        real = Tensor.__dict__.get(name)
        if real is method:
            raise AttributeError(f"ndgrad._ops.{module} defines no Tensor.{name}: regenerate "
                                 "ndgrad/_ops/_lazy_index.py")
        return real(self, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = f"Tensor.{name} (ndgrad._ops.{module} loads on first use)."
    return method


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


_bind()
for _name, _module in _lazy_index.METHODS.items():
    if _name not in METHODS:
        setattr(Tensor, _name, _stub(_name, _module))
_registry.LOAD_FOR = _load_for


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


def _by_name(table: dict, name: str, reflected: bool = False) -> Callable:
    """An operator that looks its op up when called (its module loads on first use)."""
    def method(self, other):
        return table[name](other, self) if reflected else table[name](self, other)

    return method


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
    "__rdiv__": _rtruediv, "__idiv__": METHODS["div_"],
    "__iand__": METHODS["bitwise_and_"], "__ior__": METHODS["bitwise_or_"],
    "__ixor__": METHODS["bitwise_xor_"],
    "__imod__": _by_name(METHODS, "remainder_"), "__ifloordiv__": _by_name(METHODS, "floor_divide_"),
    "__lshift__": _by_name(PUBLIC, "bitwise_left_shift"),
    "__rshift__": _by_name(PUBLIC, "bitwise_right_shift"),
    "__rlshift__": _by_name(PUBLIC, "bitwise_left_shift", reflected=True),
    "__rrshift__": _by_name(PUBLIC, "bitwise_right_shift", reflected=True),
    "__ilshift__": _by_name(METHODS, "bitwise_left_shift_"),
    "__irshift__": _by_name(METHODS, "bitwise_right_shift_"),
}
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _fn)

# what Tensor's own methods (grad_fn, to, in-place checks) and forward AD call into the ops
Tensor._to_copy = REGISTRY["_to_copy"].public
Tensor._alias = REGISTRY["alias"].public
Tensor._sync_view = inplace.sync_view
Tensor._check_inplace = inplace.check_inplace
Tensor._bump = inplace.bump_version
Tensor.__hash__ = lambda self: id(self)  # defining __eq__ would otherwise drop hashing

__all__ = ["REGISTRY", "PUBLIC", "METHODS", "call"]
