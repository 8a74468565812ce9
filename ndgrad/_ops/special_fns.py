"""torch.special's differentiable functions beyond erf/gamma: Bessel i0/i0e/i1/i1e, the normal
distribution (ndtri, log_ndtr, ndtr), erfcx, entr, sinc, mvlgamma and logit-style aliases.
SciPy computes the forwards (imported on first use); the rules are written in ndgrad ops."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import primitive
from .pointwise import FEW_UNARY_SHAPES, where
from .special import _scipy, _scipy_bessel_i, digamma

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _sp(name: str) -> Any:
    import scipy.special

    return getattr(scipy.special, name)


def _torch_special(name: str) -> Any:
    """The test table's torch counterpart: torch.special.<name>."""
    return lambda torch, *args, **kw: getattr(torch.special, name)(*args, **kw)


# *** modified Bessel functions of the first kind ***

@primitive("i0", inplace=True, grad_fn="I0Backward0", promote="float", shapes=FEW_UNARY_SHAPES)
def i0(input):
    """The modified Bessel function of the first kind, order 0.

    Example::
        >>> ndgrad.i0(ndgrad.tensor([0., 1.]))
        tensor([1.0000, 1.2661])
    """
    return _scipy_bessel_i("i0", input)


@i0.vjp
def _(grad, input):
    return grad * special_i1.public(input)  # I0' = I1


