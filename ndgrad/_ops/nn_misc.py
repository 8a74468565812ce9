"""nn ops with nodes of their own: randomized leaky ReLU (RreluWithNoiseBackward0/1), channel
shuffle (ChannelShuffleBackward0), pairwise distances within a set (PdistBackward0) and the
time-batch-channel convolution (ConvTbcBackward0)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .join import stack
from .nn import _kernel_dtype, constant_pad_nd
from .pointwise import where

# *** randomized leaky ReLU ***
# The noise (the slope of each element in training, 1 where x > 0) is drawn by the caller from
# the default generator and passed as an array: the op itself is deterministic.

_RRELU = {"lower": 0.125, "upper": 1 / 3, "training": False, "noise": None}


def _rrelu(x: np.ndarray, lower: float, upper: float, training: bool, noise) -> np.ndarray:
    _kernel_dtype(x, "rrelu_with_noise_out_cpu")
    if training:
        return (x * noise).astype(x.dtype, copy=False)
    slope = x.dtype.type((lower + upper) / 2)
    return np.where(x > 0, x, x * slope)


def _rrelu_grad(grad: Tensor, x: Tensor, lower: float, upper: float, training: bool,
                noise) -> Tensor:
    if training and upper - lower > 1e-6:
        return grad * Tensor._make(noise)
    return where(x > 0, grad, grad * ((lower + upper) / 2))


@primitive("rrelu_with_noise", grad_fn="RreluWithNoiseBackward0", export=False, kinks=(0.0,),
           shapes=[(), (3,), (2, 3)], attrs=_RRELU,
           torch_fn=lambda torch, x, **a: torch.nn.functional.rrelu(x, a["lower"], a["upper"]))
def rrelu_with_noise(input, *, lower, upper, training, noise):
    """x where x > 0, else x times its noise (training) or (lower + upper) / 2 (eval)."""
    return _rrelu(input, lower, upper, training, noise)


@rrelu_with_noise.vjp
def _(grad, input, *, lower, upper, training, noise):
    return _rrelu_grad(grad, input, lower, upper, training, noise)


@primitive("rrelu_with_noise_", grad_fn="RreluWithNoiseBackward1", export=False, kinks=(0.0,),
           shapes=[(3,), (2, 3)], attrs=_RRELU,
           torch_fn=lambda torch, x, **a: torch.nn.functional.rrelu(x * 1, a["lower"], a["upper"],
                                                                    inplace=True))
def rrelu_with_noise_(input, *, lower, upper, training, noise):
    """Out-of-place body of rrelu_: its node reads the result (same sign as the input)."""
    return _rrelu(input, lower, upper, training, noise)


@rrelu_with_noise_.vjp
def _(grad, result, *, lower, upper, training, noise):
    return _rrelu_grad(grad, result, lower, upper, training, noise)


# *** channel shuffle ***

@primitive("channel_shuffle", grad_fn="ChannelShuffleBackward0", inputs=("input",),
           method=False, complex=True,  # a permutation: its own adjoint's shape, any dtype
           samples=[((1, 6, 2, 2), {"groups": 2}), ((2, 6, 3), {"groups": 3})])
def channel_shuffle(input, groups):
    """(N, g * c, *) -> (N, c * g, *): channel k of group j moves to position k * g + j.

    Example::
        >>> ndgrad.channel_shuffle(ndgrad.arange(4.).view(1, 4, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    n, rest = input.shape[0], input.shape[2:]
    x = input.reshape((n, groups, c // groups) + rest).swapaxes(1, 2)
    return np.ascontiguousarray(x).reshape(input.shape)


@channel_shuffle.vjp
def _(grad, input_shape, *, groups):
    return channel_shuffle(grad, input_shape[1] // groups)


composite("native_channel_shuffle", method=False)(channel_shuffle.public)


# *** pdist ***

def _pair_index(n: int) -> tuple:
    return np.triu_indices(n, 1)


@primitive("_pdist_forward", grad_fn="PdistBackward0", inputs=("input",), export=False,
           samples=[((4, 3), {"p": 2.0}), ((3, 2), {"p": 1.0}), ((4, 3), {"p": 1.5}),
                    ((3, 4), {"p": 3.0}), ((3, 3), {"p": float("inf")}), ((3, 2), {"p": 0.0})],
           torch_fn=lambda torch, x, p: torch.nn.functional.pdist(x, p))
def _pdist_forward(input, p=2.0):
    """The p-norm distances of the rows of (N, M) input, pairs (i < j) in row-major order."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if input.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = _pair_index(input.shape[0])
    d = np.abs(input[i] - input[j])
    if p == 0:
        out = (d != 0).sum(-1)
    elif p == float("inf"):
        out = d.max(-1, initial=0)
    elif p == 1:
        out = d.sum(-1)
    elif p == 2:
        out = np.sqrt((d * d).sum(-1))
    else:
        out = (d ** p).sum(-1) ** (1 / p)
    return np.asarray(out, dtype=input.dtype)


@_pdist_forward.vjp
def _(grad, input, result, *, p):
    # torch's _pdist_backward: a zero distance (or, for p < 1, a zero coordinate difference)
    # contributes no gradient
    n = input.shape[0]
    i, j = (Tensor._make(a) for a in _pair_index(n))
    diff = input[i] - input[j]
    g, r = grad.unsqueeze(-1), result.unsqueeze(-1)
    if p == 0:
        gd = diff * 0
    elif p == 1:
        gd = diff.sign() * g
    elif p == float("inf"):
        gd = diff.sign() * (diff.abs() == r) * g
    else:  # sign(0) = 0 zeroes those terms; the safe bases keep their powers finite
        ad, r = diff.abs(), where(r == 0, r + 1, r)
        ad = where(ad == 0, ad + 1, ad)
        gd = diff.sign() * ad ** (p - 1) * g / r ** (p - 1)
    gx = input * 0
    return gx.index_add(0, i, gd).index_add(0, j, -gd)


# *** conv_tbc: a 1-D convolution over (time, batch, channel) input ***

def _time_pad(x, pad: int):
    """x (T, B, C) with `pad` zero steps added at both ends of time (cropped when negative)."""
    if pad >= 0:
        return constant_pad_nd(x, (0, 0, 0, 0, pad, pad)) if isinstance(x, Tensor) else \
            np.pad(x, ((pad, pad), (0, 0), (0, 0)))
    return x[-pad:x.shape[0] + pad]


@primitive("conv_tbc", grad_fn="ConvTbcBackward0", inputs=("input", "weight", "bias"),
           method=False, samples=[(((5, 2, 3), (3, 3, 4), (4,)), {"pad": 1}),
                                  (((4, 1, 2), (2, 2, 3), (3,)), {"pad": 0})])
def conv_tbc(input, weight, bias, pad=0):
    """1-D convolution of (time, batch, in) input with (kernel, in, out) weight and (out,) bias;
    time is padded by `pad` at both ends.

    Example::
        >>> ndgrad.conv_tbc(ndgrad.ones(4, 1, 2), ndgrad.ones(3, 2, 1), ndgrad.zeros(1)).flatten()
        tensor([6., 6.])
    """
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    k = weight.shape[0]
    x = _time_pad(input, pad)
    steps = max(x.shape[0] - k + 1, 0)
    out = np.broadcast_to(bias, (steps,) + input.shape[1:2] + bias.shape).astype(input.dtype)
    for j in range(k):
        out = out + np.matmul(x[j:j + steps], weight[j])
    return out


@conv_tbc.vjp
def _(grad, input, weight, needs_input_grad, *, pad):
    k, steps = weight.shape[0], grad.shape[0]
    gi = gw = gb = None
    if needs_input_grad[0]:  # a conv_tbc of grad with the flipped, transposed kernel
        zero = weight[0, :, 0] * 0  # (in,): the transposed kernel's out channels
        gi = conv_tbc(grad, weight.flip(0).transpose(1, 2), zero, k - 1 - pad)
    if needs_input_grad[1]:
        x = _time_pad(input, pad)
        gw = stack([(x[j:j + steps].unsqueeze(-1) * grad.unsqueeze(-2)).sum((0, 1))
                    for j in range(k)])
    if needs_input_grad[2]:
        gb = grad.sum((0, 1))
    return gi, gw, gb
