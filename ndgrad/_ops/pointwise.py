"""Pointwise arithmetic with torch's type promotion, powers, selection (where, masked_fill),
dtype copies, and the helpers the other pointwise modules (unary, binary, compare, special)
share."""
from __future__ import annotations

import cmath
import importlib
import warnings
from typing import Any

import numpy as np

from .. import _dtype, _memory_format
from .._tensor import _TORCH_TYPE_NAMES, Tensor
from ._promote import conj_scalar as _conj_scalar, float_power_dtype as _float_power_dtype
from ._promote import complex_operand as _is_complex, complex_scaled as _complex_scaled
from ._promote import real_part as _real, refuse_complex, times_alpha as _times_alpha
from ._promote import int_kind as _int_kind
from ._registry import _scalar, composite, primitive

# Samples for the op test table: shapes that exercise broadcasting, 0-d and empty tensors.
UNARY_SHAPES = [(), (3,), (2, 3)]
FEW_UNARY_SHAPES = [(), (2, 3)]
BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,)), ((2, 3), ())]
FEW_BINARY_SHAPES = [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,))]

# the C type names torch's dtype-check messages use
_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


# *** helpers shared by the pointwise modules ***

def _float(a: np.ndarray) -> np.ndarray:
    """Integer and bool arrays compute in the default float dtype, as torch's float ops do."""
    return a if a.dtype.kind == "f" else a.astype(_dtype._Default.float.np)


def _result_np(*xs: Any) -> np.dtype:
    """torch.result_type over arrays (0-d ones rank below the rest) and Python numbers."""
    dims, zeros, scalars = [], [], []
    for x in xs:
        if isinstance(x, np.ndarray):
            (dims if x.ndim else zeros).append(_dtype._FROM_NP[x.dtype])
        elif x is not None:
            scalars.append(_dtype.scalar_dtype(_scalar(x)))
    return _dtype.result_type_of(dims, zeros, scalars).np


def _promote(*xs: Any) -> list:
    """Cast the arrays among xs to their torch result type; Python numbers stay weak (NEP 50),
    so NumPy keeps that dtype."""
    dt = _result_np(*xs)
    return [x.astype(dt, copy=False) if isinstance(x, np.ndarray) else x for x in xs]


def _bad_args(name: str, args: tuple, overloads: str = "TN") -> TypeError:
    """torch's TypeError when no overload takes these argument types (T: Tensor-Tensor, N:
    Tensor-Number, S: Number-Tensor)."""
    got = ", ".join("Tensor" if isinstance(a, (Tensor, np.ndarray)) else type(a).__name__
                    for a in args)
    sigs = {"T": "(Tensor input, Tensor other, *, Tensor out = None)",
            "S": "(Number self, Tensor other, *, Tensor out = None)",
            "N": "(Tensor input, Number other, *, Tensor out = None)"}
    lines = "".join(f" * {sigs[k]}\n" for k in overloads)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but "
                     f"expected one of:\n{lines}")


def _need_tensors(name: str, input: Any, other: Any) -> None:
    """torch's TypeError for ops that take no Python number."""
    for pos, (arg, x) in enumerate((("input", input), ("other", other))):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos + 1}) must be Tensor, not "
                            f"{type(x).__name__}")


def _not_for(kernel: str, dt: np.dtype) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for '
                               f"'{_TORCH_TYPE_NAMES[np.dtype(dt).name]}'")


def _zeros(t: Tensor) -> Tensor:
    """Zeros shaped like t: the gradient of piecewise-constant ops (torch's zeros_like(grad))."""
    return Tensor._make(np.zeros(t._data.shape, t._data.dtype))


def _true_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.true_divide(a, b)
    if out.dtype != np.float16 and np.result_type(a, b).kind in "biu":
        out = out.astype(_dtype._Default.float.np)
    return out


