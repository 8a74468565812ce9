"""Resampling: unfold / fold (im2col / col2im), upsampling (nearest, nearest-exact, linear,
bilinear, trilinear: one index map per axis, in torch's float32 index arithmetic), pixel shuffle."""
from __future__ import annotations

import numpy as np

from ._registry import primitive
from .conv import _col2im, _tup, _windows

# *** unfold / fold (im2col / col2im) ***

def _blocks(name: str, size: tuple, k: tuple, d: tuple, p: tuple, s: tuple) -> tuple:
    out = tuple((n + 2 * pi - di * (ki - 1) - 1) // si + 1
                for n, ki, di, pi, si in zip(size, k, d, p, s))
    if min(out) < 1:
        raise RuntimeError(f"Given {name} spatial size {tuple(size)}, kernel_size={k}, "
                           f"dilation={d}, padding={p}, calculated shape of the array of sliding "
                           f"blocks as {out}, but its components must be at least one.")
    return out


def _im2col_torch(torch, x, **a):
    return torch.ops.aten.im2col(x, *[list(_tup(a[n], 2)) for n in
                                      ("kernel_size", "dilation", "padding", "stride")])


@primitive("im2col", complex=True, grad_fn="Im2ColBackward0", inputs=("input",), export=False,
           samples=[((1, 2, 4, 5), {"kernel_size": (2, 3), "dilation": 1, "padding": (1, 0),
                                    "stride": (2, 1)}),
                    ((2, 4, 4), {"kernel_size": 2, "dilation": 2, "padding": 1, "stride": 1})],
           torch_fn=_im2col_torch)
def im2col(input, kernel_size, dilation, padding, stride):
    """Sliding blocks of (N, C, H, W) or (C, H, W) as columns: (N, C * kH * kW, L)."""
    k, d, p, s = (_tup(v, 2) for v in (kernel_size, dilation, padding, stride))
    if input.ndim not in (3, 4) or 0 in input.shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor for input with possible 0 batch "
                           f"size and non-zero dimensions for input, but got: {list(input.shape)}")
    out = _blocks("input with", input.shape[-2:], k, d, p, s)
    v = _windows(input, k, s, tuple((a, a) for a in p), d)  # (..., C, oh, ow, kh, kw)
    v = np.moveaxis(v, (-2, -1), (-4, -3))
    return v.reshape(input.shape[:-3] + (input.shape[-3] * k[0] * k[1], out[0] * out[1]))


@im2col.vjp
def _(grad, input_shape, *, kernel_size, dilation, padding, stride):
    return col2im(grad, tuple(input_shape[-2:]), kernel_size, dilation, padding, stride)


@primitive("col2im", complex=True, grad_fn="Col2ImBackward0", inputs=("input",), export=False,
           samples=[((1, 12, 9), {"output_size": (4, 5), "kernel_size": (2, 3), "dilation": 1,
                                  "padding": (1, 0), "stride": (2, 1)}),
                    ((8, 16), {"output_size": 4, "kernel_size": 2, "dilation": 2, "padding": 1,
                              "stride": 1})],
           torch_fn=lambda torch, x, output_size, **a: torch.ops.aten.col2im(
               x, list(_tup(output_size, 2)), *[list(_tup(a[n], 2)) for n in
                                               ("kernel_size", "dilation", "padding", "stride")]))
