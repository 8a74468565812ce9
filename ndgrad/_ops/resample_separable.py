"""Separable 2-D resampling by one (out, in) weight matrix per axis: bicubic upsampling and the
antialiased bilinear / bicubic / Lanczos-3 resamplers (PIL's filters scaled to the output)."""
from __future__ import annotations

import math

import numpy as np

from ._registry import primitive

_NODES = {"bicubic": "UpsampleBicubic2D", "bilinear_aa": "UpsampleBilinear2DAa",
          "bicubic_aa": "UpsampleBicubic2DAa", "lanczos_aa": "UpsampleLanczos2DAa"}
_SIZES = {"bilinear_aa": 2, "bicubic_aa": 4, "lanczos_aa": 6}  # taps of each filter at scale 1


def _cubic(t: np.ndarray, a: float) -> list:
    """Cubic-convolution weights of taps -1, 0, 1, 2 at fractional offset t (Keys, with a)."""
    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _filter(mode: str, x: np.ndarray) -> np.ndarray:
    x = np.abs(x)
    if mode == "bilinear_aa":
        return np.maximum(1 - x, 0)
    if mode == "bicubic_aa":  # Keys' cubic with a = -0.5, as PIL
        near, far = ((1.5 * x - 2.5) * x * x + 1), (((-0.5 * x + 2.5) * x - 4) * x + 2)
        return np.where(x < 1, near, np.where(x < 2, far, 0))
    with np.errstate(invalid="ignore", divide="ignore"):  # Lanczos-3: sinc(x) sinc(x / 3)
        px = np.pi * x
        out = np.where(x == 0, 1, np.sin(px) / px * np.sin(px / 3) / (px / 3))
    return np.where(x < 3, out, 0)


def _scale(n_in: int, n_out: int, align: bool, scale) -> float:
    """torch's area_pixel_compute_scale."""
    if align:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else n_in / n_out


def _axis_matrix(n_in: int, n_out: int, scale, mode: str, align: bool) -> np.ndarray:
    """The (n_out, n_in) float64 matrix of one axis' interpolation weights."""
    s = _scale(n_in, n_out, align, scale)
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if mode == "bicubic":
        real = s * rows if align else s * (rows + 0.5) - 0.5
        idx = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
        t = np.clip(real - idx, 0, 1)
        for k, w in enumerate(_cubic(t, -0.75)):  # taps at the border repeat the edge
            np.add.at(m, (rows, np.clip(idx - 1 + k, 0, n_in - 1)), w)
        return m
    size = _SIZES[mode]
    support = size / 2 * s if s >= 1 else size / 2
    invscale = 1 / s if s >= 1 else 1.0
    max_taps = math.ceil(support) * 2 + 1
    for i in range(n_out):
        center = s * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        count = min(max(min(int(center + support + 0.5), n_in) - lo, 0), max_taps)
        w = _filter(mode, (np.arange(count) + lo - center + 0.5) * invscale)
        total = w.sum()
        m[i, lo:lo + count] = w / total if total != 0 else w
    return m


def _apply(x: np.ndarray, mats: list, transpose: bool) -> np.ndarray:
    for j, mat in enumerate(mats):
        ax = x.ndim - len(mats) + j
        mat = mat.astype(x.dtype)
        x = np.moveaxis(np.matmul(mat.T if transpose else mat, np.moveaxis(x, ax, -2)), -2, ax)
    return x


def _mats(in_size: tuple, output_size: tuple, scales: tuple, mode: str, align: bool) -> list:
    if min(in_size) <= 0 or min(output_size) <= 0:
        show = [", ".join(f"{n}: {v}" for n, v in zip("HW", s)) for s in (in_size, output_size)]
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({show[0]}) output ({show[1]})")
    return [_axis_matrix(n, o, sc, mode, align)
            for n, o, sc in zip(in_size, output_size, scales)]


def _torch_fn(torch, x, output_size, scales, mode, align_corners):
    name = {"bicubic": "bicubic"}.get(mode, mode[:-3])
    return torch.nn.functional.interpolate(
        x, size=None if any(scales) else list(output_size),
        scale_factor=list(scales) if any(scales) else None, mode=name,
        align_corners=align_corners, antialias=mode.endswith("_aa"))


def _samples() -> list:
    out = []
    for mode in ("bicubic", "bilinear_aa", "bicubic_aa", "lanczos_aa"):
        for size, scales, align in (((3, 7), (None, None), False), ((6, 2), (None, None), True),
                                    ((8, 7), (2.0, 1.75), False)):
            if mode == "lanczos_aa" and align:
                continue
            out.append(((1, 2, 4, 4), {"output_size": size, "scales": scales, "mode": mode,
                                       "align_corners": align}))
    return out


@primitive("_upsample_separable", grad_fn=lambda output_size, scales, mode, align_corners:
           f"{_NODES[mode]}Backward0", inputs=("input",), export=False, samples=_samples(),
           torch_fn=_torch_fn)
def _upsample_separable(input, *, output_size, scales, mode, align_corners):
    """Resample the last two dims of (N, C, H, W) with mode's per-axis weight matrices."""
    mats = _mats(input.shape[-2:], tuple(output_size), scales, mode, align_corners)
    return _apply(input, mats, False).astype(input.dtype, copy=False)


@_upsample_separable.vjp
def _(grad, input_shape, *, output_size, scales, mode, align_corners):
    return _upsample_separable_backward(grad, input_size=tuple(input_shape),
                                        output_size=output_size, scales=scales, mode=mode,
                                        align_corners=align_corners)


@primitive("_upsample_separable_backward", grad_fn=lambda input_size, output_size, scales, mode,
           align_corners: f"{_NODES[mode]}BackwardBackward0", export=False,
           samples=[((1, 2, 3, 7), {"input_size": (1, 2, 4, 4), "output_size": (3, 7),
                                    "scales": (None, None), "mode": m, "align_corners": False})
                    for m in ("bicubic", "bicubic_aa")], skips=("torch",))
def _upsample_separable_backward(grad, *, input_size, output_size, scales, mode, align_corners):
    """d _upsample_separable / d input: the transposed weight matrices."""
    mats = _mats(tuple(input_size[-2:]), tuple(output_size), scales, mode, align_corners)
    return _apply(grad, mats, True).astype(grad.dtype, copy=False)


@_upsample_separable_backward.vjp
def _(ggi, *, input_size, output_size, scales, mode, align_corners):
    return _upsample_separable(ggi, output_size=output_size, scales=scales, mode=mode,
                               align_corners=align_corners)