@primitive("special_i0e", grad_fn="SpecialI0EBackward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, torch_fn=_torch_special("i0e"))
def special_i0e(input):
    """exp(-|x|) I0(x), the exponentially scaled i0.

    Example::
        >>> ndgrad.special.i0e(ndgrad.tensor([0.]))
        tensor([1.])
    """
    return _scipy("i0e", input)


@special_i0e.vjp
def _(grad, input, result):
    return grad * (special_i1e.public(input) - input.sign() * result)


@primitive("special_i1", grad_fn="SpecialI1Backward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, torch_fn=_torch_special("i1"))
def special_i1(input):
    """The modified Bessel function of the first kind, order 1.

    Example::
        >>> ndgrad.special.i1(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return _scipy_bessel_i("i1", input)


def _over_x(result: Tensor, input: Tensor) -> Tensor:
    """result / input, and 0 where input == 0 (the rules below take their limit 1/2 there)."""
    safe = where(input == 0, 1.0, input)
    return where(input == 0, 0.0, result / safe)


@special_i1.vjp
def _(grad, input, result):
    # I1' = I0 - I1 / x, which tends to 1/2 at 0
    return grad * where(input == 0, 0.5, i0(input) - _over_x(result, input))


@primitive("special_i1e", grad_fn="SpecialI1EBackward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, torch_fn=_torch_special("i1e"))
def special_i1e(input):
    """exp(-|x|) I1(x), the exponentially scaled i1.

    Example::
        >>> ndgrad.special.i1e(ndgrad.tensor([0.]))
        tensor([0.])
    """
    return _scipy("i1e", input)


@special_i1e.vjp
def _(grad, input, result):
    d = special_i0e.public(input) - result * input.sign() - _over_x(result, input)
    return grad * where(input == 0, 0.5, d)


# *** the normal distribution ***

@primitive("special_ndtri", grad_fn="SpecialNdtriBackward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(0.05, 0.95), torch_fn=_torch_special("ndtri"))
def special_ndtri(input):
    """The inverse of ndtr: the x with P(N(0, 1) <= x) = input.

    Example::
        >>> ndgrad.special.ndtri(ndgrad.tensor([0.5]))
        tensor([0.])
    """
    return _scipy("ndtri", input)


@special_ndtri.vjp
def _(grad, result):
    return grad * (result * result * 0.5).exp() * _SQRT_2PI


@primitive("special_log_ndtr", grad_fn="SpecialLogNdtrBackward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(-4.0, 3.0), torch_fn=_torch_special("log_ndtr"))
def special_log_ndtr(input):
    """log(ndtr(input)), accurate far into the lower tail.

    Example::
        >>> ndgrad.special.log_ndtr(ndgrad.tensor([0.]))
        tensor([-0.6931])
    """
    return _scipy("log_ndtr", input)


@special_log_ndtr.vjp
def _(grad, input, result):
    # d log Φ = φ(x) / Φ(x) = exp(-x²/2 - log Φ(x)) / √(2π)
    return grad * (-(result + input * input * 0.5)).exp() / _SQRT_2PI


# torch composes ndtr as (1 + erf(x / √2)) * 0.5, so its node is the last product's
@primitive("special_ndtr", grad_fn="MulBackward1", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, torch_fn=_torch_special("ndtr"))
def special_ndtr(input):
    """P(N(0, 1) <= input), the standard normal CDF.

    Example::
        >>> ndgrad.special.ndtr(ndgrad.tensor([0.]))
        tensor([0.5000])
    """
    return _scipy("ndtr", input)


@special_ndtr.vjp
def _(grad, input):
    return grad * (input * input * -0.5).exp() / _SQRT_2PI


@primitive("special_erfcx", grad_fn="SpecialErfcxBackward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, torch_fn=_torch_special("erfcx"))
def special_erfcx(input):
    """The scaled complementary error function exp(x²) erfc(x).

    Example::
        >>> ndgrad.special.erfcx(ndgrad.tensor([0.]))
        tensor([1.])
    """
    return _scipy("erfcx", input)


@special_erfcx.vjp
def _(grad, input, result):
    return grad * (input * result * 2.0 - _TWO_OVER_SQRT_PI)


# *** entropy and sinc ***

@primitive("special_entr", grad_fn="SpecialEntrBackward0", export=False, promote="float",
           shapes=FEW_UNARY_SHAPES, domain=(0.2, 2.0), torch_fn=_torch_special("entr"))
def special_entr(input):
    """-x log x elementwise (0 at 0, -inf for negative x).

    Example::
        >>> ndgrad.special.entr(ndgrad.tensor([0., 1.]))
        tensor([0., -0.])
    """
    x = input
    with np.errstate(all="ignore"):
        out = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), np.zeros((), x.dtype))
    out = np.where(x < 0, -np.inf, out)
    return np.where(np.isnan(x), x, out).astype(x.dtype, copy=False)


@special_entr.vjp
def _(grad, input):
    return grad * -(input.log() + 1)


@primitive("sinc", inplace=True, grad_fn="SincBackward0", promote="float",
           complex="holomorphic", shapes=FEW_UNARY_SHAPES)
def sinc(input):
    """sin(πx) / (πx), and 1 at 0.

    Example::
        >>> ndgrad.sinc(ndgrad.tensor([0., 0.5]))
        tensor([1.0000, 0.6366])
    """
    with np.errstate(invalid="ignore"):
        return np.sinc(input).astype(input.dtype, copy=False)


@sinc.vjp
def _(grad, input):
    # (πx cos πx - sin πx) / (π x²), 0 at x = 0
    px = input * math.pi
    safe = where(input == 0, 1.0, input)
    d = (px.cos() * px - px.sin()) / (safe * safe * math.pi)
    return grad * where(input == 0, 0.0, d)


# *** multivariate log-gamma ***

@primitive("mvlgamma", inplace=True, grad_fn="MvlgammaBackward0", promote="float",
           inputs=("input",), shapes=FEW_UNARY_SHAPES, attrs={"p": 3}, domain=(1.5, 3.0))
def mvlgamma(input, p):
    """The multivariate log-gamma of dimension p: Σ_{i<p} lgamma(x - i/2) + p(p-1)/4 log π.

    Example::
        >>> ndgrad.mvlgamma(ndgrad.tensor([2.5]), 2)
        tensor([0.8570])
    """
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    offsets = np.arange(p, dtype=input.dtype) * -0.5
    args = input[..., None] + offsets
    terms = np.where(args == -np.inf, np.inf, _scipy("gammaln", args))  # torch: lgamma(-inf) = inf
    out = terms.sum(-1) + p * (p - 1) / 4.0 * math.log(math.pi)
    return np.asarray(out, dtype=input.dtype)


@mvlgamma.vjp
def _(grad, input, *, p):
    offsets = Tensor._make(np.arange(p, dtype=input._data.dtype) * -0.5)
    return grad * digamma(input.unsqueeze(-1) + offsets).sum(-1)