def col2im(input, output_size, kernel_size, dilation, padding, stride):
    """Sum columns (N, C * kH * kW, L) back into (N, C, *output_size): the adjoint of im2col."""
    size, k, d, p, s = (_tup(v, 2) for v in (output_size, kernel_size, dilation, padding, stride))
    if input.ndim not in (2, 3) or 0 in input.shape[-2:]:
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possible 0 batch "
                           f"size and non-zero dimensions for input, but got: {list(input.shape)}")
    dim = input.ndim - 2
    if input.shape[-2] % (k[0] * k[1]):
        raise RuntimeError(f"Expected size of input's dimension {dim} to be divisible by the "
                           f"product of kernel_size, but got input.size({dim})="
                           f"{input.shape[-2]} and kernel_size={k}.")
    out = _blocks("output_size", size, k, d, p, s)
    if input.shape[-1] != out[0] * out[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, expected size of input's dimension {dim + 1} to match the "
                           f"calculated number of sliding blocks {out[0]} * {out[1]} = "
                           f"{out[0] * out[1]}, but got input.size({dim + 1})={input.shape[-1]}.")
    cols = input.reshape(input.shape[:-2] + (input.shape[-2] // (k[0] * k[1]),) + k + out)
    return _col2im(cols, size, s, tuple((a, a) for a in p), d)


@col2im.vjp
def _(grad, *, output_size, kernel_size, dilation, padding, stride):
    return im2col(grad, kernel_size, dilation, padding, stride)


# *** upsampling ***

_LINEAR = {1: "Linear", 2: "Bilinear", 3: "Trilinear"}


def _node(mode: str, nd: int, backward: bool = False) -> str:
    kind = {"nearest": "Nearest", "nearest-exact": "NearestExact"}.get(mode) or _LINEAR[nd]
    return f"Upsample{kind}{nd}D{'Backward' if backward else ''}Backward0"


def _axis_map(n_in: int, n_out: int, scale, mode: str, align_corners: bool, dtype,
              nd: int) -> tuple:
    """Source indices (i0, i1) and weights (l0, l1) of one axis; nearest gives (src, None, ...)."""
    dst = np.arange(n_out)
    if mode != "linear":
        # torch's 2-D nearest kernel copies equal sizes and halves doubled ones whatever the
        # scale; elsewhere the index is computed, in float32 whatever the dtype
        if mode == "nearest" and nd == 2 and n_out in (n_in, 2 * n_in):
            return dst if n_out == n_in else dst >> 1, None, None, None
        s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
        src = (dst.astype(np.float32) * s if mode == "nearest"
               else (dst.astype(np.float32) + np.float32(0.5)) * s)
        return np.minimum(np.floor(src).astype(np.int64), n_in - 1), None, None, None
    if n_out == n_in:  # torch copies an axis whose size does not change, whatever the scale
        return dst, dst, np.ones(n_out, dtype), np.zeros(n_out, dtype)
    ft = np.float64 if np.dtype(dtype) == np.float64 else np.float32  # torch's opmath type
    if align_corners:
        s = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
        src = s * dst.astype(ft)
    else:
        s = ft(1.0 / scale) if scale else ft(n_in) / ft(n_out)
        # one rounding of s * (dst + 0.5) - 0.5, as torch's fused multiply-add gives
        src = np.maximum(np.float64(s) * (dst + 0.5) - 0.5, 0).astype(ft)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    l1 = np.clip(src - i0.astype(ft), 0, 1).astype(dtype)
    return i0, np.minimum(i0 + 1, n_in - 1), (1 - l1).astype(dtype), l1


def _check_sizes(in_size: tuple, out_size: tuple) -> None:
    if min(in_size) <= 0 or min(out_size) <= 0:
        names = ("D", "H", "W")[3 - len(in_size):]
        show = [", ".join(f"{n}: {v}" for n, v in zip(names, s)) for s in (in_size, out_size)]
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({show[0]}) output ({show[1]})")


def _upsample_torch(torch, x, output_size, scales, mode, align_corners):
    """Oracle: F.interpolate with the same size or scale factors."""
    nd = len(output_size)
    name = {"linear": ("linear", "bilinear", "trilinear")[nd - 1]}.get(mode, mode)
    return torch.nn.functional.interpolate(
        x, size=None if any(scales) else list(output_size),
        scale_factor=list(scales) if any(scales) else None, mode=name,
        align_corners=align_corners if mode == "linear" else None)


@primitive("_upsample", grad_fn=lambda output_size, scales, mode, align_corners: _node(
               mode, len(output_size)), inputs=("input",), export=False,
           samples=[((1, 2, 3, 4), {"output_size": (5, 7), "scales": (None, None),
                                    "mode": "linear", "align_corners": False}),
                    ((1, 1, 3, 4), {"output_size": (6, 9), "scales": (2.0, 2.25),
                                    "mode": "linear", "align_corners": False}),
                    ((1, 2, 3, 3), {"output_size": (4, 2), "scales": (None, None),
                                    "mode": "linear", "align_corners": True}),
                    ((2, 1, 4), {"output_size": (9,), "scales": (None,), "mode": "linear",
                                 "align_corners": False}),
                    ((1, 1, 2, 2, 3), {"output_size": (3, 4, 2), "scales": (None,) * 3,
                                       "mode": "linear", "align_corners": True}),
                    ((1, 2, 3, 4), {"output_size": (6, 5), "scales": (None, None),
                                    "mode": "nearest", "align_corners": None}),
                    ((1, 2, 3), {"output_size": (7,), "scales": (2.5,), "mode": "nearest",
                                 "align_corners": None}),
                    ((1, 1, 2, 2, 3), {"output_size": (4, 3, 2), "scales": (None,) * 3,
                                       "mode": "nearest-exact", "align_corners": None})],
           torch_fn=_upsample_torch)
def _upsample(input, *, output_size, scales, mode, align_corners):
    # last axis first: torch's bilinear is h0 * (w0 * x00 + w1 * x01) + h1 * (...)
    nd = len(output_size)
    _check_sizes(input.shape[-nd:], output_size)
    x = input
    for j in reversed(range(nd)):
        ax = input.ndim - nd + j
        i0, i1, l0, l1 = _axis_map(input.shape[ax], output_size[j], scales[j], mode,
                                   align_corners, input.dtype, nd)
        if l0 is None:
            x = np.take(x, i0, axis=ax)
        else:
            shape = (-1,) + (1,) * (x.ndim - ax - 1)
            x = np.take(x, i0, axis=ax) * l0.reshape(shape) + np.take(x, i1, axis=ax) * \
                l1.reshape(shape)
    return x


@_upsample.vjp
def _(grad, input_shape, *, output_size, scales, mode, align_corners):
    return _upsample_backward(grad, input_size=tuple(input_shape), output_size=output_size,
                              scales=scales, mode=mode, align_corners=align_corners)


def _backward_torch(torch, g, input_size, output_size, scales, mode, align_corners):
    nd = len(output_size)
    name = {"nearest": f"upsample_nearest{nd}d", "nearest-exact": f"_upsample_nearest_exact{nd}d",
            "linear": f"upsample_{_LINEAR[nd].lower()}{nd}d"}[mode]
    extra = [align_corners] if mode == "linear" else []
    return getattr(torch.ops.aten, name + "_backward")(g, list(output_size), list(input_size),
                                                       *extra, *scales)


@primitive("_upsample_backward", grad_fn=lambda input_size, output_size, scales, mode,
           align_corners: _node(mode, len(output_size), True), export=False,
           samples=[((1, 2, 5, 7), {"input_size": (1, 2, 3, 4), "output_size": (5, 7),
                                    "scales": (None, None), "mode": "linear",
                                    "align_corners": False}),
                    ((1, 2, 7), {"input_size": (1, 2, 3), "output_size": (7,), "scales": (2.5,),
                                 "mode": "nearest", "align_corners": None})],
           torch_fn=_backward_torch)
def _upsample_backward(grad, *, input_size, output_size, scales, mode, align_corners):
    """d upsample / d input: each axis' (out, in) interpolation matrix, transposed."""
    nd = len(output_size)
    g = grad
    for j in range(nd):
        ax = grad.ndim - nd + j
        i0, i1, l0, l1 = _axis_map(input_size[ax], output_size[j], scales[j], mode,
                                   align_corners, grad.dtype, nd)
        m = np.zeros((output_size[j], input_size[ax]), grad.dtype)
        rows = np.arange(output_size[j])
        np.add.at(m, (rows, i0), 1 if l0 is None else l0)
        if l1 is not None:
            np.add.at(m, (rows, i1), l1)
        g = np.moveaxis(np.matmul(m.T, np.moveaxis(g, ax, -2)), -2, ax)
    return g


@_upsample_backward.vjp
def _(ggi, *, input_size, output_size, scales, mode, align_corners):
    return _upsample(ggi, output_size=output_size, scales=scales, mode=mode,
                     align_corners=align_corners)


# *** pixel shuffle ***

def _check_shuffle(name: str, x: np.ndarray, r: int, what: str) -> None:
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"with {x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {r}")


@primitive("pixel_shuffle", complex=True, grad_fn="PixelShuffleBackward0", inputs=("input",),
           method=False,
           samples=[((1, 8, 2, 3), {"upscale_factor": 2}), ((9, 2, 1), {"upscale_factor": 3})])
def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r).

    Example::
        >>> ndgrad.pixel_shuffle(ndgrad.zeros(1, 8, 2, 3), 2).shape
        torch.Size([1, 2, 4, 6])
    """
    r = upscale_factor
    _check_shuffle("pixel_shuffle", input, r, "upscale_factor")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.transpose(*range(n + 1), n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


@pixel_shuffle.vjp
def _(grad, *, upscale_factor):
    return pixel_unshuffle(grad, upscale_factor)


@primitive("pixel_unshuffle", complex=True, grad_fn="PixelUnshuffleBackward0", inputs=("input",),
           method=False, samples=[((1, 2, 4, 6), {"downscale_factor": 2}),
                                  ((1, 3, 6), {"downscale_factor": 3})])
def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of pixel_shuffle.

    Example::
        >>> ndgrad.pixel_unshuffle(ndgrad.zeros(1, 2, 4, 6), 2).shape
        torch.Size([1, 8, 2, 3])
    """
    r = downscale_factor
    _check_shuffle("pixel_unshuffle", input, r, "downscale_factor")
    *lead, c, h, w = input.shape
    for dim, n, d in (("height", h, -2), ("width", w, -1)):
        if n % r:
            raise RuntimeError(f"pixel_unshuffle expects {dim} to be divisible by "
                               f"downscale_factor, but input.size({d})={n} is not divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.transpose(*range(k + 1), k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


@pixel_unshuffle.vjp
def _(grad, *, downscale_factor):
    return pixel_shuffle(grad, downscale_factor)
