"""nn ops whose nodes users see by name (GeluBackward0, EluBackward0, ...): activations here;
softmax/attention, distances, normalization and losses in nn_softmax.py, nn_distance.py,
nn_norm.py and nn_loss.py. Forwards on arrays, VJPs in differentiable ops."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import composite, primitive
from .pointwise import where
from .reduction import _float_mean

_REDUCTIONS = ("none", "mean", "sum")
UNARY = [(), (3,), (2, 3)]


def _fn(name: str):
    """torch_fn for the op table: torch.nn.functional.<name>(*inputs, **attrs)."""
    return lambda torch, *a, **k: getattr(torch.nn.functional, name)(*a, **k)


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        if loss.size and loss.dtype.kind == "f" and loss.dtype.itemsize >= 4:
            return _float_mean(loss, None, False)  # mean() without its Python wrapper's cost
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _reduce_grad(grad: Tensor, input: Tensor, reduction: str) -> Tensor:
    """The cotangent of the unreduced loss, for reduction's grad."""
    return grad / input._data.size if reduction == "mean" else grad


def _wrap(dim: int, ndim: int) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
         "bool": "Bool"}


def _kernel_dtype(x: np.ndarray, kernel: str) -> None:
    """torch's refusal of an integer input by a floating-point-only CPU kernel."""
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_TYPE.get(x.dtype.name, x.dtype.name)}'")


def _plain(g) -> Tensor:
    """A gradient computed on arrays, for a backward that records nothing (see _elu_grad)."""
    return Tensor._make(np.asarray(g))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


# *** activations ***

@primitive("hardtanh", grad_fn="HardtanhBackward0", export=False, domain=(-3.0, 8.0),
           kinks=(-1.0, 0.0, 1.0, 6.0), torch_fn=_fn("hardtanh"),
           samples=[((3,), {}), ((2, 3), {"min_val": 0.0, "max_val": 6.0}), ((), {})])
def hardtanh(input, min_val=-1.0, max_val=1.0):
    """min(max(input, min_val), max_val); relu6 is hardtanh(input, 0, 6)."""
    return np.clip(input, min_val, max_val).astype(input.dtype, copy=False)


@hardtanh.vjp
def _(grad, input, *, min_val, max_val):
    if not STATE.enabled:
        x = input._data
        return _plain(grad._data * ((x > min_val) & (x < max_val)))
    return grad * ((input > min_val) & (input < max_val))  # 0 on the boundaries, as torch


@primitive("leaky_relu", grad_fn="LeakyReluBackward0", export=False, kinks=(0.0,),
           shapes=UNARY, attrs={"negative_slope": 0.1}, torch_fn=_fn("leaky_relu"))
def leaky_relu(input, negative_slope=0.01):
    """input where positive, negative_slope * input elsewhere."""
    _kernel_dtype(input, "leaky_relu_cpu")
    return np.where(input > 0, input, input * negative_slope)


@leaky_relu.vjp
def _(grad, input, *, negative_slope):
    if not STATE.enabled:
        return _plain(np.where(input._data > 0, grad._data, grad._data * negative_slope))
    return where(input > 0, grad, grad * negative_slope)


@primitive("leaky_relu_", grad_fn="LeakyReluBackward1", export=False, kinks=(0.0,),
           shapes=UNARY, attrs={"negative_slope": 0.1},
           torch_fn=lambda torch, x, **k: torch.nn.functional.leaky_relu(x * 1, inplace=True, **k))
def leaky_relu_(input, negative_slope=0.01):
    """Out-of-place body of F.leaky_relu(inplace=True): its node reads the result, not input."""
    _kernel_dtype(input, "leaky_relu_cpu")
    return np.where(input > 0, input, input * negative_slope)


@leaky_relu_.vjp
def _(grad, result, *, negative_slope):
    if negative_slope < 0:  # the result no longer tells which side of 0 the input was on
        raise RuntimeError(
            "In-place leakyReLu backward calculation is triggered with a negative slope which is "
            "not supported. This is caused by calling in-place forward function with a negative "
            "slope, please call out-of-place version instead. File an issue at "
            "https://github.com/pytorch/pytorch if you do require supporting in-place leakRelu "
            "backward calculation with negative slope")
    if not STATE.enabled:
        return _plain(np.where(result._data > 0, grad._data, grad._data * negative_slope))
    return where(result > 0, grad, grad * negative_slope)


