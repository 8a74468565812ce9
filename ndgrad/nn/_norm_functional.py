"""torch.nn.functional's normalizations: argument checks around the norm ops of
ndgrad/_ops/nn_norm.py, plus rms_norm and normalize, which torch composes."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._ops import nn as _nn
from .._ops._registry import REGISTRY, composite
from .._ops.inplace import bump_version
from .._ops.pool import avg_pool2d
from .._ops.pool3d import avg_pool3d
from .._tensor import Tensor


def _tensor_like(values: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(values))


def _enrol(name: str, fn, **tests: Any) -> None:
    """Enter a composite of this file in the op test table (finite differences + real torch)."""
    torch_fn = tests.pop("torch_fn", None) or (
        lambda torch, *a, **k: getattr(torch.nn.functional, name)(*a, **k))
    composite(f"nn.functional.{name}", export=False, method=False, torch_fn=torch_fn, **tests)(fn)


# *** normalization ***

def _verify_batch_size(size: Sequence[int]) -> None:
    prod = size[0]
    for s in size[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def _check_channels(name: str, t: Tensor | None, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing normalized_shape dims, then scale and shift.

    Example::
        >>> F.layer_norm(ndgrad.tensor([[1., 3.]]), (2,))
        tensor([[-1.0000,  1.0000]])
    """
    if isinstance(normalized_shape, int):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        "ints, not int")
    return REGISTRY["native_layer_norm"].public(input, weight, bias,
                                                normalized_shape=tuple(normalized_shape), eps=eps)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) by batch statistics (training; running_mean/var are
    updated in place with momentum and the unbiased variance) or by the running ones (eval).

    Example::
        >>> F.batch_norm(ndgrad.tensor([[1.], [3.]]), None, None, training=True)
        tensor([[-1.0000],
                [ 1.0000]])
    """
    if training:
        _verify_batch_size(input.shape)
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if input.numel() == 0:  # as torch: no statistics (running ones untouched), a fresh tensor
        out = input.clone()
        if weight is not None:
            out = out * weight.select(0, 0)
        return out if bias is None else out + bias.select(0, 0)
    c = input.shape[1] if input.ndim > 1 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_channels(name, t, c)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode"
                           if running_mean is None else
                           "running_var must be defined in evaluation mode")
    return REGISTRY["native_batch_norm"].public(input, weight, bias, running_mean, running_var,
                                                training=training, momentum=momentum, eps=eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims: batch_norm on a (1, N*C, ...) view.

    Example::
        >>> F.instance_norm(ndgrad.tensor([[[1., 3.]]]))
        tensor([[[-1.0000,  1.0000]]])
    """
    if use_input_stats:
        prod = 1
        for s in input.shape[2:]:
            prod *= s
        if prod == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {input.shape}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false")
    b, c = input.shape[:2]

    def repeat(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.unsqueeze(0).expand(b, c).reshape(b * c)

    rm = None if running_mean is None else _tensor_like(np.tile(running_mean._data, b))
    rv = None if running_var is None else _tensor_like(np.tile(running_var._data, b))
    x = input.contiguous().view(1, b * c, *input.shape[2:])
    out = REGISTRY["native_batch_norm"].public(x, repeat(weight), repeat(bias), rm, rv,
                                               training=use_input_stats, momentum=momentum,
                                               eps=eps)
    for mine, stats in ((running_mean, rm), (running_var, rv)):
        if mine is not None and use_input_stats:  # the per-instance updates, averaged
            mine._data[...] = stats._data.reshape(b, c).mean(0)
            bump_version(mine)
    return out.view(*input.shape)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over groups of num_groups channels (and the spatial dims), then scale and shift.

    Example::
        >>> F.group_norm(ndgrad.tensor([[1., 3.]]), 1)
        tensor([[-1.0000,  1.0000]])
    """
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    _verify_batch_size([input.shape[0] * input.shape[1] // num_groups, num_groups]
                       + list(input.shape[2:]))
    c = input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups="
                           f"{num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} and "
                               f"input of shape {list(input.shape)}")
    return REGISTRY["native_group_norm"].public(input, weight, bias, num_groups=num_groups,
                                                eps=eps)


def rms_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """input / sqrt(mean(input², trailing dims) + eps) * weight.

    Example::
        >>> F.rms_norm(ndgrad.tensor([[3., 4.]]), (2,), eps=0.0)
        tensor([[0.8485, 1.1314]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps) ** -0.5
    return out if weight is None else out * weight


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps).

    Example::
        >>> F.normalize(ndgrad.tensor([[3., 4.]]))
        tensor([[0.6000, 0.8000]])
    """
    denom = _nn._clamp_min(_nn._norm(input, p=p, dim=dim, keepdim=True), min=eps)
    res = input / denom.expand_as(input)
    if out is not None:
        out._data[...] = res._data
        bump_version(out)
        return out
    return res


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Divide each element by (k + alpha * mean of x² over `size` neighbouring channels)^beta.

    Example::
        >>> F.local_response_norm(ndgrad.ones(1, 3, 2), 2, alpha=1., beta=1., k=1.).shape
        torch.Size([1, 3, 2])
    """
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    # the channel window: zero-pad the channel dim, then average over `size` channels
    if dim == 3:
        div = _nn.constant_pad_nd(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), 1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = _nn.constant_pad_nd(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), 1).squeeze(1).view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


# *** the torch.* spellings (torch.batch_norm(input, weight, bias, ...), ...) ***

@composite("batch_norm", method=False)
def _torch_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float, cudnn_enabled: bool) -> Tensor:
    """torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
    eps, cudnn_enabled)."""
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@composite("instance_norm", method=False)
def _torch_instance_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                         running_mean: Tensor | None, running_var: Tensor | None,
                         use_input_stats: bool, momentum: float, eps: float,
                         cudnn_enabled: bool) -> Tensor:
    """torch.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats,
    momentum, eps, cudnn_enabled)."""
    return instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                         momentum, eps)


@composite("layer_norm", method=False)
def _torch_layer_norm(input: Tensor, normalized_shape: Sequence[int],
                      weight: Tensor | None = None, bias: Tensor | None = None,
                      eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:
    """torch.layer_norm(input, normalized_shape, weight, bias, eps, cudnn_enable)."""
    return layer_norm(input, normalized_shape, weight, bias, eps)


@composite("group_norm", method=False)
def _torch_group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
                      bias: Tensor | None = None, eps: float = 1e-5,
                      cudnn_enabled: bool = True) -> Tensor:
    """torch.group_norm(input, num_groups, weight, bias, eps, cudnn_enabled)."""
    return group_norm(input, num_groups, weight, bias, eps)


composite("rms_norm", method=False)(rms_norm)
_enrol("normalize", normalize, samples=[((2, 3), {}), ((2, 3), {"p": 1.0, "dim": 0})])
_enrol("rms_norm", rms_norm, inputs=("input",),
       samples=[((2, 3), {"normalized_shape": (3,)}), ((2, 2, 3), {"normalized_shape": (2, 3),
                                                                   "eps": 0.1})])
