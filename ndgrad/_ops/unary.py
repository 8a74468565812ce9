"""Unary pointwise math: sign and magnitude, exponentials and logarithms, trigonometric and
hyperbolic functions, sigmoid/logit, rounding, nan_to_num."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._registry import composite, primitive
from ._special_math import complex_log2, complex_log_base
from .pointwise import FEW_UNARY_SHAPES, UNARY_SHAPES, _not_for, _zeros, where
from .pointwise_backward import sigmoid_backward, tanh_backward, threshold_backward

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
             "invert a mask, use the `~` or `logical_not()` operator instead.")


# *** sign and magnitude ***

@primitive("neg", complex=True, inplace=True, grad_fn="NegBackward0", promote="same",
           shapes=UNARY_SHAPES)
def neg(input):
    """-input.

    Example::
        >>> ndgrad.neg(ndgrad.tensor([1., -2.]))
        tensor([-1.,  2.])
    """
    try:
        return np.negative(input)
    except TypeError:  # NumPy refuses to negate bools, as torch does
        raise RuntimeError(_NEG_BOOL) from None


@neg.vjp
def _(grad):
    return -grad


@primitive("abs", complex=True, inplace=True, grad_fn="AbsBackward0", promote="same",
           shapes=UNARY_SHAPES, kinks=(0.0,))
def abs(input):
    """|input|; its gradient at 0 is 0 (torch's sgn).

    Example::
        >>> ndgrad.abs(ndgrad.tensor([-1., 2.]))
        tensor([1., 2.])
    """
    if input.dtype.kind == "b":
        raise _not_for("abs_cpu", input.dtype)
    return np.abs(input)


@abs.vjp
def _(grad, input):
    return grad * sgn(input)  # 0 at 0; for complex z, d|z|/dRe + i d|z|/dIm = z / |z| = sgn(z)


def _sign(x: np.ndarray) -> np.ndarray:
    # (x > 0) - (x < 0): torch's sign is 0 at NaN and at -0.0, where np.sign gives NaN / -0.0
    return x.copy() if x.dtype.kind == "b" else np.subtract(x > 0, x < 0, dtype=x.dtype)


@primitive("sign", inplace=True, grad_fn="SignBackward0", promote="same", shapes=FEW_UNARY_SHAPES,
           kinks=(0.0,))
def sign(input):
    """-1, 0 or 1 by the sign of input; its gradient is zero.

    Example::
        >>> ndgrad.sign(ndgrad.tensor([-3., 0., 2.]))
        tensor([-1.,  0.,  1.])
    """
    return _sign(input)


@sign.vjp
def _(grad):
    return _zeros(grad)


def _sgn_torch(torch: Any, x: Any) -> Any:
    # torch's sgn backward yields an unallocated "zero tensor"; materialize it for comparison
    if x.requires_grad:
        x.register_hook(lambda g: torch.zeros(g.shape, dtype=g.dtype) if g._is_zerotensor() else g)
    return torch.sgn(x)


@primitive("sgn", complex=True, inplace=True, grad_fn="SgnBackward0", promote="same",
           shapes=FEW_UNARY_SHAPES, kinks=(0.0,), torch_fn=_sgn_torch)
def sgn(input):
    """sign extended to complex numbers: z / |z| (0 at 0); for real input the same as sign.

    Example::
        >>> ndgrad.sgn(ndgrad.tensor([-3., 0., 3j]))
        tensor([-1.+0.j,  0.+0.j,  0.+1.j])
    """
    if input.dtype.kind == "c":
        r = np.abs(input)
        return np.where(r == 0, 0, input / np.where(r == 0, 1, r)).astype(input.dtype)
    return _sign(input)


@sgn.vjp
def _(grad, input, result):
    if input._data.dtype.kind != "c":
        return _zeros(grad)
    # s = z/|z|: ds/dz = 1/(2|z|), ds/dz̄ = -z²/(2|z|³), so the gradient (conj(g) ds/dz̄ +
    # g conj(ds/dz)) is (g - s² conj(g)) / (2|z|); torch takes 0 at z = 0
    r = input.abs()
    out = (grad - result * result * grad.conj_physical()) / (r * 2)
    return where(r == 0, 0.0, out)


# *** exponentials and logarithms ***

@primitive("exp", complex="holomorphic", inplace=True, grad_fn="ExpBackward0", promote="float",
           shapes=UNARY_SHAPES)
def exp(input):
    """e ** input.

    Example::
        >>> ndgrad.exp(ndgrad.tensor([0.]))
        tensor([1.])
    """
    return np.exp(input)


@exp.vjp
def _(grad, result):
    return grad * result


@primitive("exp2", complex="holomorphic", inplace=True, grad_fn="Exp2Backward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def exp2(input):
    """2 ** input.

    Example::
        >>> ndgrad.exp2(ndgrad.tensor([3.]))
        tensor([8.])
    """
    return np.exp2(input)


@exp2.vjp
def _(grad, result):
    return grad * (result * _LN2)


@primitive("expm1", complex="holomorphic", inplace=True, grad_fn="Expm1Backward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def expm1(input):
    """exp(input) - 1, accurate near 0.

    Example::
        >>> ndgrad.expm1(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.expm1(input)


@expm1.vjp
def _(grad, result):
    return grad * (result + 1)


@primitive("log", complex="holomorphic", inplace=True, grad_fn="LogBackward0", promote="float",
           shapes=UNARY_SHAPES,
           domain=(0.5, 3.0))
def log(input):
    """Natural logarithm.

    Example::
        >>> ndgrad.log(ndgrad.tensor([1.]))
        tensor([0.])
    """
    return np.log(input)


@log.vjp
def _(grad, input):
    return grad / input


@primitive("log2", complex="holomorphic", inplace=True, grad_fn="Log2Backward0", promote="float",
           shapes=FEW_UNARY_SHAPES,
           domain=(0.5, 3.0))
def log2(input):
    """Base-2 logarithm.

    Example::
        >>> ndgrad.log2(ndgrad.tensor([8.]))
        tensor([3.])
    """
    if input.dtype.kind != "c":
        return np.log2(input)
    return complex_log2(input)


@log2.vjp
def _(grad, input):
    return grad / (input * _LN2)


@primitive("log10", complex="holomorphic", inplace=True, grad_fn="Log10Backward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(0.5, 3.0))
def log10(input):
    """Base-10 logarithm.

    Example::
        >>> ndgrad.log10(ndgrad.tensor([100.]))
        tensor([2.])
    """
    return complex_log_base(input, 10.0) if input.dtype.kind == "c" else np.log10(input)


@log10.vjp
def _(grad, input):
    return grad / (input * _LN10)


@primitive("log1p", complex="holomorphic", inplace=True, grad_fn="Log1PBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(-0.5, 2.0))
def log1p(input):
    """log(1 + input), accurate near 0.

    Example::
        >>> ndgrad.log1p(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.log1p(input)


@log1p.vjp
def _(grad, input):
    return grad / (input + 1)


@primitive("sqrt", complex="holomorphic", inplace=True, grad_fn="SqrtBackward0", promote="float",
           shapes=UNARY_SHAPES,
           domain=(0.5, 3.0))
def sqrt(input):
    """Square root.

    Example::
        >>> ndgrad.sqrt(ndgrad.tensor([4.]))
        tensor([2.])
    """
    return np.sqrt(input)


@sqrt.vjp
def _(grad, result):
    return grad / (result * 2)


@primitive("rsqrt", complex="holomorphic", inplace=True, grad_fn="RsqrtBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(0.5, 3.0))
def rsqrt(input):
    """1 / sqrt(input).

    Example::
        >>> ndgrad.rsqrt(ndgrad.tensor([4.]))
        tensor([0.5000])
    """
    return np.reciprocal(np.sqrt(input))


@rsqrt.vjp
def _(grad, result):
    return grad * (result * result * result * -0.5)


@primitive("reciprocal", complex="holomorphic", inplace=True, grad_fn="ReciprocalBackward0",
           promote="float",
           shapes=UNARY_SHAPES, domain=(0.5, 2.0))
def reciprocal(input):
    """1 / input.

    Example::
        >>> ndgrad.reciprocal(ndgrad.tensor([4.]))
        tensor([0.2500])
    """
    return np.reciprocal(input)


@reciprocal.vjp
def _(grad, result):
    return grad * -(result * result)


# *** trigonometric and hyperbolic ***

@primitive("sin", complex="holomorphic", inplace=True, grad_fn="SinBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def sin(input):
    """Sine (radians).

    Example::
        >>> ndgrad.sin(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.sin(input)


@sin.vjp
def _(grad, input):
    return grad * cos(input)


@primitive("cos", complex="holomorphic", inplace=True, grad_fn="CosBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def cos(input):
    """Cosine (radians).

    Example::
        >>> ndgrad.cos(ndgrad.tensor([0.]))
        tensor([1.])
    """
    return np.cos(input)


@cos.vjp
def _(grad, input):
    return grad * -sin(input)


@primitive("tan", complex="holomorphic", inplace=True, grad_fn="TanBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES,
           domain=(-1.2, 1.2))
def tan(input):
    """Tangent (radians).

    Example::
        >>> ndgrad.tan(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.tan(input)


@tan.vjp
def _(grad, result):
    return grad * (result * result + 1)  # tan' = 1 + tan²


@primitive("asin", complex="holomorphic", inplace=True, grad_fn="AsinBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES,
           domain=(-0.8, 0.8))
def asin(input):
    """Inverse sine.

    Example::
        >>> ndgrad.asin(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.arcsin(input)


@asin.vjp
def _(grad, input):
    return grad * rsqrt(1 - input * input)


@primitive("acos", complex="holomorphic", inplace=True, grad_fn="AcosBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES,
           domain=(-0.8, 0.8))
def acos(input):
    """Inverse cosine.

    Example::
        >>> ndgrad.acos(ndgrad.tensor([1.]))
        tensor([0.])
    """
    return np.arccos(input)


@acos.vjp
def _(grad, input):
    return grad * -rsqrt(1 - input * input)


@primitive("atan", complex="holomorphic", inplace=True, grad_fn="AtanBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def atan(input):
    """Inverse tangent.

    Example::
        >>> ndgrad.atan(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.arctan(input)


@atan.vjp
def _(grad, input):
    return grad / (input * input + 1)


@primitive("sinh", complex="holomorphic", inplace=True, grad_fn="SinhBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def sinh(input):
    """Hyperbolic sine.

    Example::
        >>> ndgrad.sinh(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.sinh(input)


@sinh.vjp
def _(grad, input):
    return grad * cosh(input)


@primitive("cosh", complex="holomorphic", inplace=True, grad_fn="CoshBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def cosh(input):
    """Hyperbolic cosine.

    Example::
        >>> ndgrad.cosh(ndgrad.tensor([0.]))
        tensor([1.])
    """
    return np.cosh(input)


@cosh.vjp
def _(grad, input):
    return grad * sinh(input)


@primitive("tanh", complex=True, inplace=True, grad_fn="TanhBackward0", promote="float",
           shapes=UNARY_SHAPES)
def tanh(input):
    """Hyperbolic tangent.

    Example::
        >>> ndgrad.tanh(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.tanh(input)


@tanh.vjp
def _(grad, result):
    return tanh_backward(grad, result)


@primitive("asinh", complex="holomorphic", inplace=True, grad_fn="AsinhBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES)
def asinh(input):
    """Inverse hyperbolic sine.

    Example::
        >>> ndgrad.asinh(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.arcsinh(input)


@asinh.vjp
def _(grad, input):
    return grad * rsqrt(input * input + 1)


@primitive("acosh", complex="holomorphic", inplace=True, grad_fn="AcoshBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(1.2, 3.0))
def acosh(input):
    """Inverse hyperbolic cosine (input >= 1).

    Example::
        >>> ndgrad.acosh(ndgrad.tensor([1.]))
        tensor([0.])
    """
    return np.arccosh(input)


@acosh.vjp
def _(grad, input):
    return grad * rsqrt(input * input - 1)


@primitive("atanh", complex="holomorphic", inplace=True, grad_fn="AtanhBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(-0.8, 0.8))
def atanh(input):
    """Inverse hyperbolic tangent (|input| < 1).

    Example::
        >>> ndgrad.atanh(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return np.arctanh(input)


@atanh.vjp
def _(grad, input):
    return grad / (1 - input * input)


# *** sigmoid, logit, relu ***

@primitive("sigmoid", complex=True, inplace=True, grad_fn="SigmoidBackward0", promote="float",
           shapes=UNARY_SHAPES)
def sigmoid(input):
    """1 / (1 + exp(-input)), computed without overflow.

    Example::
        >>> ndgrad.sigmoid(ndgrad.tensor([0.]))
        tensor([0.5000])
    """
    if input.dtype.kind == "c":
        return 1 / (1 + np.exp(-input))
    x = input.astype(np.float32) if input.dtype == np.float16 else input  # as torch: half in float
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(input.dtype, copy=False)


@sigmoid.vjp
def _(grad, result):
    return sigmoid_backward(grad, result)


@primitive("logit", inplace=True, grad_fn="LogitBackward0", promote="float",
           shapes=FEW_UNARY_SHAPES, samples=[((2, 3), {"eps": 0.25})], domain=(0.3, 0.7))
def logit(input, eps=None):
    """log(input / (1 - input)); with eps, input is first clamped to [eps, 1 - eps].

    Example::
        >>> ndgrad.logit(ndgrad.tensor([0.5]))
        tensor([0.])
    """
    x = input if eps is None else np.clip(input, eps, 1 - eps)
    return np.log(x / (1 - x))


@logit.vjp
def _(grad, input, *, eps):
    # 1 / (x (1 - x)) inside; outside [0, 1] NaN, or 0 where eps clamped the input flat
    lo, hi = (0.0, 1.0) if eps is None else (eps, 1 - eps)
    outside = (input < lo) | (input > hi)
    return where(outside, float("nan") if eps is None else 0.0, grad / (input * (1 - input)))


@primitive("relu", inplace=True, grad_fn="ReluBackward0", promote="same", shapes=UNARY_SHAPES,
           kinks=(0.0,))
def relu(input):
    """max(input, 0).

    Example::
        >>> ndgrad.relu(ndgrad.tensor([-1., 2.]))
        tensor([0., 2.])
    """
    if input.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return np.maximum(input, 0).astype(input.dtype, copy=False)


@relu.vjp
def _(grad, result):
    return threshold_backward(grad, result, threshold=0)


# *** rounding (piecewise constant: zero gradient, as torch) ***

def _round_like(input: np.ndarray, fn: Any, kernel: str) -> np.ndarray:
    if input.dtype.kind == "f":
        return fn(input)
    if input.dtype.kind == "b":
        raise _not_for(kernel, input.dtype)
    return input.copy()  # integers are already whole


@primitive("floor", inplace=True, grad_fn="FloorBackward0", promote="same", shapes=FEW_UNARY_SHAPES)
def floor(input):
    """Round down to a whole number.

    Example::
        >>> ndgrad.floor(ndgrad.tensor([-1.5, 1.5]))
        tensor([-2.,  1.])
    """
    return _round_like(input, np.floor, "floor_vml_cpu")


@floor.vjp
def _(grad):
    return _zeros(grad)


@primitive("ceil", inplace=True, grad_fn="CeilBackward0", promote="same", shapes=FEW_UNARY_SHAPES)
def ceil(input):
    """Round up to a whole number.

    Example::
        >>> ndgrad.ceil(ndgrad.tensor([-1.5, 1.5]))
        tensor([-1.,  2.])
    """
    return _round_like(input, np.ceil, "ceil_vml_cpu")


@ceil.vjp
def _(grad):
    return _zeros(grad)


@primitive("trunc", inplace=True, grad_fn="TruncBackward0", promote="same", shapes=FEW_UNARY_SHAPES)
def trunc(input):
    """Round toward zero.

    Example::
        >>> ndgrad.trunc(ndgrad.tensor([-1.5, 1.5]))
        tensor([-1.,  1.])
    """
    return _round_like(input, np.trunc, "trunc_vml_cpu")


@trunc.vjp
def _(grad):
    return _zeros(grad)


def _round_name(decimals: int | None) -> str:
    return "RoundBackward0" if decimals is None else "RoundBackward1"  # round / round.decimals


@primitive("round", inplace=True, grad_fn=_round_name, promote="same", shapes=FEW_UNARY_SHAPES,
           samples=[((2, 3), {"decimals": 1}), ((3,), {"decimals": -1})])
def round(input, *, decimals=None):
    """Round half to even, to `decimals` decimal places (negative: left of the point).

    Example::
        >>> ndgrad.round(ndgrad.tensor([0.5, 1.5, 1.26]), decimals=1)
        tensor([0.5000, 1.5000, 1.3000])
    """
    if not decimals:
        if decimals is not None and input.dtype.kind != "f":
            raise _not_for("round_cpu", input.dtype)
        return _round_like(input, np.rint, "round_vml_cpu")
    if input.dtype.kind != "f":
        raise _not_for("round_cpu", input.dtype)
    # torch scales by 10^|decimals| in the input's own precision, rounds, and scales back
    scale = input.dtype.type(10.0 ** (decimals if decimals > 0 else -decimals))
    if decimals > 0:
        return np.rint(input * scale) / scale
    return np.rint(input / scale) * scale


@round.vjp
def _(grad, *, decimals):
    return _zeros(grad)


@primitive("frac", inplace=True, grad_fn="FracBackward0", promote="same", shapes=FEW_UNARY_SHAPES)
def frac(input):
    """input - trunc(input), the fractional part with input's sign.

    Example::
        >>> ndgrad.frac(ndgrad.tensor([-1.25, 2.5]))
        tensor([-0.2500,  0.5000])
    """
    if input.dtype.kind != "f":
        raise _not_for("frac_cpu", input.dtype)
    return input - np.trunc(input)


@frac.vjp
def _(grad):
    return grad


@primitive("nan_to_num", inplace=True, grad_fn="NanToNumBackward0", promote="same",
           shapes=FEW_UNARY_SHAPES, samples=[((3,), {"nan": 1.0, "posinf": 2.0, "neginf": -2.0})])
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace NaN by nan and ±inf by posinf / neginf (default: the dtype's largest finite values).

    Example::
        >>> ndgrad.nan_to_num(ndgrad.tensor([float("nan"), float("inf"), 1.]))
        tensor([0.0000e+00, 3.4028e+38, 1.0000e+00])
    """
    if input.dtype.kind != "f":
        return input.copy()
    return np.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


@nan_to_num.vjp
def _(grad, input, *, nan, posinf, neginf):
    return grad * input.isfinite()


# *** aliases ***

composite("negative", inplace=True)(neg.public)
composite("absolute", inplace=True)(abs.public)
composite("arcsin", inplace=True)(asin.public)
composite("arccos", inplace=True)(acos.public)
composite("arctan", inplace=True)(atan.public)
composite("arcsinh", inplace=True)(asinh.public)
composite("arccosh", inplace=True)(acosh.public)
composite("arctanh", inplace=True)(atanh.public)
composite("fix", inplace=True)(trunc.public)

