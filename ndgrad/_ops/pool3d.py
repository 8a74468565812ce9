"""3-D max, average and adaptive pooling of (N, C, D, H, W) or (C, D, H, W) and their backward
ops: the dimension-generic window helpers of pool.py with nd=3, torch's nodes and messages."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .conv import _col2im, _windows
from .pool import (
    _adaptive_masks, _adaptive_max, _adaptive_size, _avg_geom, _gather, _max_pool, _scatter,
)

_POOL3 = {"kernel_size": (2, 2, 3), "stride": (1, 2, 2), "padding": (1, 0, 1),
          "dilation": (1, 1, 1), "ceil_mode": True}


def _list_args(a: dict) -> list:
    return [list(v) if isinstance(v, tuple) else v for v in a.values()]


# *** max pooling ***

@primitive("max_pool3d_with_indices", grad_fn="MaxPool3DWithIndicesBackward0", n_outputs=2,
           inputs=("input",), export=False,
           samples=[((1, 2, 3, 4, 5), _POOL3),
                    ((2, 4, 5, 3), {"kernel_size": 3, "stride": (2, 1, 1), "dilation": (1, 1, 2),
                                    "padding": 1}),
                    ((1, 1, 2, 4, 4), {"kernel_size": 2})],
           torch_fn=lambda torch, x, **a: torch.nn.functional.max_pool3d(x, **a,
                                                                          return_indices=True))
def max_pool3d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    """3-D max pooling of (N, C, D, H, W) or (C, D, H, W): the maxima and their flat D*H*W
    indices.

    Example::
        >>> F.max_pool3d(ndgrad.arange(8.).view(1, 2, 2, 2), 2, return_indices=True)[1]
        tensor([[[[7]]]])
    """
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, 3)


@max_pool3d_with_indices.vjp
def _(grads, input, *, kernel_size, stride, padding, dilation, ceil_mode):
    # NOTE: a VJP sees only the first output, so the argmax is recomputed from the input
    idx = _max_pool(input._data, kernel_size, stride, padding, dilation, ceil_mode, 3)[1]
    return max_pool3d_with_indices_backward(
        grads[0], Tensor._make(idx), input_size=tuple(input.shape), kernel_size=kernel_size,
        stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)


@primitive("max_pool3d_with_indices_backward", grad_fn="MaxPool3DWithIndicesBackwardBackward0",
           export=False, int_inputs={"indices": (0, 60)},
           samples=[(((1, 2, 4, 2, 3), (1, 2, 4, 2, 3)), dict(_POOL3, input_size=(1, 2, 3, 4, 5)))],
           torch_fn=lambda torch, g, i, input_size, **a: torch.ops.aten
           .max_pool3d_with_indices_backward(g, torch.zeros(input_size, dtype=g.dtype),
                                             *_list_args(a), i))
def max_pool3d_with_indices_backward(grad, indices, *, input_size, kernel_size, stride, padding,
                                     dilation, ceil_mode):
    """d max_pool3d / d input: grad added at the argmax indices (windows may overlap)."""
    return _scatter(grad, indices, input_size, 3)


@max_pool3d_with_indices_backward.vjp
def _(ggi, indices, *, input_size, kernel_size, stride, padding, dilation, ceil_mode):
    return _gather(ggi, indices, 3), None


@composite("max_pool3d", method=False,
           samples=[((1, 2, 3, 5, 4), {"kernel_size": 2}),
                    ((2, 4, 3, 5), {"kernel_size": (2, 3, 2), "stride": 1,
                                    "padding": (1, 0, 1)})])
def max_pool3d(input: Tensor, kernel_size, stride=(), padding=0, dilation=1,
               ceil_mode: bool = False) -> Tensor:
    """3-D max pooling of (N, C, D, H, W) or (C, D, H, W); stride defaults to kernel_size.

    Example::
        >>> ndgrad.max_pool3d(ndgrad.arange(8.).view(1, 2, 2, 2), 2)
        tensor([[[[7.]]]])
    """
    return max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)[0]


# *** average pooling ***

_AVG3 = {"kernel_size": (2, 3, 2), "stride": (1, 2, 1), "padding": (1, 1, 0), "ceil_mode": True,
         "count_include_pad": False, "divisor_override": None}


@primitive("avg_pool3d", grad_fn="AvgPool3DBackward0", inputs=("input",), export=False,
           samples=[((1, 2, 3, 4, 5), _AVG3), ((2, 4, 5, 4), {"kernel_size": 2}),
                    ((1, 1, 4, 4, 3), dict(_AVG3, count_include_pad=True, divisor_override=3))],
           torch_fn=lambda torch, x, **a: torch.nn.functional.avg_pool3d(x, **a))
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling of (N, C, D, H, W) or (C, D, H, W)."""
    k, s, pads, out, div = _avg_geom(input.shape, kernel_size, stride, padding, ceil_mode,
                                     count_include_pad, divisor_override, 3)
    v = _windows(input, k, s, pads, (1, 1, 1))[(Ellipsis,) + tuple(slice(0, o) for o in out)
                                               + (slice(None),) * 3]
    total = v.sum((-3, -2, -1))
    if input.dtype.kind != "f":  # torch divides integer sums with truncation
        return (total // np.asarray(div)).astype(input.dtype)
    return (total / np.asarray(div, dtype=input.dtype)).astype(input.dtype, copy=False)


@avg_pool3d.vjp
def _(grad, input_shape, *, kernel_size, stride, padding, ceil_mode, count_include_pad,
      divisor_override):
    return avg_pool3d_backward(grad, input_size=tuple(input_shape), kernel_size=kernel_size,
                               stride=stride, padding=padding, ceil_mode=ceil_mode,
                               count_include_pad=count_include_pad,
                               divisor_override=divisor_override)


@primitive("avg_pool3d_backward", grad_fn="AvgPool3DBackwardBackward0", export=False,
           samples=[((1, 2, 4, 3, 4), dict(_AVG3, input_size=(1, 2, 3, 4, 5)))],
           torch_fn=lambda torch, g, input_size, **a: torch.ops.aten.avg_pool3d_backward(
               g, torch.zeros(input_size, dtype=g.dtype), *_list_args(a)))
def avg_pool3d_backward(grad, *, input_size, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override):
    """d avg_pool3d / d input: each window's grad / divisor spread back over the window."""
    k, s, pads, _, div = _avg_geom(input_size, kernel_size, stride, padding, ceil_mode,
                                   count_include_pad, divisor_override, 3)
    g = grad / np.asarray(div, dtype=grad.dtype)
    cols = np.broadcast_to(g[..., None, None, None, :, :, :], g.shape[:-3] + k + g.shape[-3:])
    return _col2im(cols, tuple(input_size[-3:]), s, pads, (1, 1, 1))


@avg_pool3d_backward.vjp
def _(ggi, *, input_size, kernel_size, stride, padding, ceil_mode, count_include_pad,
      divisor_override):
    return avg_pool3d(ggi, kernel_size, stride, padding, ceil_mode, count_include_pad,
                      divisor_override)


# *** adaptive pooling ***

def _window_means(x: np.ndarray, in_size: tuple, out: tuple, adjoint: bool) -> np.ndarray:
    """Means over torch's adaptive windows of x's trailing dims (in_size -> out): one 0/1 matrix
    product per dim, then a division by the window volumes; adjoint: out -> in_size."""
    nd = len(out)
    mats = _adaptive_masks(in_size, out, x.dtype)
    volume = np.ones((1,) * nd, x.dtype)
    for m, (_, lengths) in enumerate(mats):
        volume = volume * lengths.reshape((-1,) + (1,) * (nd - 1 - m)).astype(x.dtype)
    if adjoint:
        x = x / volume
    for m, (mat, _) in enumerate(mats):
        ax = x.ndim - nd + m
        x = np.moveaxis(np.matmul(mat.T if adjoint else mat, np.moveaxis(x, ax, -2)), -2, ax)
    return x if adjoint else x / volume


@primitive("_adaptive_avg_pool3d", grad_fn="AdaptiveAvgPool3DBackward0", inputs=("input",),
           export=False, samples=[((1, 2, 5, 4, 7), {"output_size": (3, 2, 4)}),
                                  ((2, 3, 4, 3), {"output_size": (2, 3, 1)})],
           torch_fn=lambda torch, x, output_size: torch.ops.aten._adaptive_avg_pool3d(
               x, list(output_size)))
def _adaptive_avg_pool3d(input, output_size):
    return _window_means(input, input.shape[-3:], tuple(output_size), False)


@_adaptive_avg_pool3d.vjp
def _(grad, input_shape, *, output_size):
    return _adaptive_avg_pool3d_backward(grad, input_size=tuple(input_shape))


@primitive("_adaptive_avg_pool3d_backward", grad_fn="AdaptiveAvgPool3DBackwardBackward0",
           export=False, samples=[((1, 2, 3, 2, 4), {"input_size": (1, 2, 5, 4, 7)})],
           torch_fn=lambda torch, g, input_size: torch.ops.aten._adaptive_avg_pool3d_backward(
               g, torch.zeros(input_size, dtype=g.dtype)))
def _adaptive_avg_pool3d_backward(grad, *, input_size):
    return _window_means(grad, tuple(input_size[-3:]), grad.shape[-3:], True)


@_adaptive_avg_pool3d_backward.vjp
def _(ggi, grad_shape, *, input_size):
    return _adaptive_avg_pool3d(ggi, tuple(grad_shape[-3:]))


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """torch's adaptive_avg_pool3d: a (1, 1, 1) output is a mean over D, H, W, as torch records."""
    size = _adaptive_size("adaptive_avg_pool3d", input._data, output_size, " ", 3)
    if size == (1, 1, 1):
        return input.mean((-1, -2, -3), keepdim=True)
    return _adaptive_avg_pool3d(input, size)


@primitive("adaptive_max_pool3d", grad_fn="AdaptiveMaxPool3DBackward0", n_outputs=2,
           inputs=("input",), export=False,
           samples=[((1, 2, 5, 4, 7), {"output_size": (3, 2, 4)}),
                    ((2, 4, 3, 3), {"output_size": 2})],
           torch_fn=lambda torch, x, output_size: torch.nn.functional.adaptive_max_pool3d(
               x, output_size, return_indices=True))
def adaptive_max_pool3d(input, output_size):
    """Max over torch's adaptive windows; (values, flat D*H*W indices)."""
    return _adaptive_max(input, output_size, 3)


@adaptive_max_pool3d.vjp
def _(grads, input, *, output_size):
    idx = _adaptive_max(input._data, output_size, 3)[1]  # recomputed: VJPs see only output 0
    return adaptive_max_pool3d_backward(grads[0], Tensor._make(idx),
                                        input_size=tuple(input.shape))


@primitive("adaptive_max_pool3d_backward", grad_fn="AdaptiveMaxPool3DBackwardBackward0",
           export=False, int_inputs={"indices": (0, 12)},
           samples=[(((1, 2, 2, 2, 2), (1, 2, 2, 2, 2)), {"input_size": (1, 2, 2, 3, 2)})],
           torch_fn=lambda torch, g, i, input_size: torch.ops.aten.adaptive_max_pool3d_backward(
               g, torch.zeros(input_size, dtype=g.dtype), i))
def adaptive_max_pool3d_backward(grad, indices, *, input_size):
    """d adaptive_max_pool3d / d input: grad added at the argmax indices."""
    return _scatter(grad, indices, input_size, 3)


@adaptive_max_pool3d_backward.vjp
def _(ggi, indices, *, input_size):
    return _gather(ggi, indices, 3), None