def _check_int_div(kind: str, b: Any, kernel: str) -> None:
    if kind == "b":
        raise _not_for(kernel, np.bool_)
    if kind in "iu" and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")  # torch's words for integer division by zero


def _div_mode(a: Any, b: Any, mode: str) -> np.ndarray:
    if mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                           f"found '{mode}'")
    refuse_complex(f"div_{mode}_cpu", a, b)
    kind = _int_kind(a, b)
    _check_int_div(kind, b, f"div_{mode}_cpu")
    if mode == "floor":
        return np.floor_divide(a, b)  # NumPy's float floor division is CPython's, as torch's
    if kind in "iu":
        return np.floor_divide(np.subtract(a, np.fmod(a, b)), b)  # exact: (a - fmod) divides b
    return np.trunc(np.true_divide(a, b))


# *** binary arithmetic ***

@primitive("add", complex=True, complex_mixed=True, inplace=True, grad_fn="AddBackward0",
           ufunc=np.add, promote="binary", shapes=BINARY_SHAPES, scalar=True,
           samples=[(((2, 3), (3,)), {"alpha": 2})])
def add(input, other, *, alpha=1):
    """input + alpha * other, with broadcasting and torch's type promotion.

    Example::
        >>> ndgrad.add(ndgrad.tensor([1., 2.]), 1, alpha=2)
        tensor([3., 4.])
    """
    # input is always an array: one attribute read instead of a call on the hot path
    if input.dtype.kind == "c" or _is_complex(other):
        return np.add(input, _complex_scaled(other, alpha))
    if alpha == 1:
        return np.add(input, other)
    return np.add(input, _times_alpha(other, alpha, input.dtype.kind))


@add.vjp
def _(grad, *, alpha):
    return grad, (grad if alpha == 1 else grad * _conj_scalar(alpha))


_BOOL_SUB = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
             "or `logical_xor()` operator instead.")


@primitive("sub", complex_mixed=True, complex=True, inplace=True, grad_fn="SubBackward0",
           ufunc=np.subtract, promote="binary", shapes=BINARY_SHAPES, scalar=True)
def sub(input, other, *, alpha=1):
    """input - alpha * other.

    Example::
        >>> ndgrad.sub(ndgrad.tensor([3.]), ndgrad.tensor([1.]))
        tensor([2.])
    """
    if _is_complex(input) or _is_complex(other):  # torch's sub is add with -alpha
        return np.add(input, _complex_scaled(other, -alpha))
    try:
        if alpha == 1:
            return np.subtract(input, other)
        return np.subtract(input, _times_alpha(other, alpha, input.dtype.kind))
    except TypeError:  # NumPy refuses bool - bool as torch does; say it in torch's words
        raise RuntimeError(_BOOL_SUB) from None


@sub.vjp
def _(grad, needs_input_grad, *, alpha):
    return grad, ((-grad if alpha == 1 else grad * -_conj_scalar(alpha)) if needs_input_grad[1]
                  else None)


@primitive("rsub", complex=True, grad_fn="RsubBackward0", export=False, promote="binary",
           shapes=BINARY_SHAPES)
def _rsub_tensor(input, other, *, alpha=1):
    if _is_complex(input) or _is_complex(other):
        return np.add(other, _complex_scaled(input, -alpha))
    return np.subtract(other, input if alpha == 1 else _times_alpha(input, alpha, input.dtype.kind))


@_rsub_tensor.vjp
def _(grad, needs_input_grad, *, alpha):
    return ((-grad if alpha == 1 else grad * -_conj_scalar(alpha)) if needs_input_grad[0]
            else None), grad


@primitive("rsub_scalar", complex=True, grad_fn="RsubBackward1", export=False, promote="scalar",
           shapes=UNARY_SHAPES, attrs={"other": 2.5},
           torch_fn=lambda torch, x, other, alpha=1: torch.rsub(x, other))