def _elu(x: np.ndarray, alpha: float, scale: float, input_scale: float) -> np.ndarray:
    return np.where(x > 0, x * scale, np.expm1(x * input_scale) * (alpha * scale))


_ELU_INPLACE_NEGATIVE = (
    "In-place elu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, "
    "please call out-of-place version instead.")


def _elu_grad(grad: Tensor, mask: Tensor, result: Tensor, alpha, scale, input_scale) -> Tensor:
    # x <= 0: d/dx a s (exp(x i) - 1) = i (result + a s), which cannot overflow like exp(x i).
    # NOTE: a plain backward (nothing recorded: create_graph=False) takes one NumPy expression;
    # with create_graph the same formula is built from differentiable ops. Several rules in
    # this file have that shape.
    if not STATE.enabled:
        g, r = grad._data, result._data
        return _plain(np.where(mask._data, g * scale, g * ((r + alpha * scale) * input_scale)))
    return where(mask, grad * scale, grad * ((result + alpha * scale) * input_scale))


_ELU_SAMPLES = [((3,), {}), ((2, 3), {"alpha": 0.5, "scale": 2.0, "input_scale": 1.5}), ((), {})]
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@primitive("elu", grad_fn="EluBackward0", export=False, kinks=(0.0,), samples=_ELU_SAMPLES,
           torch_fn=lambda torch, x, **k: torch._C._nn.elu(x, **k))
def elu(input, alpha=1.0, scale=1.0, input_scale=1.0):
    """scale * (input if input > 0 else alpha * (exp(input * input_scale) - 1)); selu is one."""
    _kernel_dtype(input, "elu_cpu")
    return _elu(input, alpha, scale, input_scale)


@elu.vjp
def _(grad, input, result, *, alpha, scale, input_scale):
    return _elu_grad(grad, input > 0, result, alpha, scale, input_scale)


@primitive("elu_", grad_fn="EluBackward1", export=False, kinks=(0.0,), samples=_ELU_SAMPLES,
           torch_fn=lambda torch, x, **k: torch._C._nn.elu_(x * 1, **k))
def elu_(input, alpha=1.0, scale=1.0, input_scale=1.0):
    """Out-of-place body of in-place elu/selu (node EluBackward1 reads the result)."""
    _kernel_dtype(input, "elu_cpu")
    return _elu(input, alpha, scale, input_scale)


@elu_.vjp
def _(grad, result, *, alpha, scale, input_scale):
    if alpha * scale < 0:
        raise RuntimeError(_ELU_INPLACE_NEGATIVE)
    return _elu_grad(grad, result > 0, result, alpha, scale, input_scale)


@primitive("celu", grad_fn="CeluBackward0", export=False, kinks=(0.0,), shapes=UNARY,
           attrs={"alpha": 0.7}, torch_fn=lambda torch, x, alpha: torch.celu(x, alpha))
def celu(input, alpha=1.0):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    _kernel_dtype(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, alpha, 1.0, 1.0 / alpha)


@celu.vjp
def _(grad, input, result, *, alpha):
    return _elu_grad(grad, input > 0, result, alpha, 1.0, 1.0 / alpha)


@primitive("celu_", grad_fn="CeluBackward1", export=False, kinks=(0.0,), shapes=UNARY,
           attrs={"alpha": 0.7}, torch_fn=lambda torch, x, alpha: torch.celu_(x * 1, alpha))
