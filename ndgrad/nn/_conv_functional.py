"""torch.nn.functional's convolution, pooling, fold/unfold, interpolate and pixel shuffle: thin
wrappers over the primitives of ndgrad._ops.conv / pool / resample (no rules here)."""
from __future__ import annotations

import math
import warnings

from .._ops import pool as _pool
from .._ops.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from .._ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
)
from .._ops.pool import adaptive_max_pool2d as _adaptive_max_pool2d
from .._ops.pool import avg_pool2d as _avg_pool2d
from .._ops.pool import max_pool2d_with_indices as _max_pool2d_with_indices
from .._ops.pool3d import adaptive_avg_pool3d
from .._ops.pool3d import adaptive_max_pool3d as _adaptive_max_pool3d
from .._ops.pool3d import avg_pool3d as _avg_pool3d
from .._ops.pool3d import max_pool3d_with_indices as _max_pool3d_with_indices
from .._ops.resample import _upsample, col2im, im2col, pixel_shuffle, pixel_unshuffle
from .._ops.resample_separable import _upsample_separable
from .._tensor import Tensor

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d",
           "adaptive_max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "max_pool3d", "max_pool3d_with_indices", "conv1d", "conv2d",
           "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "fold",
           "interpolate", "max_pool1d", "max_pool1d_with_indices", "max_pool2d",
           "max_pool2d_with_indices", "pixel_shuffle", "pixel_unshuffle", "unfold", "upsample",
           "upsample_bilinear", "upsample_nearest"]


# *** max pooling ***

def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple:
    """1-D max pooling returning (values, indices)."""
    return _pool.max_pool1d_with_indices(input, kernel_size, () if stride is None else stride,
                                         padding, dilation, ceil_mode)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling of (N, C, L) or (C, L); stride defaults to kernel_size.

    Example::
        >>> F.max_pool1d(ndgrad.tensor([[1., 3., 2., 0.]]), 2)
        tensor([[3., 2.]])
    """
    out = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple:
    """2-D max pooling returning (values, flat H*W indices)."""
    return _max_pool2d_with_indices(input, kernel_size, () if stride is None else stride,
                                    padding, dilation, ceil_mode)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling of (N, C, H, W) or (C, H, W); return_indices adds the argmax indices.

    Example::
        >>> F.max_pool2d(ndgrad.arange(16.).view(1, 1, 4, 4), 2, return_indices=True)[1]
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    out = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


def max_pool3d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode: bool = False, return_indices: bool = False) -> tuple:
    """3-D max pooling returning (values, flat D*H*W indices)."""
    return _max_pool3d_with_indices(input, kernel_size, () if stride is None else stride,
                                    padding, dilation, ceil_mode)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """3-D max pooling of (N, C, D, H, W) or (C, D, H, W); return_indices adds the argmax.

    Example::
        >>> F.max_pool3d(ndgrad.arange(8.).view(1, 1, 2, 2, 2), 2)
        tensor([[[[[7.]]]]])
    """
    out = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return out if return_indices else out[0]


# *** average and adaptive pooling ***

def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """3-D average pooling of (N, C, D, H, W) or (C, D, H, W).

    Example::
        >>> F.avg_pool3d(ndgrad.arange(8.).view(1, 1, 2, 2, 2), 2)
        tensor([[[[[3.5000]]]]])
    """
    return _avg_pool3d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 3-D max pooling returning (values, flat D*H*W indices)."""
    return _adaptive_max_pool3d(input, output_size)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows of (N, C, D, H, W) or (C, D, H, W); None keeps a size.

    Example::
        >>> F.adaptive_max_pool3d(ndgrad.arange(8.).view(1, 2, 2, 2), (1, 1, 2))
        tensor([[[[6., 7.]]]])
    """
    out = _adaptive_max_pool3d(input, output_size)
    return out if return_indices else out[0]


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """2-D average pooling of (N, C, H, W) or (C, H, W).

    Example::
        >>> F.avg_pool2d(ndgrad.arange(16.).view(1, 1, 4, 4), 2)
        tensor([[[[ 2.5000,  4.5000],
                  [10.5000, 12.5000]]]])
    """
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 1-D max pooling returning (values, indices)."""
    return _pool.adaptive_max_pool1d(input, output_size)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over output_size adaptive windows of (N, C, L) or (C, L).

    Example::
        >>> F.adaptive_max_pool1d(ndgrad.tensor([[1., 3., 2., 0.]]), 2)
        tensor([[3., 2.]])
    """
    out = _pool.adaptive_max_pool1d(input, output_size)
    return out if return_indices else out[0]


def adaptive_max_pool2d_with_indices(input: Tensor, output_size,
                                     return_indices: bool = False) -> tuple:
    """Adaptive 2-D max pooling returning (values, flat H*W indices)."""
    return _adaptive_max_pool2d(input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows of (N, C, H, W) or (C, H, W); None keeps a size.

    Example::
        >>> F.adaptive_max_pool2d(ndgrad.arange(16.).view(1, 1, 4, 4), (1, 2))
        tensor([[[[13., 15.]]]])
    """
    out = _adaptive_max_pool2d(input, output_size)
    return out if return_indices else out[0]