def _rsub_scalar(input, *, other, alpha=1):
    if _is_complex(input) or isinstance(other, complex):
        return np.add(other, _complex_scaled(input, -alpha)).astype(input.dtype, copy=False)
    scaled = input if alpha == 1 else _times_alpha(input, alpha, input.dtype.kind)
    return np.subtract(other, scaled).astype(input.dtype, copy=False)


@_rsub_scalar.vjp
def _(grad, *, other, alpha):
    return -grad if alpha == 1 else grad * -_conj_scalar(alpha)


@composite("rsub", method=False)
def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """other - alpha * input.

    Example::
        >>> ndgrad.rsub(ndgrad.tensor([1.]), 3)
        tensor([2.])
    """
    if isinstance(other, Tensor):
        return _rsub_tensor.public(input, other, alpha=alpha)
    return _rsub_scalar.public(input, other=other, alpha=alpha)


@primitive("mul", complex="holomorphic", complex_mixed=True, inplace=True, grad_fn="MulBackward0",
           ufunc=np.multiply, promote="binary", shapes=BINARY_SHAPES, scalar=True,
           save_if={"input": ("other",), "other": ("input",)})
def mul(input, other):
    """input * other.

    Example::
        >>> ndgrad.mul(ndgrad.tensor([1., 2.]), 3)
        tensor([3., 6.])
    """
    return np.multiply(input, other)


@mul.vjp
def _(grad, other, input, needs_input_grad):  # saved in torch's order: other, then self
    return (grad * other if needs_input_grad[0] else None,
            grad * input if needs_input_grad[1] else None)


def _div_name(rounding_mode: str | None) -> str:
    return "DivBackward0" if rounding_mode is None else "DivBackward2"


@primitive("div", complex="holomorphic", complex_mixed=True, inplace=True, grad_fn=_div_name,
           promote="binary", shapes=BINARY_SHAPES, scalar=True, domain=(0.5, 2.0),
           save_if={"input": ("other",)},
           complex_samples=lambda attrs: attrs.get("rounding_mode") is None,
           samples=[(((2, 3), (3,)), {"rounding_mode": "trunc"}),
                    (((2, 3), ()), {"rounding_mode": "floor"})])
def div(input, other, *, rounding_mode=None):
    """input / other; integer inputs give the default float dtype unless rounding_mode is
    'trunc' (round toward zero) or 'floor' (round down), which keep integers integral.

    Example::
        >>> ndgrad.div(ndgrad.tensor([1, 2]), 2)
        tensor([0.5000, 1.0000])
    """
    if rounding_mode is None:
        return _true_div(input, other)
    return _div_mode(input, other, rounding_mode)


@div.vjp
def _(grad, other, input, needs_input_grad, *, rounding_mode):  # torch's save order
    if rounding_mode is not None:  # piecewise constant: torch's gradient is zeros
        return tuple(_zeros(grad) if n else None for n in needs_input_grad)
    return (grad / other if needs_input_grad[0] else None,
            -grad * input / (other * other) if needs_input_grad[1] else None)


# *** powers ***

