"""Pointwise ops: arithmetic with torch's promotion, unary math, comparisons, dtype copies."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import composite, primitive

# Samples for the op test table: shapes that exercise broadcasting, 0-d and empty tensors.
UNARY_SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2,)), ((2, 3), ())]


def _true_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.true_divide(a, b)
    if out.dtype != np.float16 and np.result_type(a, b).kind in "biu":
        out = out.astype(_dtype._Default.float.np)
    return out


# *** binary arithmetic ***

@primitive("add", inplace=True, grad_fn="AddBackward0", promote="binary", shapes=BINARY_SHAPES, scalar=True)
def add(input, other, *, alpha=1):
    """input + alpha * other, with broadcasting and torch's type promotion.

    Example::
        >>> ndgrad.add(ndgrad.tensor([1., 2.]), 1, alpha=2)
        tensor([3., 4.])
    """
    return np.add(input, other) if alpha == 1 else np.add(input, np.multiply(other, alpha))


@add.vjp
def _(grad, *, alpha):
    return grad, (grad if alpha == 1 else grad * alpha)


@primitive("sub", inplace=True, grad_fn="SubBackward0", promote="binary", shapes=BINARY_SHAPES, scalar=True)
def sub(input, other, *, alpha=1):
    """input - alpha * other.

    Example::
        >>> ndgrad.sub(ndgrad.tensor([3.]), ndgrad.tensor([1.]))
        tensor([2.])
    """
    return np.subtract(input, other) if alpha == 1 else np.subtract(input, np.multiply(other, alpha))


@sub.vjp
def _(grad, *, alpha):
    return grad, (-grad if alpha == 1 else grad * -alpha)


@primitive("rsub", grad_fn="RsubBackward0", export=False, promote="binary", shapes=BINARY_SHAPES)
def _rsub_tensor(input, other, *, alpha=1):
    return np.subtract(other, input if alpha == 1 else np.multiply(input, alpha))


@_rsub_tensor.vjp
def _(grad, *, alpha):
    return (-grad if alpha == 1 else grad * -alpha), grad


@primitive("rsub_scalar", grad_fn="RsubBackward1", export=False, promote="scalar", shapes=UNARY_SHAPES,
           attrs={"other": 2.5}, torch_fn=lambda torch, x, other, alpha=1: torch.rsub(x, other))
def _rsub_scalar(input, *, other, alpha=1):
    return np.subtract(other, input if alpha == 1 else np.multiply(input, alpha)).astype(
        input.dtype, copy=False)


@_rsub_scalar.vjp
def _(grad, *, other, alpha):
    return -grad if alpha == 1 else grad * -alpha


@composite("rsub")
def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """other - alpha * input.

    Example::
        >>> ndgrad.rsub(ndgrad.tensor([1.]), 3)
        tensor([2.])
    """
    if isinstance(other, Tensor):
        return _rsub_tensor.public(input, other, alpha=alpha)
    return _rsub_scalar.public(input, other=other, alpha=alpha)


@primitive("mul", inplace=True, grad_fn="MulBackward0", promote="binary", shapes=BINARY_SHAPES, scalar=True)
def mul(input, other):
    """input * other.

    Example::
        >>> ndgrad.mul(ndgrad.tensor([1., 2.]), 3)
        tensor([3., 6.])
    """
    return np.multiply(input, other)


@mul.vjp
def _(grad, input, other, needs_input_grad):
    return (grad * other if needs_input_grad[0] else None,
            grad * input if needs_input_grad[1] else None)


@primitive("div", inplace=True, grad_fn="DivBackward0", promote="binary", shapes=BINARY_SHAPES, scalar=True,
           domain=(0.5, 2.0))
def div(input, other):
    """input / other; integer inputs give the default float dtype.

    Example::
        >>> ndgrad.div(ndgrad.tensor([1, 2]), 2)
        tensor([0.5000, 1.0000])
    """
    return _true_div(input, other)


@div.vjp
def _(grad, input, other, needs_input_grad):
    return (grad / other if needs_input_grad[0] else None,
            -grad * input / (other * other) if needs_input_grad[1] else None)


# *** powers ***

@primitive("pow", grad_fn="PowBackward0", export=False, promote="scalar", shapes=UNARY_SHAPES,
           attrs={"exponent": 3.0}, domain=(0.5, 2.0))
def _pow_scalar(input, *, exponent):
    return np.power(input, exponent)


@_pow_scalar.vjp
def _(grad, input, *, exponent):
    # d/dx x^e = e x^(e-1); torch defines the gradient of x^0 as 0 everywhere
    if exponent == 0:
        return grad * 0
    return grad * (input ** (exponent - 1) * exponent)


@primitive("pow_tensor", grad_fn="PowBackward1", export=False, promote="binary",
           shapes=BINARY_SHAPES, domain=(0.5, 2.0), torch_fn=lambda torch, x, e: torch.pow(x, e))
def _pow_tensor(input, exponent):
    return np.power(input, exponent)


@_pow_tensor.vjp
def _(grad, input, exponent, result, needs_input_grad):
    gi = grad * (exponent * input ** (exponent - 1)) if needs_input_grad[0] else None
    ge = None
    if needs_input_grad[1]:
        # d/de x^e = x^e log x; torch takes 0 where x == 0 and e >= 0
        safe = where((input == 0) & (exponent >= 0), 0.0, result * log(input))
        ge = grad * safe
    return gi, ge


@primitive("pow_scalar_base", grad_fn="PowBackward2", export=False, promote="scalar", shapes=UNARY_SHAPES,
           attrs={"base": 2.5}, torch_fn=lambda torch, x, base: torch.pow(base, x))
def _pow_scalar_base(input, *, base):
    return np.power(np.asarray(base, dtype=input.dtype), input)


@_pow_scalar_base.vjp
def _(grad, result, *, base):
    if base == 0:
        return grad * where(result == 0, 0.0, result * float("-inf"))
    return grad * (result * float(np.log(base)))


@composite("pow", inplace=True)
def pow(input, exponent) -> Tensor:
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


@composite("square", inplace=True)
def square(input: Tensor) -> Tensor:
    """input ** 2 (recorded as PowBackward0, as torch does)."""
    return _pow_scalar.public(input, exponent=2)


# *** unary math ***

@primitive("neg", inplace=True, grad_fn="NegBackward0", promote="same", shapes=UNARY_SHAPES)
def neg(input):
    """-input."""
    return np.negative(input)


@neg.vjp
def _(grad):
    return -grad


@primitive("exp", inplace=True, grad_fn="ExpBackward0", promote="float", shapes=UNARY_SHAPES)
def exp(input):
    """e ** input."""
    return np.exp(input)


@exp.vjp
def _(grad, result):
    return grad * result


@primitive("log", inplace=True, grad_fn="LogBackward0", promote="float", shapes=UNARY_SHAPES, domain=(0.5, 3.0))
def log(input):
    """Natural logarithm."""
    return np.log(input)


@log.vjp
def _(grad, input):
    return grad / input


@primitive("sqrt", inplace=True, grad_fn="SqrtBackward0", promote="float", shapes=UNARY_SHAPES,
           domain=(0.5, 3.0))
def sqrt(input):
    """Square root."""
    return np.sqrt(input)


@sqrt.vjp
def _(grad, result):
    return grad / (result * 2)


@primitive("reciprocal", inplace=True, grad_fn="ReciprocalBackward0", promote="float", shapes=UNARY_SHAPES,
           domain=(0.5, 2.0))
def reciprocal(input):
    """1 / input."""
    return np.reciprocal(input)


@reciprocal.vjp
def _(grad, result):
    return grad * -(result * result)


@primitive("abs", inplace=True, grad_fn="AbsBackward0", promote="same", shapes=UNARY_SHAPES, kinks=(0.0,))
def abs(input):
    """|input|."""
    return np.abs(input)


@abs.vjp
def _(grad, input):
    return grad * sign(input)


@primitive("sign", inplace=True, differentiable=False, promote="same", shapes=UNARY_SHAPES)
def sign(input):
    """-1, 0 or 1 by the sign of input (no gradient flows through sign)."""
    return np.sign(input)


@primitive("sigmoid", inplace=True, grad_fn="SigmoidBackward0", promote="float", shapes=UNARY_SHAPES)
def sigmoid(input):
    """1 / (1 + exp(-input)), computed without overflow."""
    e = np.exp(-np.abs(input))
    return np.where(input >= 0, 1 / (1 + e), e / (1 + e)).astype(input.dtype, copy=False)


@sigmoid.vjp
def _(grad, result):
    return grad * (result * (1 - result))  # σ' = σ(1 - σ)


@primitive("tanh", inplace=True, grad_fn="TanhBackward0", promote="float", shapes=UNARY_SHAPES)
def tanh(input):
    """Hyperbolic tangent."""
    return np.tanh(input)


@tanh.vjp
def _(grad, result):
    return grad * (1 - result * result)  # tanh' = 1 - tanh²


@primitive("relu", inplace=True, grad_fn="ReluBackward0", promote="same", shapes=UNARY_SHAPES, kinks=(0.0,))
def relu(input):
    """max(input, 0)."""
    return np.maximum(input, 0).astype(input.dtype, copy=False)


@relu.vjp
def _(grad, result):
    return grad * (result > 0)  # NOTE: gradient 0 at 0, as torch's threshold_backward


# *** selection ***

def _where_prep_value(x, dt):
    return x._data.astype(dt, copy=False) if isinstance(x, Tensor) else np.asarray(x, dtype=dt)


@primitive("where", grad_fn="WhereBackward0", export=False, inputs=("condition", "input", "other"),
           samples=[(((2, 3), (2, 3), (2, 3)), {}), (((2, 3), (3,), (2, 1)), {})],
           bool_inputs=("condition",), torch_fn=lambda torch, c, x, y: torch.where(c, x, y))
def _where(condition, input, other):
    return np.where(condition, input, other)


@_where.vjp
def _(grad, condition, needs_input_grad):
    return (None,
            where(condition, grad, 0.0) if needs_input_grad[1] else None,
            where(condition, 0.0, grad) if needs_input_grad[2] else None)


@composite("where", method=False)
def where(condition: Tensor, input=None, other=None):
    """Elementwise `input if condition else other`; either branch may be a Python number.

    Example::
        >>> ndgrad.where(ndgrad.tensor([True, False]), ndgrad.tensor([1., 2.]), 0.0)
        tensor([1., 0.])
    """
    if input is None and other is None:
        from .shape import nonzero

        return nonzero(condition, as_tuple=True)
    from ._registry import result_dtype

    if isinstance(input, Tensor) or isinstance(other, Tensor):
        dt = result_dtype(input, other)
    else:
        dt = result_dtype(Tensor._make(np.asarray(input)), other)
        if isinstance(input, float):
            dt = _dtype._Default.float.np
    if isinstance(input, Tensor) and input._data.dtype != dt:
        input = input.to(_dtype.from_numpy_dtype(dt))
    if isinstance(other, Tensor) and other._data.dtype != dt:
        other = other.to(_dtype.from_numpy_dtype(dt))
    if not isinstance(input, Tensor):
        input = Tensor._make(np.asarray(input, dtype=dt))
    if not isinstance(other, Tensor):
        other = Tensor._make(np.asarray(other, dtype=dt))
    cond = condition if isinstance(condition, Tensor) else Tensor._make(np.asarray(condition))
    if cond._data.dtype != np.bool_:
        cond = Tensor._make(cond._data.astype(bool))
    return _where.public(cond, input, other)


# *** comparisons and logic (no gradient) ***

@primitive("eq", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def eq(input, other):
    """input == other, elementwise (bool)."""
    return np.equal(input, other)


@primitive("ne", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def ne(input, other):
    """input != other, elementwise (bool)."""
    return np.not_equal(input, other)


@primitive("lt", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def lt(input, other):
    """input < other, elementwise (bool)."""
    return np.less(input, other)


@primitive("le", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def le(input, other):
    """input <= other, elementwise (bool)."""
    return np.less_equal(input, other)


@primitive("gt", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def gt(input, other):
    """input > other, elementwise (bool)."""
    return np.greater(input, other)


@primitive("ge", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def ge(input, other):
    """input >= other, elementwise (bool)."""
    return np.greater_equal(input, other)


@primitive("logical_and", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def logical_and(input, other):
    return np.logical_and(input, other)


@primitive("logical_or", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def logical_or(input, other):
    return np.logical_or(input, other)


@primitive("logical_xor", differentiable=False, promote="binary", shapes=BINARY_SHAPES)
def logical_xor(input, other):
    return np.logical_xor(input, other)


@primitive("logical_not", differentiable=False, promote="same", shapes=UNARY_SHAPES)
def logical_not(input):
    return np.logical_not(input)


@primitive("bitwise_and", differentiable=False, promote="binary", shapes=BINARY_SHAPES[:3], int_inputs={"input": (0, 8), "other": (0, 8)})
def bitwise_and(input, other):
    return np.bitwise_and(input, other)


@primitive("bitwise_or", differentiable=False, promote="binary", shapes=BINARY_SHAPES[:3], int_inputs={"input": (0, 8), "other": (0, 8)})
def bitwise_or(input, other):
    return np.bitwise_or(input, other)


@primitive("bitwise_xor", differentiable=False, promote="binary", shapes=BINARY_SHAPES[:3], int_inputs={"input": (0, 8), "other": (0, 8)})
def bitwise_xor(input, other):
    return np.bitwise_xor(input, other)


@primitive("bitwise_not", differentiable=False, promote="same", shapes=UNARY_SHAPES,
           int_inputs={"input": (0, 8)})
def bitwise_not(input):
    return np.invert(input)


@primitive("floor_divide", inplace=True, differentiable=False, promote="binary",
           shapes=BINARY_SHAPES, domain=(0.5, 3.0))
def floor_divide(input, other):
    """Division rounded down (no gradient)."""
    return np.floor_divide(input, other)


@primitive("remainder", inplace=True, grad_fn="RemainderBackward1", promote="binary",
           shapes=BINARY_SHAPES, domain={"input": (0.1, 0.9), "other": (1.1, 2.0)})
def remainder(input, other):
    """Python-style modulus: the result has the sign of other."""
    return np.mod(input, other)


@remainder.vjp
def _(grad, input, other, needs_input_grad):
    return grad, (-grad * floor_divide(input, other) if needs_input_grad[1] else None)


# *** copies ***

@primitive("_to_copy", grad_fn="ToCopyBackward0", export=False, shapes=UNARY_SHAPES,
           attrs={"dtype": _dtype.float64},
           torch_fn=lambda torch, x, dtype: x.to(torch.float64, copy=True))
def _to_copy(input, *, dtype):
    return input.astype(dtype.np)


@_to_copy.vjp
def _(grad, input_dtype, *, dtype):
    return grad.to(input_dtype)


@primitive("clone", grad_fn="CloneBackward0", shapes=UNARY_SHAPES)
def clone(input, *, memory_format=None):
    """A copy of input that stays in the graph.

    Example::
        >>> ndgrad.tensor([1., 2.]).clone()
        tensor([1., 2.])
    """
    return np.array(input, copy=True, order="K")


@clone.vjp
def _(grad, *, memory_format):
    return grad


@composite("contiguous", export=False)
def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """self if already C-contiguous, else a contiguous copy (CloneBackward0)."""
    return input if input._data.flags.c_contiguous else clone(input)