def celu_(input, alpha=1.0):
    """Out-of-place body of in-place celu (node CeluBackward1 reads the result)."""
    _kernel_dtype(input, "elu_cpu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, alpha, 1.0, 1.0 / alpha)


@celu_.vjp
def _(grad, result, *, alpha):
    if alpha < 0:
        raise RuntimeError(_ELU_INPLACE_NEGATIVE)
    return _elu_grad(grad, result > 0, result, alpha, 1.0, 1.0 / alpha)


_K_TANH = math.sqrt(2.0 / math.pi)  # gelu tanh approximation: tanh(k (x + c x³))
_C_TANH = 0.044715
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _check_approximate(approximate: str) -> None:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")


@primitive("gelu", grad_fn="GeluBackward0", export=False, torch_fn=_fn("gelu"),
           samples=[((3,), {}), ((2, 3), {"approximate": "tanh"}), ((), {})])
def gelu(input, approximate="none"):
    """x Φ(x), or its tanh approximation 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))."""
    _check_approximate(approximate)
    _kernel_dtype(input, "GeluKernelImpl")
    if approximate == "tanh":
        return 0.5 * input * (1 + np.tanh(_K_TANH * (input + _C_TANH * input * input * input)))
    from scipy.special import erf

    return input * 0.5 * (1 + erf(input * math.sqrt(0.5)))


@gelu.vjp
def _(grad, input, *, approximate):
    return gelu_backward(grad, input, approximate=approximate)


def _gelu_slope(x: np.ndarray, approximate: str) -> np.ndarray:
    if approximate == "tanh":
        t = np.tanh(_K_TANH * (x + _C_TANH * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_K_TANH * (1 + 3 * _C_TANH * x * x))
    from scipy.special import erf

    return 0.5 * (1 + erf(x * math.sqrt(0.5))) + x * np.exp(-0.5 * x * x) * _INV_SQRT_2PI


def _gelu_curvature(x: Tensor, approximate: str) -> Tensor:
    """gelu''(x) in differentiable ops."""
    x2 = x * x
    if approximate == "tanh":  # (1 - t²)(u' + x/2 (u'' - 2 t u'²)) with u = k (x + c x³)
        t = (_K_TANH * (x + _C_TANH * x2 * x)).tanh()
        du = _K_TANH * (1 + 3 * _C_TANH * x2)
        return (1 - t * t) * (du + 0.5 * x * (6 * _K_TANH * _C_TANH * x - 2 * t * du * du))
    return (x2 * -0.5).exp() * _INV_SQRT_2PI * (2 - x2)  # φ(x)(2 - x²)


@primitive("gelu_backward", grad_fn="GeluBackwardBackward0", export=False,
           inputs=("grad_output", "input"),
           samples=[(((3,), (3,)), {}), (((2, 3), (2, 3)), {"approximate": "tanh"})],
           torch_fn=lambda torch, g, x, approximate="none": torch.ops.aten.gelu_backward(
               g, x, approximate=approximate))
def gelu_backward(grad_output, input, *, approximate="none"):
    return (grad_output * _gelu_slope(input, approximate)).astype(input.dtype, copy=False)


@gelu_backward.vjp
def _(grad, grad_output, input, needs_input_grad, *, approximate):
    return (gelu_backward(grad, input, approximate=approximate) if needs_input_grad[0] else None,
            grad * grad_output * _gelu_curvature(input, approximate) if needs_input_grad[1]
            else None)


@primitive("silu", grad_fn="SiluBackward0", export=False, shapes=UNARY, torch_fn=_fn("silu"),
           complex="holomorphic", complex_skips=("torch", "jvp_torch"))  # torch: no complex AD
def silu(input):
    """input * sigmoid(input); complex input as torch's kernel, input / (1 + exp(-input))
    (F.silu refuses complex input that requires grad, as torch; the rule holds for it anyway)."""
    if input.dtype.kind == "c" and input.dtype.itemsize > 4:
        with np.errstate(all="ignore"):
            return input / (1 + np.exp(-input))
    _kernel_dtype(input, "silu_cpu")
    return input * _sigmoid(input)


@silu.vjp
def _(grad, input):
    if not STATE.enabled and input._data.dtype.kind == "f":
        x = input._data
        sx = _sigmoid(x)
        return _plain(grad._data * (sx * (1 + x * (1 - sx))))
    s = input.sigmoid()
    return grad * (s * (1 + input * (1 - s)))


@primitive("mish", grad_fn="MishBackward0", export=False, shapes=UNARY, torch_fn=_fn("mish"))
def mish(input):
    """input * tanh(softplus(input))."""
    _kernel_dtype(input, "mish_cpu")
    return input * np.tanh(np.log1p(np.exp(input)))


@mish.vjp
def _(grad, input):
    if not STATE.enabled:
        x = input._data
        tx = np.tanh(np.log1p(np.exp(x)))
        return _plain(grad._data * (tx + x * _sigmoid(x) * (1 - tx * tx)))
    t = softplus(input).tanh()
    return grad * (t + input * input.sigmoid() * (1 - t * t))


@primitive("softplus", grad_fn="SoftplusBackward0", export=False, kinks=(0.5,),
           torch_fn=_fn("softplus"),
           samples=[((3,), {}), ((2, 3), {"beta": 2.0, "threshold": 1.0}), ((), {})])
def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, or x where beta x > threshold."""
    _kernel_dtype(input, "softplus_cpu")
    bx = input * beta
    return np.where(bx > threshold, input, np.log1p(np.exp(bx)) / beta)


@softplus.vjp
def _(grad, input, *, beta, threshold):
    if not STATE.enabled:
        b = input._data * beta
        return _plain(np.where(b > threshold, grad._data, grad._data * _sigmoid(b)))
    bx = input * beta
    return where(bx > threshold, grad, grad * bx.sigmoid())


@primitive("hardsigmoid", grad_fn="HardsigmoidBackward0", export=False, domain=(-5.0, 5.0),
           kinks=(-3.0, 3.0), shapes=UNARY, torch_fn=_fn("hardsigmoid"))
def hardsigmoid(input):
    """min(max(x + 3, 0), 6) / 6."""
    _kernel_dtype(input, "hardsigmoid_cpu")
    return np.clip(input + 3, 0, 6) / 6


@hardsigmoid.vjp
def _(grad, input):
    return grad * ((input > -3) & (input < 3)) / 6


@primitive("hardswish", grad_fn="HardswishBackward0", export=False, domain=(-5.0, 5.0),
           kinks=(-3.0, 3.0), shapes=UNARY, torch_fn=_fn("hardswish"))
def hardswish(input):
    """x * min(max(x + 3, 0), 6) / 6."""
    _kernel_dtype(input, "hardswish_cpu")
    return input * np.clip(input + 3, 0, 6) / 6


@hardswish.vjp
def _(grad, input):
    if not STATE.enabled:
        x, g = input._data, grad._data
        return _plain(np.where(x < -3, 0, np.where(x <= 3, g * (x / 3 + 0.5), g)).astype(g.dtype))
    return where(input < -3, 0.0, where(input <= 3, grad * (input / 3 + 0.5), grad))


@primitive("log_sigmoid", grad_fn="LogSigmoidBackward0", export=False, shapes=UNARY,
           torch_fn=_fn("logsigmoid"))
def log_sigmoid(input):
    """log(sigmoid(input)), computed without overflow."""
    _kernel_dtype(input, "log_sigmoid_cpu")
    return _log_sigmoid(input)


@log_sigmoid.vjp
def _(grad, input):
    if not STATE.enabled:
        return _plain(grad._data * _sigmoid(-input._data))
    return grad * (-input).sigmoid()  # d/dx log σ(x) = σ(-x)


def _check_lambd(lambd: float) -> None:
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")


@primitive("softshrink", grad_fn="SoftshrinkBackward0", export=False, kinks=(-0.5, 0.5),
           shapes=UNARY, torch_fn=_fn("softshrink"))
def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _kernel_dtype(input, "softshrink_check")
    _check_lambd(lambd)
    inside = (input >= -lambd) & (input <= lambd)  # NaN is outside: it propagates, as torch
    return np.where(inside, 0, np.where(input > 0, input - lambd, input + lambd))


def _shrink_grad_mask(input: Tensor, lambd: float) -> Tensor:
    """Where a shrink passes the gradient: outside [-lambd, lambd]. At NaN torch's kernel differs
    by position: its vector loop (64-byte chunks of the flat tensor, on every CPU capability)
    compares and gives 0, its scalar loop for the leftover tail passes the gradient."""
    a = input._data
    outside = ~((a >= -lambd) & (a <= lambd))
    nan = np.isnan(a)
    if nan.any():  # the position index is built only when there is a NaN to place
        chunk = 64 // a.itemsize
        outside &= ~(nan & (np.arange(a.size).reshape(a.shape) < a.size // chunk * chunk))
    return Tensor._make(outside)


@softshrink.vjp
def _(grad, input, *, lambd):
    return grad * _shrink_grad_mask(input, lambd)


@primitive("hardshrink", grad_fn="HardshrinkBackward0", kinks=(-0.5, 0.5), shapes=UNARY)
def hardshrink(input, lambd=0.5):
    """input where |input| > lambd, else 0.

    Example::
        >>> ndgrad.hardshrink(ndgrad.tensor([-1., 0.2, 0.7]))
        tensor([-1.0000,  0.0000,  0.7000])
    """
    _kernel_dtype(input, "hardshrink_cpu")
    return np.where((input >= -lambd) & (input <= lambd), 0, input)


@hardshrink.vjp
def _(grad, input, *, lambd):
    return grad * _shrink_grad_mask(input, lambd)


@primitive("threshold", grad_fn="ThresholdBackward0", method=False, inputs=("input",),
           kinks=(0.1,), shapes=UNARY, attrs={"threshold": 0.1, "value": 2.0})
def threshold(input, threshold, value):
    """value where input <= threshold, else input.

    Example::
        >>> ndgrad.threshold(ndgrad.tensor([-1., 2.]), 0.0, 5.0)
        tensor([5., 2.])
    """
    return np.where(input <= threshold, value, input).astype(input.dtype, copy=False)


@threshold.vjp
def _(grad, input, *, threshold, value):
    return where(input <= threshold, 0.0, grad)


@primitive("threshold_", grad_fn="ThresholdBackward1", export=False, inputs=("input",),
           kinks=(0.1,), shapes=UNARY, attrs={"threshold": 0.1, "value": 2.0},
           torch_fn=lambda torch, x, **k: torch.threshold_(x * 1, **k))
def threshold_(input, threshold, value):
    """Out-of-place body of in-place threshold (node ThresholdBackward1 saves the original
    input, as torch: the result cannot tell replaced values when value > threshold)."""
    return np.where(input <= threshold, value, input).astype(input.dtype, copy=False)


@threshold_.vjp
def _(grad, input, *, threshold, value):
    return where(input <= threshold, 0.0, grad)


@primitive("glu", grad_fn="GluBackward0", export=False, torch_fn=_fn("glu"),
           samples=[((4,), {}), ((2, 4), {"dim": 0}), ((2, 3, 2), {"dim": -1})])
def glu(input, dim=-1):
    """a * sigmoid(b), with a and b the two halves of input along dim."""
    _kernel_dtype(input, "glu_cpu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap(dim, input.ndim)
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    a, b = np.split(input, 2, axis=d)
    return a * _sigmoid(b)


@glu.vjp
def _(grad, input, *, dim):
    d = _wrap(dim, input.ndim)
    n = input._data.shape[d] // 2
    lead = (slice(None),) * d
    a, b = input[lead + (slice(0, n),)], input[lead + (slice(n, None),)]
    sb = b.sigmoid()
    after = [0, 0] * (input.ndim - 1 - d)
    # the two half-gradients, each padded with zeros to input's shape along dim
    return (constant_pad_nd(grad * sb, after + [0, n])
            + constant_pad_nd(grad * a * sb * (1 - sb), after + [n, 0]))


@primitive("_prelu_kernel", grad_fn="PreluKernelBackward0", export=False, kinks=(0.0,),
           samples=[(((2, 3), (3,)), {}), (((2, 3, 2), (3, 1)), {}), (((3,), ()), {})])
def _prelu_kernel(input, weight):
    _kernel_dtype(input, "prelu_cpu")
    return np.where(input > 0, input, weight * input)


@_prelu_kernel.vjp
def _(grad, input, weight, needs_input_grad):
    pos = input > 0
    return (where(pos, grad, grad * weight) if needs_input_grad[0] else None,
            where(pos, 0.0, grad * input) if needs_input_grad[1] else None)


@composite("prelu", samples=[(((2, 3, 2), (3,)), {}), (((2, 3), (1,)), {}), (((3,), ()), {}),
                             (((), (1,)), {}), (((), ()), {})],
           kinks=(0.0,))
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), weight per channel (dim 1) or shared.

    Example::
        >>> ndgrad.prelu(ndgrad.tensor([-2., 3.]), ndgrad.tensor(0.25))
        tensor([-0.5000,  3.0000])
    """
    n = weight.numel()
    if n != 1:  # a single weight is shared by every element, whatever input's rank (0-d too)
        if input.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = input.shape[1] if input.ndim > 1 else 1
        if channels != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{weight.ndim}")
    if weight.ndim != input.ndim:  # as torch: weight viewed with input's rank, channels on dim 1
        weight = weight.reshape(tuple(n if i == 1 else 1 for i in range(input.ndim)))
    return _prelu_kernel(input, weight)


# the other nn op families (imported last: they build on the helpers above)
from . import nn_distance, nn_loss, nn_norm, nn_softmax  # noqa: E402,F401  (registration)
from .nn_distance import (  # noqa: E402,F401  (public: torch.cdist, torch.cosine_similarity...)
    _clamp_min, _div_scalar, _norm, _norm_np, cdist, cosine_similarity, pairwise_distance,
)
from .nn_norm import _check_indices, _pad_pairs, constant_pad_nd, embedding  # noqa: E402,F401
from .nn_softmax import log_softmax, softmax  # noqa: E402,F401
