"""Number representation and integer arithmetic: frexp, ldexp, nextafter, signbit, isposinf /
isneginf, heaviside, gcd / lcm, bitwise shifts, deg2rad / rad2deg, positive."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ._registry import call, composite, primitive
from .pointwise import BINARY_SHAPES, FEW_BINARY_SHAPES, UNARY_SHAPES, _not_for, _zeros
from .sorting import return_types

_LN2 = math.log(2.0)


def named_pair(name: str, first: str, second: str) -> type:
    """A torch.return_types.<name>: a 2-tuple whose fields also have names."""
    def rep(self: tuple) -> str:
        return f"torch.return_types.{name}(\n{first}={self[0]!r},\n{second}={self[1]!r})"

    cls = type(name, (tuple,), {"__slots__": (), "__module__": "ndgrad.return_types",
                                "n_fields": 2, "n_sequence_fields": 2, "__repr__": rep,
                                first: property(lambda self: self[0]),
                                second: property(lambda self: self[1])})
    setattr(return_types, name, cls)
    return cls


_Frexp = named_pair("frexp", "mantissa", "exponent")


# *** floating-point representation ***

@primitive("frexp", grad_fn="FrexpBackward0", export=False, n_outputs=2, inputs=("input",),
           samples=[((3, 2), {}), ((), {})], torch_fn=lambda torch, x: tuple(torch.frexp(x)))
def _frexp(input):
    if input.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = np.frexp(input)
    return mantissa, exponent.astype(np.int32)


@_frexp.vjp
def _(grads, result1):
    return grads[0] * (2.0 ** -result1.double()).to(grads[0].dtype)  # mantissa = x / 2**e


@composite("frexp")
def frexp(input: Tensor) -> Any:
    """Split input into mantissa in [0.5, 1) (signed) and int32 exponent: input = m * 2**e.

    Example::
        >>> ndgrad.frexp(ndgrad.tensor([8.])).exponent
        tensor([4], dtype=torch.int32)
    """
    return _Frexp(call(_frexp, (input,), {}))


def _ldexp_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    dt = _dtype.promote_types(_dtype._FROM_NP[a.dtype], _dtype._FROM_NP[b.dtype]).np
    return dt if dt.kind in "fc" else _dtype._Default.float.np


@primitive("ldexp", complex="holomorphic", inplace=True, grad_fn="LdexpBackward0", samples=[
    (((2, 3), (3,)), {}), (((), (2,)), {})], domain={"other": (-2.0, 2.0)})
def ldexp(input, other):
    """input * 2 ** other (integer inputs give the default float dtype).

    Example::
        >>> ndgrad.ldexp(ndgrad.tensor([1.]), ndgrad.tensor([3]))
        tensor([8.])
    """
    dt = _ldexp_dtype(input, other)
    return np.multiply(input, np.exp2(other.astype(dt)), dtype=dt)


@ldexp.vjp
def _(grad, input, other, result, needs_input_grad):
    return (grad * 2.0 ** other if needs_input_grad[0] else None,
            grad * result * _LN2 if needs_input_grad[1] else None)


@primitive("nextafter", inplace=True, grad_fn="NextafterBackward0", promote="binary",
           shapes=FEW_BINARY_SHAPES)
def nextafter(input, other):
    """The next representable float after input in the direction of other.

    Example::
        >>> ndgrad.nextafter(ndgrad.tensor([1.], dtype=ndgrad.float64), ndgrad.tensor([2.],
        ...     dtype=ndgrad.float64)) - 1
        tensor([2.2204e-16], dtype=torch.float64)
    """
    if input.dtype.kind != "f":
        raise _not_for("nextafter_cpu", input.dtype)
    return np.nextafter(input, other)


@nextafter.vjp
def _(grad, needs_input_grad):
    # torch's rule: the step is treated as the identity in input and constant in other
    return grad, (_zeros(grad) if needs_input_grad[1] else None)


@primitive("signbit", differentiable=False, promote="same", shapes=UNARY_SHAPES)
def signbit(input):
    """True where the sign bit is set (-0.0 and negative NaN included).

    Example::
        >>> ndgrad.signbit(ndgrad.tensor([-0.0, 1.0]))
        tensor([ True, False])
    """
    return np.signbit(input) if input.dtype.kind == "f" else np.less(input, 0)


def _is_inf(input: np.ndarray, value: float) -> np.ndarray:
    if input.dtype.kind != "f":
        return np.zeros(input.shape, np.bool_)
    return np.equal(input, value)


@primitive("isposinf", differentiable=False, promote="same", shapes=UNARY_SHAPES)
def isposinf(input):
    """True where input is +inf.

    Example::
        >>> ndgrad.isposinf(ndgrad.tensor([float("inf"), 1.]))
        tensor([ True, False])
    """
    return _is_inf(input, np.inf)


@primitive("isneginf", differentiable=False, promote="same", shapes=UNARY_SHAPES)
def isneginf(input):
    """True where input is -inf.

    Example::
        >>> ndgrad.isneginf(ndgrad.tensor([-float("inf"), 1.]))
        tensor([ True, False])
    """
    return _is_inf(input, -np.inf)


@primitive("heaviside", inplace=True, grad_fn="NotImplemented", promote="same",
           shapes=FEW_BINARY_SHAPES, nondiff_inputs=("input", "values"))
def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, `values` where input == 0.

    Example::
        >>> ndgrad.heaviside(ndgrad.tensor([-1., 0., 2.]), ndgrad.tensor([0.5]))
        tensor([0.0000, 0.5000, 1.0000])
    """
    if not isinstance(values, np.ndarray):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return np.where(input == 0, values, input > 0).astype(input.dtype)


