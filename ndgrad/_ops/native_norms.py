"""torch.native_layer_norm / native_batch_norm / native_group_norm: the normalized output (the
nn_norm primitives) together with the statistics torch returns beside it."""
from __future__ import annotations

from collections.abc import Sequence
import numpy as np

from .._tensor import Tensor
from . import nn  # noqa: F401  (nn_norm loads as part of nn, which it imports back)
from ._registry import call, composite
from .nn_norm import _stats_np, native_batch_norm as _batch_norm
from .nn_norm import native_group_norm as _group_norm, native_layer_norm as _layer_norm


@composite("native_layer_norm", method=False)
def native_layer_norm(input: Tensor, normalized_shape: Sequence[int], weight: Tensor | None,
                      bias: Tensor | None, eps: float) -> tuple:
    """(layer_norm output, mean, rstd) over the last len(normalized_shape) dims.

    Example::
        >>> out, mean, rstd = ndgrad.native_layer_norm(ndgrad.tensor([[1., 3.]]), (2,), None,
        ...                                            None, 0.)
        >>> mean, rstd
        (tensor([[2.]]), tensor([[1.]]))
    """
    shape = tuple(int(n) for n in normalized_shape)
    out = call(_layer_norm, (input, weight, bias), {"normalized_shape": shape, "eps": eps})
    x = input._data
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    if x.size:
        xc, rstd = _stats_np(x, axes, eps)
        mean = x - xc
        mean = mean.mean(axis=axes, keepdims=True) if mean.ndim else mean
    else:
        mean = rstd = np.zeros(x.shape[:x.ndim - len(shape)] + (1,) * len(shape), x.dtype)
    return out, Tensor._make(mean.astype(x.dtype)), Tensor._make(rstd.astype(x.dtype))


@composite("native_batch_norm", method=False)
def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float) -> tuple:
    """(batch_norm output, batch mean, batch invstd); the statistics are empty in eval mode.

    Example::
        >>> out, mean, invstd = ndgrad.native_batch_norm(ndgrad.tensor([[1.], [3.]]), None,
        ...                                              None, None, None, True, 0.1, 0.)
        >>> mean, invstd
        (tensor([2.]), tensor([1.]))
    """
    x = input._data
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        xc, invstd = _stats_np(x, axes, eps)
        mean, invstd = (x - xc).mean(axis=axes), invstd.reshape(-1)
    else:
        mean = invstd = np.zeros(0, x.dtype)
    out = call(_batch_norm, (input, weight, bias, running_mean, running_var),
               {"training": training, "momentum": momentum, "eps": eps})
    return out, Tensor._make(mean.astype(x.dtype)), Tensor._make(invstd.astype(x.dtype))


@composite("native_group_norm", method=False)
def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int, C: int,
                      HxW: int, group: int, eps: float) -> tuple:
    """(group_norm output, mean, rstd), the statistics of shape (N, group) and differentiable.

    Example::
        >>> out, mean, rstd = ndgrad.native_group_norm(ndgrad.tensor([[1., 3.]]), None, None,
        ...                                            1, 2, 1, 1, 0.)
        >>> mean
        tensor([[2.]])
    """
    if input._data.size != N * C * HxW:
        raise RuntimeError(f"Expected input to have {N * C * HxW} elements, but got "
                           f"{input._data.size}")
    out = call(_group_norm, (input, weight, bias), {"num_groups": group, "eps": eps})
    rows = input.reshape(N, group, C // group * HxW)
    mean = rows.mean(-1)
    rstd = ((rows - mean.unsqueeze(-1)).square().mean(-1) + eps).rsqrt()
    return out, mean, rstd