def _int_pow(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """Integer powers; for tensor exponents torch defines x^-n as 1/x^n truncated (0 unless
    x is ±1) where NumPy refuses."""
    if base.dtype.kind == "b" and exponent.dtype.kind == "b":
        raise _not_for("pow", base.dtype)
    if base.dtype.kind not in "iu":
        return np.power(base, exponent)
    neg = exponent < 0
    if not neg.any():
        return np.power(base, exponent)
    out = np.power(base, np.where(neg, -exponent, exponent))
    odd = np.where(exponent % 2 == 0, 1, -1)
    at_neg = np.where(base == 1, 1, np.where(base == -1, odd, 0))
    return np.where(neg, at_neg, out).astype(out.dtype, copy=False)


@primitive("pow", complex="holomorphic", grad_fn="PowBackward0", export=False, promote="scalar",
           shapes=UNARY_SHAPES, attrs={"exponent": 3.0}, domain=(0.5, 2.0),
           # torch's forward AD keeps only the real part of a real input's complex tangent
           samples=[((2, 3), {"exponent": 0.5 - 1j}, ("jvp_torch",)), ((3,), {"exponent": -2})])
def _pow_scalar(input, *, exponent):
    if input.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return np.power(input, exponent)


@_pow_scalar.vjp
def _(grad, input, *, exponent):
    # d/dx x^e = e x^(e-1); torch defines the gradient of x^0 as 0 everywhere
    if exponent == 0:
        return _zeros(grad)
    return grad * (input ** (exponent - 1) * exponent)


@primitive("pow_tensor", complex="holomorphic", complex_mixed=True, grad_fn="PowBackward1",
           export=False, promote="binary",
           # torch's forward AD drops the imaginary part of a real exponent's tangent term
           mixed_skips=("jvp_torch",),
           shapes=BINARY_SHAPES, domain=(0.5, 2.0), torch_fn=lambda torch, x, e: torch.pow(x, e))
def _pow_tensor(input, exponent):
    return _int_pow(input, exponent)


@_pow_tensor.vjp
def _(grad, input, exponent, result, needs_input_grad):
    gi = ge = None
    if needs_input_grad[0]:  # torch takes 0 where the exponent is 0, even at x = 0
        gi = where(exponent == 0, 0.0, grad * (exponent * input ** (exponent - 1)))
    if needs_input_grad[1]:  # d/de x^e = x^e log x; torch takes 0 where x == 0 and Re(e) >= 0
        ge = grad * where((input == 0) & (_real(exponent) >= 0), 0.0, result * input.log())
    return gi, ge


@primitive("pow_scalar_base", complex="holomorphic", grad_fn="PowBackward2", export=False,
           promote="scalar",
           shapes=UNARY_SHAPES, attrs={"base": 2.5},
           torch_fn=lambda torch, x, base: torch.pow(base, x))
def _pow_scalar_base(input, *, base):
    return _int_pow(np.asarray(base, dtype=input.dtype), input)


@_pow_scalar_base.vjp
def _(grad, input, result, *, base):
    if base == 0:  # 0^e: no slope for e >= 0, and -inf (result * log 0) below
        return grad * where(_real(input) >= 0, 0.0, result * float("-inf"))
    return grad * (result * (cmath.log(base) if type(base) is complex else float(np.log(base))))


@composite("pow", inplace=True)
def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent; either side may be a Python number.

    Example::
        >>> ndgrad.pow(ndgrad.tensor([2., 3.]), 2)
        tensor([4., 9.])
    """
    if isinstance(input, Tensor):
        if isinstance(exponent, Tensor):
            return _pow_tensor.public(input, exponent)
        return _pow_scalar.public(input, exponent=exponent)
    return _pow_scalar_base.public(exponent, base=input)


@composite("float_power", shapes=FEW_BINARY_SHAPES, domain=(0.5, 2.0), complex=True)
def float_power(input: Any, exponent: Any) -> Tensor:
    """input ** exponent computed in float64 (complex128 if either side is complex; tensors are
    converted first).

    Example::
        >>> ndgrad.float_power(ndgrad.tensor([2]), 3)
        tensor([8.], dtype=torch.float64)
    """
    dt = _float_power_dtype(input, exponent)
    if isinstance(input, Tensor):
        input = input.to(dt)
    if isinstance(exponent, Tensor):
        exponent = exponent.to(dt)
    return pow(input, exponent)


@composite("float_power_", export=False)
def float_power_(self: Tensor, exponent: Any) -> Tensor:
    """In-place float_power; self must already be float64."""
    dt = _float_power_dtype(self, exponent)
    if self._data.dtype != dt.np:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{_TORCH_TYPE_NAMES[self._data.dtype.name]} but the operation's "
                           f"result requires dtype {_TORCH_TYPE_NAMES[dt.name]}")
    if isinstance(exponent, Tensor):
        exponent = exponent.to(dt)
    return self.pow_(exponent)


@composite("square", inplace=True)
def square(input: Tensor) -> Tensor:
    """input ** 2 (recorded as PowBackward0, as torch does).

    Example::
        >>> ndgrad.square(ndgrad.tensor([-2., 3.]))
        tensor([4., 9.])
    """
    return _pow_scalar.public(input, exponent=2)


# *** selection ***

def _bool_mask(mask: Any, what: str) -> Tensor:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{what}(): argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"{what}_ only supports boolean masks, but got mask with dtype "
                           f"{_C_NAMES[mask._data.dtype.name]}")
    return mask


@primitive("where", complex=True, grad_fn="WhereBackward0", export=False, inputs=("input", "other"))
def _where(input, other, *, condition):
    return np.where(condition._data, input, other)


@_where.vjp
def _(grad, needs_input_grad, *, condition):
    return (where(condition, grad, 0.0) if needs_input_grad[0] else None,
            where(condition, 0.0, grad) if needs_input_grad[1] else None)


def _as_operand(x: Any, dt: np.dtype) -> Tensor:
    if isinstance(x, Tensor):
        return x if x._data.dtype == dt else x.to(_dtype._FROM_NP[dt])
    return Tensor._make(np.asarray(x, dtype=dt))


@composite("where", method=False, inputs=("condition", "input", "other"), complex=True,
           bool_inputs=("condition",),
           samples=[(((2, 3), (2, 3), (2, 3)), {}), (((2, 3), (3,), (2, 1)), {})])
def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elementwise `input if condition else other`; either branch may be a Python number.
    With only a condition it is nonzero(condition, as_tuple=True).

    Example::
        >>> ndgrad.where(ndgrad.tensor([True, False]), ndgrad.tensor([1., 2.]), 0.0)
        tensor([1., 0.])
    """
    if input is None and other is None:
        from .shape import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not "
                        f"{type(condition).__name__}")
    if condition._data.dtype != np.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_TORCH_TYPE_NAMES[condition._data.dtype.name]}")
    a = input._data if isinstance(input, Tensor) else input
    b = other._data if isinstance(other, Tensor) else other
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        dt = a.dtype if a.dtype == b.dtype else _result_np(a, b)
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        t, n = (a, b) if isinstance(a, np.ndarray) else (b, a)
        # a Python number is weak against a float tensor; otherwise promote properly
        dt = t.dtype if t.dtype.kind == "f" and isinstance(n, (int, float)) else _result_np(a, b)
    elif isinstance(input, complex) or isinstance(other, complex):
        dt = _dtype.get_default_complex_dtype().np  # two Python numbers: the default complex
    elif isinstance(input, float) or isinstance(other, float):
        dt = _dtype._Default.float.np  # two Python numbers: a float makes the default float
    else:
        dt = _result_np(np.asarray(input), other)
    return _where.public(_as_operand(input, dt), _as_operand(other, dt), condition=condition)


