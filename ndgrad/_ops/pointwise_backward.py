"""The fused backward kernels of pointwise activations, as torch has them (tanh_backward,
sigmoid_backward, threshold_backward): one NumPy pass in backward, and torch's node names in a
double-backward graph (TanhBackwardBackward0 ...). For complex input they conjugate the slope,
as torch's kernels do: tanh_backward(g, y) = g * conj(1 - y²)."""
from __future__ import annotations

import numpy as np

from ._promote import _conj
from ._registry import primitive
from .pointwise import _zeros

_SAME_SIZE_INT = {2: np.int16, 4: np.int32, 8: np.int64}  # a float's bits, by itemsize
_BWD_SAMPLES = [(((3,), (3,)), {}), (((2, 3), (2, 3)), {})]


@primitive("tanh_backward", complex=True, grad_fn="TanhBackwardBackward0", export=False,
           inputs=("grad_output", "output"), samples=_BWD_SAMPLES, domain=(-0.9, 0.9),
           torch_fn=lambda torch, g, y: torch.ops.aten.tanh_backward(g, y))
def tanh_backward(grad_output, output):
    slope = 1 - output * output  # tanh' = 1 - tanh², from the output
    return grad_output * (np.conj(slope) if slope.dtype.kind == "c" else slope)


@tanh_backward.vjp
def _(grad, grad_output, output, needs_input_grad):
    return (tanh_backward(grad, _conj(output)) if needs_input_grad[0] else None,
            _conj(grad) * (-2 * _conj(output) * grad_output) if needs_input_grad[1] else None)


@primitive("sigmoid_backward", complex=True, grad_fn="SigmoidBackwardBackward0",
           export=False,
           inputs=("grad_output", "output"), samples=_BWD_SAMPLES, domain=(0.1, 0.9),
           torch_fn=lambda torch, g, y: torch.ops.aten.sigmoid_backward(g, y))
def sigmoid_backward(grad_output, output):
    if output.dtype.kind == "c":
        return grad_output * np.conj((1 - output) * output)
    return grad_output * (1 - output) * output  # σ' = σ(1 - σ), from the output


@sigmoid_backward.vjp
def _(grad, grad_output, output, needs_input_grad):
    return (sigmoid_backward(grad, _conj(output)) if needs_input_grad[0] else None,
            _conj(grad) * grad_output * (1 - 2 * _conj(output)) if needs_input_grad[1] else None)


@primitive("threshold_backward", grad_fn="ThresholdBackwardBackward0", export=False,
           inputs=("grad_output", "input"), kinks=(0.0, 0.5),
           samples=[(((3,), (3,)), {"threshold": 0.0}), (((2, 3), (2, 3)), {"threshold": 0.5})],
           torch_fn=lambda torch, g, x, threshold: torch.ops.aten.threshold_backward(g, x,
                                                                                      threshold))
def threshold_backward(grad_output, input, *, threshold):
    # 0 where input <= threshold (at the threshold too), grad elsewhere (NaN input included)
    zero = input <= threshold
    bits = _SAME_SIZE_INT.get(grad_output.dtype.itemsize) if grad_output.dtype.kind == "f" else None
    if bits is None or type(zero) is not np.ndarray or zero.shape != grad_output.shape:
        return np.where(zero, np.zeros((), grad_output.dtype), grad_output)
    # branchless (np.where's per-element branch mispredicts on a relu's random mask, 2-3x
    # slower): grad's bits AND a mask of all ones where the gradient passes, so -0.0, NaN and
    # inf gradients pass exactly and the rest become +0.0, as torch's kernel gives
    keep = zero.view(np.int8).astype(bits)
    keep -= 1  # 0 -> all ones (passes), 1 -> 0
    return np.bitwise_and(grad_output.view(bits), keep, out=keep).view(grad_output.dtype)


@threshold_backward.vjp
def _(grad, input, needs_input_grad, *, threshold):
    return (threshold_backward(grad, input, threshold=threshold) if needs_input_grad[0] else None,
            _zeros(input) if needs_input_grad[1] else None)
