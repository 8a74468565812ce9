"""torch's type promotion for op arguments: Python scalars, 0-d tensors, result dtypes."""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .. import _dtype
from .._tensor import Tensor

_NUMBER = (int, float, bool, complex)


def _scalar(x: Any) -> Any:
    t = type(x)
    if t is float or t is int or t is bool or t is complex:
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
        kind = da.dtype.kind
        if (kind == "f" and not isinstance(b, complex)) or kind == "c":
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
    arrays, rg = [], False
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(x).__name__}")
        d = x._data
        arrays.append(d if d.dtype.kind in "fc" else d.astype(_dtype._Default.float.np))
        rg = rg or x._requires_grad
    return inputs, tuple(arrays), rg


def _prep_plain(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
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
    if (d.dtype.kind == "f" and not isinstance(s, complex)) or d.dtype.kind == "c":
        return inputs, (d,), a._requires_grad
    return inputs, (d.astype(result_dtype(a, _scalar(s)), copy=False),), a._requires_grad


# *** complex numbers: refusing them (real-only ops), differentiating holomorphic ops ***

# torch's own words where it has special ones; otherwise its generic '"op" not implemented'
_COMPLEX_ERRORS = {
    "sign": (NotImplementedError, "Unlike NumPy, torch.sign is not intended to support complex "
             "numbers. Please use torch.sgn instead."),
    **dict.fromkeys(("clamp", "clamp_tensor", "clamp_min", "clamp_min_tensor", "clamp_max",
                     "clamp_max_tensor", "relu", "hardtanh", "threshold"),
                    (NotImplementedError, "clamp is not supported for complex types")),
    **{n: (NotImplementedError, f"{n} is not supported for complex inputs")
       for n in ("floor", "ceil", "trunc", "round")},
    **{n: (RuntimeError, f"{n} not implemented for complex tensors.")
       for n in ("maximum", "minimum", "fmax", "fmin")},
    **dict.fromkeys(("sort", "argsort", "topk", "median", "median_dim", "kthvalue", "mode",
                     "max_dim", "min_dim", "cummax", "cummin"),
                    (RuntimeError, "Sort does not support complex dtypes on CPU")),
}


def complex_error(name: str, dt: np.dtype) -> Exception:
    """The exception torch raises when a real-only op gets a complex tensor."""
    kind, msg = _COMPLEX_ERRORS.get(name, (NotImplementedError, None))
    return kind(msg or f'"{name}" not implemented for \'{_dtype.SCALAR_TYPE_NAMES[dt.name]}\'')


def real_only(prep: Callable, name: str) -> Callable:
    """prep, followed by torch's refusal when an argument is complex (ops declared real-only).
    The plain and float preparations check in their own loop (no extra call on the hot path)."""
    if prep is _prep_plain:
        def prep_plain_real(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
            arrays, rg = [], False
            for x in inputs:
                if isinstance(x, Tensor):
                    d = x._data
                    if d.dtype.kind == "c":
                        raise complex_error(name, d.dtype)
                    arrays.append(d)
                    rg = rg or x._requires_grad
                elif x is None or isinstance(x, _NUMBER):
                    arrays.append(x)
                else:
                    raise TypeError(f"expected Tensor as argument, but got {type(x).__name__}")
            return inputs, tuple(arrays), rg

        return prep_plain_real
    if prep is _prep_float:
        def prep_float_real(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
            arrays, rg = [], False
            for x in inputs:
                if not isinstance(x, Tensor):
                    raise TypeError(f"expected Tensor as element 0 in argument 0, but got "
                                    f"{type(x).__name__}")
                d = x._data
                kind = d.dtype.kind
                if kind != "f":
                    if kind == "c":
                        raise complex_error(name, d.dtype)
                    d = d.astype(_dtype._Default.float.np)
                arrays.append(d)
                rg = rg or x._requires_grad
            return inputs, tuple(arrays), rg

        return prep_float_real

    def prep_real(inputs: tuple, attrs: dict) -> tuple[tuple, tuple, bool]:
        inputs, arrays, rg = prep(inputs, attrs)
        for a in arrays:
            if type(a) is np.ndarray and a.dtype.kind == "c":
                raise complex_error(name, a.dtype)
        return inputs, arrays, rg

    return prep_real


def refuse_complex(name: str, *xs: Any) -> None:
    """torch's refusal of complex arguments (a kernel without complex support)."""
    for x in xs:
        if isinstance(x, np.ndarray) and x.dtype.kind == "c":
            raise complex_error(name, x.dtype)


def conj_scalar(x: Any) -> Any:
    """conj of a Python number: the gradient through multiplication by c is g * conj(c)."""
    return x.conjugate() if type(x) is complex else x


def float_power_dtype(*xs: Any) -> Any:
    """float_power computes in float64, or complex128 when either side is complex."""
    cx = any(isinstance(x, complex) or isinstance(x, Tensor) and x.is_complex() for x in xs)
    return _dtype.complex128 if cx else _dtype.float64


def real_part(t: Any) -> Any:
    """t's real part (t itself when real)."""
    return t.real if t._data.dtype.kind == "c" else t


def _is_complex(g: Any) -> bool:
    return g is not None and g._data.dtype.kind == "c"


def holomorphic_vjp(fn: Callable) -> Callable:
    """A VJP written for real input (g * f'(x)) applied in torch's complex convention: for
    holomorphic f the gradient is g * conj(f'(z)) = conj(vjp(conj(g))); real gradients pass as
    they are. Conjugation is a differentiable op, so double backward keeps working."""

    @functools.wraps(fn)
    def vjp(grad: Any, *args: Any, **kwargs: Any) -> Any:
        multi = type(grad) is tuple
        if not (any(_is_complex(g) for g in grad) if multi else _is_complex(grad)):
            return fn(grad, *args, **kwargs)
        grad = tuple(_conj(g) for g in grad) if multi else _conj(grad)
        out = fn(grad, *args, **kwargs)
        return tuple(_conj(g) for g in out) if type(out) is tuple else _conj(out)

    return vjp


def _conj(t: Any) -> Any:
    return t if t is None or t._data.dtype.kind != "c" else t.conj_physical()


# *** add / sub arithmetic helpers (pointwise.py) ***

def int_kind(a: Any, b: Any) -> str:
    """The dtype kind of an integer division's result: a's, or b's when a is a Python number."""
    return (a if isinstance(a, np.ndarray) else np.asarray(b)).dtype.kind


def times_alpha(x: Any, alpha: Any, kind: str) -> Any:
    if kind != "c" and isinstance(alpha, complex):
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex "
                           "number.")
    if kind in "biu" and isinstance(alpha, float):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")
    return x * alpha  # a Python number times a Python alpha stays a weak Python number


def complex_operand(x: Any) -> bool:
    if type(x) is np.ndarray:  # the common case first: one type check
        return x.dtype.kind == "c"
    return isinstance(x, complex) or (isinstance(x, np.ndarray) and x.dtype.kind == "c")


def complex_scaled(x: Any, alpha: Any) -> Any:
    """alpha * x in a complex result, as torch's add kernel computes it: always a full complex
    product, so an infinite part of x gives NaN parts ((1+0j) * (inf+0j) is inf+nanj)."""
    if isinstance(x, np.ndarray):
        return np.multiply(complex(alpha), x)
    return complex(alpha) * complex(x)


def _prep_binary_numbers(inputs: tuple, attrs: dict) -> tuple[tuple, list]:
    a, b = inputs
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):  # a 0-d result, as torch's
        a = _scalar(a)
        a = Tensor._make(np.asarray(a, dtype=_dtype.scalar_dtype(a).np))
    return _prep_binary((a, b), attrs)


_PREP = {"binary": _prep_binary, "float": _prep_float, "same": _prep_plain, None: _prep_plain,
         "scalar": _prep_scalar_attr}
# torch's add, sub, mul, div and floor_divide also take two Python numbers (torch.mul(2, 1.5))
_TWO_NUMBERS = frozenset(("add", "sub", "mul", "div", "floor_divide"))


def prep_for(promote: str | None, name: str) -> Callable:
    """The argument preparation of an op declared with `promote`."""
    if promote == "binary" and name in _TWO_NUMBERS:
        return _prep_binary_numbers
    return _PREP[promote]


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
