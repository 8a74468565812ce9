"""torch.nn.functional's power-average (LP), fractional max and 3-D pooling wrappers and max
unpooling: argument handling over the primitives of ndgrad._ops.pool3d / pool_extra."""
from __future__ import annotations

from typing import Any

from .. import _creation
from .._ops import pool_extra as _extra
from .._tensor import Tensor
from ._conv_functional import avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, \
    max_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d", "fractional_max_pool2d",
           "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
           "fractional_max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _ntuple(n: int, v: Any) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


# *** power-average pooling ***

def _lp_pool(nd: int, input: Tensor, norm_type: float, kernel_size, stride, ceil_mode: bool,
             avg, max_pool) -> Tensor:
    k = _ntuple(nd, kernel_size)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    size = 1
    for kk in k:
        size *= kk
    # sign(out) * relu(|out|): negative means of odd powers keep their sign, as torch's
    return (out.sign() * out.abs().relu()).mul(size).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, L): (sum of x^p over each window)^(1/p).

    Example::
        >>> F.lp_pool1d(ndgrad.tensor([[3., 4., 0., 0.]]), 2, 2)
        tensor([[5., 0.]])
    """
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode, avg_pool1d, max_pool1d)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, H, W)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode, avg_pool2d, max_pool2d)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size, stride=None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (N, C, D, H, W)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode, avg_pool3d, max_pool3d)


# *** fractional max pooling ***

def _fractional(nd: int, input: Tensor, kernel_size, output_size, output_ratio,
                random_samples: Tensor | None) -> tuple:
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratio = _ntuple(nd, output_ratio)
        output_size = [int(input.size(d - nd) * r) for d, r in enumerate(ratio)]
    if random_samples is None:
        batch = 1 if input.dim() == nd + 1 else input.size(0)
        random_samples = _creation.rand(batch, input.size(-nd - 1), nd, dtype=input.dtype)
    elif random_samples.dtype != input.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    op = _extra.fractional_max_pool2d if nd == 2 else _extra.fractional_max_pool3d
    return op(input, kernel_size=_ntuple(nd, kernel_size), output_size=_ntuple(nd, output_size),
              random_samples=random_samples._data)


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple:
    """Fractional 2-D max pooling returning (values, flat H*W indices)."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Max over pseudo-randomly placed (kH, kW) windows, to output_size (or input size times
    output_ratio); the window starts come from _random_samples (N, C, 2), drawn with rand.

    Example::
        >>> x = ndgrad.arange(16.).view(1, 1, 4, 4)
        >>> F.fractional_max_pool2d(x, 2, output_size=2, _random_samples=ndgrad.zeros(1, 1, 2))
        tensor([[[[ 5.,  7.],
                  [13., 15.]]]])
    """
    out = _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size, output_size=None,
                                       output_ratio=None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None) -> tuple:
    """Fractional 3-D max pooling returning (values, flat T*H*W indices)."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size, output_size=None, output_ratio=None,
                          return_indices: bool = False, _random_samples: Tensor | None = None):
    """Max over pseudo-randomly placed (kT, kH, kW) windows of (N, C, T, H, W)."""
    out = _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return out if return_indices else out[0]


# *** max unpooling ***

def _unpool_output_size(input: Tensor, kernel_size: tuple, stride: tuple, padding: tuple,
                        output_size) -> list:
    nd = len(kernel_size)
    default = [(input.size(d - nd) - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(nd)]
    if output_size is None:
        size = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{lo} and {hi})")
        size = list(output_size)
    for d in range(nd):
        if size[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={size[d]}")
    return size


def _unpool_args(nd: int, kernel_size, stride, padding) -> tuple:
    k = _ntuple(nd, kernel_size)
    return k, (k if stride is None else _ntuple(nd, stride)), _ntuple(nd, padding)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool1d: values back at their indices, zeros elsewhere.

    Example::
        >>> y, i = F.max_pool1d(ndgrad.tensor([[1., 3., 2., 0.]]), 2, return_indices=True)
        >>> F.max_unpool1d(y, i, 2)
        tensor([[0., 3., 2., 0.]])
    """
    k, s, p = _unpool_args(1, kernel_size, stride, padding)
    size = _unpool_output_size(input, k, s, p, output_size) + [1]
    return _extra.max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), size).squeeze(-1)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool2d: values back at their flat H*W indices."""
    k, s, p = _unpool_args(2, kernel_size, stride, padding)
    return _extra.max_unpool2d(input, indices, _unpool_output_size(input, k, s, p, output_size))


def max_unpool3d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0,
                 output_size=None) -> Tensor:
    """The partial inverse of max_pool3d: values back at their flat D*H*W indices."""
    k, s, p = _unpool_args(3, kernel_size, stride, padding)
    return _extra.max_unpool3d(input, indices, _unpool_output_size(input, k, s, p, output_size),
                               s, p)