@composite("where", export=False)
def _where_method(self: Tensor, condition: Tensor, other: Any) -> Tensor:
    return where(condition, self, other)


_MASK = Tensor._make(np.array([[True, False, True], [False, False, True]]))


def _th_mask(torch: Any, mask: Tensor) -> Any:
    return torch.from_numpy(mask._data.copy())


@primitive("masked_fill", complex=True, grad_fn="MaskedFillBackward0", export=False, shapes=[(2,
           3), (3,)],
           attrs={"mask": _MASK, "value": -0.5},
           torch_fn=lambda torch, x, mask, value: x.masked_fill(_th_mask(torch, mask), value))
def _masked_fill(input, *, mask, value):
    fill = np.asarray(value).astype(input.dtype)  # torch casts the value (2.7 -> 2 for ints)
    return np.where(mask._data, fill, input)


@_masked_fill.vjp
def _(grad, *, mask, value):
    return where(mask, 0.0, grad)


@primitive("masked_fill_tensor", complex=True, grad_fn="MaskedFillBackward1", export=False,
           samples=[(((2, 3), ()), {"mask": _MASK})],
           torch_fn=lambda torch, x, v, mask: x.masked_fill(_th_mask(torch, mask), v))
def _masked_fill_tensor(input, value, *, mask):
    if value.ndim:
        raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    return np.where(mask._data, value.astype(input.dtype), input)