# *** fold / unfold ***

def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks as columns (im2col): (N, C, H, W) -> (N, C * prod(kernel_size), L).

    Example::
        >>> F.unfold(ndgrad.ones(1, 2, 3, 3), 2).shape
        torch.Size([1, 8, 4])
    """
    return im2col(input, kernel_size, dilation, padding, stride)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum columns back into an image (col2im), the adjoint of unfold.

    Example::
        >>> F.fold(ndgrad.ones(1, 8, 4), (3, 3), 2)[0, 0]
        tensor([[1., 2., 1.],
                [2., 4., 2.],
                [1., 2., 1.]])
    """
    return col2im(input, output_size, kernel_size, dilation, padding, stride)


# *** interpolate ***

_LINEAR_MODES = {"linear": 3, "bilinear": 4, "trilinear": 5}


def _output_geometry(input: Tensor, size, scale_factor, recompute_scale_factor) -> tuple:
    """torch's interpolate: exactly one of size / scale_factor, as (output_size, scales)."""
    dim = input.ndim - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format.")
            if not all(isinstance(s, int) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] "
                                "or Tuple[int, int, int], but got size with types "
                                f"{[type(s) for s in size]}")
            return tuple(size), (None,) * dim
        return (int(size),) * dim, (None,) * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format.")
        scales = tuple(float(s) for s in scale_factor)
    else:
        scales = (float(scale_factor),) * dim
    out = tuple(math.floor(n * s) for n, s in zip(spatial, scales))
    return out, ((None,) * dim if recompute_scale_factor else scales)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize (N, C, *spatial) by size or scale_factor: modes nearest, nearest-exact, linear (3-D),
    bilinear, bicubic (4-D), trilinear (5-D) with align_corners, area; antialias=True (4-D
    bilinear, bicubic, lanczos) filters as PIL does when downsampling.

    Example::
        >>> F.interpolate(ndgrad.tensor([[[1., 2.]]]), scale_factor=2, mode="linear")
        tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    recompute = recompute_scale_factor or (mode == "area" and size is None)
    output_size, scales = _output_geometry(input, size, scale_factor, recompute)
    nd = input.ndim
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and nd == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes "
                         "and requires a 4-D tensor as input")
    if mode in ("nearest", "nearest-exact") and nd in (3, 4, 5):
        return _upsample(input, output_size=output_size, scales=scales, mode=mode,
                         align_corners=None)
    if mode == "area" and nd in (3, 4, 5):
        pool = (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 3]
        return pool(input, output_size[0] if nd == 3 else output_size)
    if _LINEAR_MODES.get(mode) == nd and not antialias:
        return _upsample(input, output_size=output_size, scales=scales, mode="linear",
                         align_corners=bool(align_corners))
    if nd == 4 and mode in ("bilinear", "bicubic", "lanczos"):
        if mode == "lanczos":
            if align_corners:
                raise ValueError("Lanczos mode does not support align_corners=True")
            if not antialias:
                raise ValueError("Lanczos mode requires antialias=True")
        return _upsample_separable(input, output_size=output_size, scales=scales,
                                   mode=mode + ("_aa" if antialias else ""),
                                   align_corners=bool(align_corners))
    for m, want in _LINEAR_MODES.items():
        if mode == m and nd in (3, 4, 5):
            raise NotImplementedError(f"Got {nd}D input, but {m} mode needs {want}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the modes: "
        "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
        f"(got {mode})")


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated alias of interpolate."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