@heaviside.vjp
def _(grad):
    raise RuntimeError("the derivative for 'heaviside' is not implemented.")


# *** angles ***

_DEG = math.pi / 180.0


@primitive("deg2rad", inplace=True, grad_fn="Deg2RadBackward0", promote="float",
           shapes=UNARY_SHAPES)
def deg2rad(input):
    """Degrees to radians.

    Example::
        >>> ndgrad.deg2rad(ndgrad.tensor([180.]))
        tensor([3.1416])
    """
    return np.multiply(input, np.asarray(_DEG, input.dtype))


@deg2rad.vjp
def _(grad):
    return grad * _DEG


@primitive("rad2deg", inplace=True, grad_fn="Rad2DegBackward0", promote="float",
           shapes=UNARY_SHAPES)
def rad2deg(input):
    """Radians to degrees.

    Example::
        >>> ndgrad.rad2deg(ndgrad.tensor([3.14159265]))
        tensor([180.])
    """
    return np.multiply(input, np.asarray(1.0 / _DEG, input.dtype))


@rad2deg.vjp
def _(grad):
    return grad / _DEG


@composite("positive")
def positive(input: Tensor) -> Tensor:
    """input itself (unary plus); refused for bool tensors, as torch does.

    Example::
        >>> ndgrad.positive(ndgrad.tensor([-1.]))
        tensor([-1.])
    """
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# *** integer arithmetic ***

def _int_only(kernel: str, a: Any, b: Any) -> tuple:
    for x in (a, b):
        if isinstance(x, np.ndarray) and x.dtype.kind not in "iu":
            raise _not_for(kernel, x.dtype)
    return a, b


_INT_SAMPLES = {"shapes": BINARY_SHAPES[:3], "int_inputs": {"input": (-9, 9), "other": (-9, 9)}}


@primitive("gcd", inplace=True, differentiable=False, promote="binary", **_INT_SAMPLES)
def gcd(input, other):
    """Greatest common divisor (non-negative) of integer tensors.

    Example::
        >>> ndgrad.gcd(ndgrad.tensor([-8, 0]), ndgrad.tensor([6, 5]))
        tensor([2, 5])
    """
    return np.gcd(*_int_only("gcd_cpu", input, other))


@primitive("lcm", inplace=True, differentiable=False, promote="binary", **_INT_SAMPLES)
def lcm(input, other):
    """Least common multiple (non-negative) of integer tensors.

    Example::
        >>> ndgrad.lcm(ndgrad.tensor([-8, 3]), ndgrad.tensor([6, 5]))
        tensor([24, 15])
    """
    return np.lcm(*_int_only("lcm_cpu", input, other))


def _shift(input: Any, other: Any, kernel: str, left: bool) -> np.ndarray:
    input, other = _int_only(kernel, np.asarray(input), np.asarray(other))
    dt = input.dtype
    bits = dt.itemsize * 8
    amount = other.astype(np.int64)
    if left:  # torch: shifting by a negative amount or by the width or more gives 0
        bad = (amount < 0) | (amount >= bits)
        out = np.left_shift(input.astype(np.uint64), np.where(bad, 0, amount).astype(np.uint64))
        return np.where(bad, 0, out).astype(dt)
    top = bits - (dt.kind == "i")  # the sign fills the result of too large a right shift
    bad = (amount < 0) | (amount >= top)
    return np.right_shift(input, np.where(bad, top, amount).astype(dt)).astype(dt)


_SHIFT_SAMPLES = {"shapes": BINARY_SHAPES[:3], "int_inputs": {"input": (-9, 9), "other": (0, 9)}}


@primitive("bitwise_left_shift", inplace=True, differentiable=False, promote="binary",
           **_SHIFT_SAMPLES)
def bitwise_left_shift(input, other):
    """input << other for integer tensors (shifts outside [0, bits) give 0).

    Example::
        >>> ndgrad.tensor([1, 3]) << 2
        tensor([ 4, 12])
    """
    return _shift(input, other, "lshift_cpu", True)


@primitive("bitwise_right_shift", inplace=True, differentiable=False, promote="binary",
           **_SHIFT_SAMPLES)
def bitwise_right_shift(input, other):
    """input >> other for integer tensors (arithmetic for signed types).

    Example::
        >>> ndgrad.tensor([-8, 12]) >> 2
        tensor([-2,  3])
    """
    return _shift(input, other, "rshift_cpu", False)