@_masked_fill_tensor.vjp
def _(grad, needs_input_grad, *, mask):
    # the engine sums the value's gradient down to its 0-d shape
    return (where(mask, 0.0, grad) if needs_input_grad[0] else None,
            where(mask, grad, 0.0) if needs_input_grad[1] else None)


@composite("masked_fill", inplace=True)
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """input with value written where the boolean mask (broadcast to input) is True.

    Example::
        >>> x = ndgrad.tensor([1., 2., 3.])
        >>> x.masked_fill(x > 1, 0.)
        tensor([1., 0., 0.])
    """
    mask = _bool_mask(mask, "masked_fill")
    if isinstance(value, Tensor):
        return _masked_fill_tensor.public(input, value, mask=mask)
    return _masked_fill.public(input, mask=mask, value=_scalar(value))


# *** aliases torch keeps for the arithmetic above ***

composite("subtract", inplace=True)(sub.public)
composite("multiply", inplace=True)(mul.public)
composite("divide", inplace=True)(div.public)
composite("true_divide", inplace=True)(div.public)


# *** copies ***

@primitive("_to_copy", complex=True, grad_fn="ToCopyBackward0", export=False,
           shapes=UNARY_SHAPES, attrs={"dtype": _dtype.float64},
           samples=[((2, 3), {"dtype": _dtype.complex128})],
           complex_samples=lambda attrs: attrs["dtype"].is_complex,
           torch_fn=lambda torch, x, dtype: x.to(getattr(torch, dtype.name), copy=True))
def _to_copy(input, *, dtype):
    if input.dtype.kind == "c" and not dtype.is_complex:
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=4)
        return input.real.astype(dtype.np)
    return input.astype(dtype.np)


@_to_copy.vjp
def _(grad, input_dtype, *, dtype):
    if grad._data.dtype.kind == "c" and not input_dtype.is_complex:
        grad = grad.real  # a real tensor cast to complex: its gradient is the real part
    return grad.to(input_dtype)


@primitive("clone", complex=True, grad_fn="CloneBackward0", shapes=UNARY_SHAPES)
def clone(input, *, memory_format=None):
    """A copy of input that stays in the graph.

    Example::
        >>> ndgrad.tensor([1., 2.]).clone()
        tensor([1., 2.])
    """
    return _memory_format.copy(input, memory_format)


@clone.vjp
def _(grad, *, memory_format):
    return grad


@composite("contiguous", export=False)
def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """self if already contiguous in memory_format (C order by default), else a copy that is
    (CloneBackward0).

    Example::
        >>> ndgrad.zeros(2, 3).t().contiguous().is_contiguous()
        True
    """
    fmt = memory_format
    if fmt is None or fmt is _memory_format.preserve_format:
        fmt = _memory_format.contiguous_format
    if _memory_format.is_contiguous(input._data, fmt):
        return input
    return clone(input, memory_format=fmt)


# The other pointwise modules register on import (special, rarely used, loads on first use).
from . import binary, compare, unary  # noqa: E402


def __getattr__(name: str) -> Any:
    """Keep `from .pointwise import exp` working for ops that live in the sibling modules."""
    if name.startswith("__"):  # the import system probing (__path__ ...), not an op
        raise AttributeError(name)
    for mod in (unary, compare, binary, None):
        if mod is None:  # special loads on first use
            mod = importlib.import_module(".special", __package__)
        if name in vars(mod):
            value = globals()[name] = vars(mod)[name]  # found directly from now on
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
