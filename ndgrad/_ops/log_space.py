"""Arithmetic on logarithms: logaddexp, logaddexp2 and the running logcumsumexp."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._registry import primitive
from .pointwise import FEW_BINARY_SHAPES, _not_for, where
from .reduction import _dim1

_LN2 = math.log(2.0)


def _floats_only(kernel: str, *xs: np.ndarray) -> None:
    for x in xs:
        if isinstance(x, np.ndarray) and x.dtype.kind != "f":
            raise _not_for(kernel, x.dtype)


@primitive("logaddexp", grad_fn="LogaddexpBackward0", promote="binary", shapes=FEW_BINARY_SHAPES)
def logaddexp(input, other):
    """log(exp(input) + exp(other)), without overflow.

    Example::
        >>> ndgrad.logaddexp(ndgrad.tensor([0.]), ndgrad.tensor([0.]))
        tensor([0.6931])
    """
    _floats_only("logaddexp_cpu", input, other)
    return np.logaddexp(input, other)


@logaddexp.vjp
def _(grad, input, other, needs_input_grad):
    # d/dx log(e^x + e^y) = 1 / (1 + e^(y - x))
    return (grad / (1 + (other - input).exp()) if needs_input_grad[0] else None,
            grad / (1 + (input - other).exp()) if needs_input_grad[1] else None)


@primitive("logaddexp2", grad_fn="Logaddexp2Backward0", promote="binary",
           shapes=FEW_BINARY_SHAPES)
def logaddexp2(input, other):
    """log2(2**input + 2**other), without overflow.

    Example::
        >>> ndgrad.logaddexp2(ndgrad.tensor([1.]), ndgrad.tensor([1.]))
        tensor([2.])
    """
    _floats_only("logaddexp2_cpu", input, other)
    return np.logaddexp2(input, other)


@logaddexp2.vjp
def _(grad, input, other, needs_input_grad):
    return (grad / (1 + (other - input).exp2()) if needs_input_grad[0] else None,
            grad / (1 + (input - other).exp2()) if needs_input_grad[1] else None)


@primitive("logcumsumexp", grad_fn="LogcumsumexpBackward0", inputs=("input",),
           samples=[((2, 3), {"dim": 1}), ((3, 2), {"dim": 0}), ((), {"dim": 0})])
def logcumsumexp(input, dim):
    """Running log(sum(exp(input))) along `dim`.

    Example::
        >>> ndgrad.logcumsumexp(ndgrad.tensor([0., 0.]), 0)
        tensor([0.0000, 0.6931])
    """
    _floats_only("logcumsumexp_out_cpu", input)
    if not input.ndim:
        _dim1(dim, 0)
        return input.copy()
    d = _dim1(dim, input.ndim)
    return np.logaddexp.accumulate(input, axis=d) if input.size else input.copy()


def _reverse_logcumsumexp(x: Tensor, d: int) -> Tensor:
    return x.flip(d).logcumsumexp(d).flip(d)


@logcumsumexp.vjp
def _(grad, input, result, *, dim):
    if not input._data.ndim:
        return grad
    d = _dim1(dim, input._data.ndim)
    # torch's stable form: split the cotangent by sign and accumulate each in log space
    lowest = float(np.finfo(grad._data.dtype).min)
    log_abs = grad.abs().log()
    pos = where(grad > 0, log_abs, lowest)
    neg = where(grad < 0, log_abs, lowest)
    return ((_reverse_logcumsumexp(pos - result, d) + input).exp()
            - (_reverse_logcumsumexp(neg - result, d) + input).exp())


@logcumsumexp.jvp
def _(input_t, input, result, *, dim):
    if not input._data.ndim:
        return input_t
    d = _dim1(dim, input._data.ndim)
    # dy_j = sum_{i <= j} e^(x_i - y_j) dx_i, with e^x shifted by the max along d; torch adds
    # 1e-13 to the denominator, which shows at 1e-8 where the running sum is far below the max
    top = input.detach().amax(d, keepdim=True) if input._data.size else input.detach()
    top = where(top.isfinite(), top, 0.0)
    w = (input - top).exp()
    return (w * input_t).cumsum(d) / (w.cumsum(d) + 1e-13)
