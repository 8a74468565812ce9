"""Spatial transformers: grid_sampler_2d/3d (bilinear, nearest, bicubic sampling of an input at
normalized grid points, zeros/border/reflection padding) and affine_grid_generator."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .join import cat, stack
from .pointwise import where

_A = -0.75  # torch's cubic convolution constant


# *** where each output point samples ***
# Per spatial dim, a list of taps (index, valid, w, dw): integer source index and its validity
# (arrays, (N, P)), and the 1-D weight and its derivative as functions of t (Tensor), the
# fractional coordinate. t = t0 + mult * (g - g0) has t's value and the exact derivative
# d t / d grid (the coordinate pipeline is piecewise linear), so weights are differentiable.

def _unnormalize(g: np.ndarray, size: int, align: bool) -> np.ndarray:
    return ((g + 1) / 2) * (size - 1) if align else ((g + 1) * size - 1) / 2


def _reflect(c: np.ndarray, twice_low: int, twice_high: int) -> tuple:
    """torch's reflect_coordinates and d/dc of it."""
    if twice_low == twice_high:
        return np.zeros_like(c), np.zeros_like(c)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    sign = np.where(c < low, -1, 1).astype(c.dtype)
    a = np.abs(c - low)
    extra, flips = np.fmod(a, span), np.floor(a / span)
    even = flips % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _pad_coord(c: np.ndarray, size: int, padding: int, align: bool) -> tuple:
    """torch's compute_coordinates: (coordinate, d coordinate / d c) after border/reflection."""
    mult = np.ones_like(c)
    if padding == 2:
        c, mult = _reflect(c, 0, 2 * (size - 1)) if align else _reflect(c, -1, 2 * size - 1)
    if padding in (1, 2):
        inside = (c > 0) & (c < size - 1)
        c, mult = np.clip(c, 0, size - 1), np.where(inside, mult, 0)
    return c, mult


def _cubic(t: Tensor) -> list:
    """The four cubic-convolution weights of taps -1, 0, 1, 2 at fractional offset t."""
    def near(x):  # |x| <= 1
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _cubic_grad(t: Tensor) -> list:
    def near(x):
        return (3 * (_A + 2) * x - 2 * (_A + 3)) * x

    def far(x):
        return (3 * _A * x - 10 * _A) * x + 8 * _A

    return [far(t + 1), near(t), -near(1 - t), -far(2 - t)]


def _dim_taps(g: np.ndarray, size: int, mode: int, padding: int, align: bool) -> tuple:
    """(t0, mult, taps) of one spatial dim; g holds that dim's grid coordinates (N, P)."""
    c = _unnormalize(g, size, align)
    c = np.where(np.isfinite(c), c, -100)  # torch's safe_downgrade_to_int_range
    scale = np.asarray(((size - 1) / 2) if align else size / 2, g.dtype)
    if mode == 2:  # bicubic: the padding applies to each tap, not to the coordinate
        lo = np.floor(c)
        taps = []
        for i in range(4):
            idx = _pad_coord(lo - 1 + i, size, padding, align)[0].astype(np.int64)
            taps.append((idx, (idx >= 0) & (idx < size), i))
        return c - lo, np.broadcast_to(scale, c.shape), taps
    c, mult = _pad_coord(c, size, padding, align)
    if mode == 1:
        idx = np.rint(c).astype(np.int64)
        return np.zeros_like(c), mult * scale, [(idx, (idx >= 0) & (idx < size), None)]
    lo = np.floor(c)
    idx = lo.astype(np.int64)
    return c - lo, mult * scale, [(idx, (idx >= 0) & (idx < size), 0),
                                  (idx + 1, (idx + 1 >= 0) & (idx + 1 < size), 1)]


def _weights(kind, t: Tensor, mode: int) -> tuple:
    """(w, dw/dt) of one tap: bilinear (kind 0: 1 - t, 1: t), bicubic (kind: tap 0..3)."""
    if mode == 1:
        return None, None
    if mode == 0:
        return (1 - t, -1.0) if kind == 0 else (t, 1.0)
    return _cubic(t)[kind], _cubic_grad(t)[kind]


def _plan(input_shape: tuple, grid: np.ndarray, mode: int, padding: int, align: bool) -> tuple:
    """Per spatial dim (t0, mult, taps) for the points of grid (N, *out, nd)."""
    nd = grid.shape[-1]
    n = grid.shape[0]
    flat = grid.reshape(n, -1, nd)
    sizes = input_shape[2:]
    # grid's last dim lists x (the last spatial dim) first
    return [_dim_taps(flat[..., nd - 1 - m], sizes[m], mode, padding, align) for m in range(nd)]


def _sample_parts(input: Tensor, grid: Tensor, plan: list, mode: int) -> list:
    """[(flat index (N, C, P), valid (N, 1, P), [(w_m, dw_m) per dim], gathered values)]."""
    n, c = input.shape[0], input.shape[1]
    sizes = tuple(input.shape[2:])
    nd = len(sizes)
    flat_in = input.reshape(n, c, math.prod(sizes))
    g = grid.reshape(n, -1, nd)
    ts = []
    for m, (t0, mult, _) in enumerate(plan):
        gm = g[..., nd - 1 - m]
        ts.append(Tensor._make(t0) + Tensor._make(mult) * (gm - Tensor._make(gm._data)))
    parts = []
    for combo in np.ndindex(*[len(p[2]) for p in plan]):
        idx = sum(plan[m][2][k][0] * math.prod(sizes[m + 1:]) for m, k in enumerate(combo))
        valid = np.logical_and.reduce([plan[m][2][k][1] for m, k in enumerate(combo)])
        idx = np.where(valid, idx, 0)[:, None, :]
        ws = [_weights(plan[m][2][k][2], ts[m], mode) for m, k in enumerate(combo)]
        vals = flat_in.gather(2, Tensor._make(np.broadcast_to(idx, (n, c, idx.shape[-1]))))
        parts.append((idx, valid[:, None, :], ws, vals))
    return parts


def _product(ws: list, skip: int = -1) -> Tensor | None:
    out = None
    for m, (w, _) in enumerate(ws):
        if m != skip and w is not None:
            out = w if out is None else out * w
    return out


def _grid_sample(input: Tensor, grid: Tensor, mode: int, padding: int, align: bool) -> Tensor:
    plan = _plan(tuple(input.shape), grid._data, mode, padding, align)
    out = None
    for _, valid, ws, vals in _sample_parts(input, grid, plan, mode):
        w = _product(ws)
        term = vals if w is None else vals * w.unsqueeze(1)
        term = where(Tensor._make(valid), term, 0)
        out = term if out is None else out + term
    return out.reshape(tuple(input.shape[:2]) + tuple(grid.shape[1:-1]))


def _grid_sample_grad(grad: Tensor, input: Tensor, grid: Tensor, mode: int, padding: int,
                      align: bool, needs: tuple) -> tuple:
    n, c = input.shape[0], input.shape[1]
    nd = grid.shape[-1]
    plan = _plan(tuple(input.shape), grid._data, mode, padding, align)
    g = grad.reshape(n, c, -1)
    idxs, contribs = [], []
    gg = [None] * nd
    for idx, valid, ws, vals in _sample_parts(input, grid, plan, mode):
        ok = Tensor._make(valid)
        if needs[0]:
            w = _product(ws)
            contribs.append(where(ok, g if w is None else g * w.unsqueeze(1), 0))
            idxs.append(np.broadcast_to(idx, g.shape))
        if needs[1] and mode != 1:
            gv = where(ok, g * vals, 0).sum(1)  # (N, P): sum over channels
            for m in range(nd):
                others = _product(ws, m)
                d = ws[m][1] * Tensor._make(plan[m][1])
                term = gv * d if others is None else gv * others * d
                gg[m] = term if gg[m] is None else gg[m] + term
    if needs[0]:  # every tap's contribution in one scatter: one copy of the input's size
        gi = (input.reshape(n, c, -1) * 0).scatter_add(
            2, Tensor._make(np.concatenate(idxs, 2)), cat(contribs, 2))
    grad_input = gi.reshape(tuple(input.shape)) if needs[0] else None
    grad_grid = None
    if needs[1]:
        zero = grid.reshape(n, -1, nd)[..., 0] * 0
        comps = [gg[nd - 1 - j] if gg[nd - 1 - j] is not None else zero for j in range(nd)]
        grad_grid = stack(comps, -1).reshape(tuple(grid.shape))
    return grad_input, grad_grid


# *** the ops ***

_DTYPE = {"float16": "Half", "float32": "Float", "float64": "Double"}


def _check_sampler(input: np.ndarray, grid: np.ndarray, nd: int, mode: int) -> None:
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input "
                           f"has {_DTYPE.get(input.dtype.name, input.dtype.name)} and grid has "
                           f"{_DTYPE.get(grid.dtype.name, grid.dtype.name)}")
    shapes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.ndim != grid.ndim:
        raise RuntimeError("grid_sampler(): expected input and grid to have same number of "
                           f"dimensions, but got {shapes}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but "
                           f"got {shapes}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last "
                           f"dimension, but got grid with sizes {list(grid.shape)}")
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {list(input.shape)} with "
                               f"dimension {i} being empty")
    if input.ndim != nd + 2:
        raise RuntimeError(f"grid_sampler(): expected {nd + 2}D input and grid with same number "
                           f"of dimensions, but got {shapes}")
    if mode == 2 and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _sampler_forward(input: np.ndarray, grid: np.ndarray, mode: int, padding: int, align: bool,
                     nd: int) -> np.ndarray:
    _check_sampler(input, grid, nd, mode)
    return _grid_sample(Tensor._make(input), Tensor._make(grid), mode, padding, align)._data


def _sampler_samples(nd: int) -> list:
    shape = ((1, 2, 4, 5), (1, 3, 2, 2)) if nd == 2 else ((1, 2, 3, 4, 3), (1, 2, 2, 1, 3))
    modes = (0, 1, 2) if nd == 2 else (0, 1)
    return [(shape, {"interpolation_mode": m, "padding_mode": p, "align_corners": a})
            for m in modes for p, a in ((0, False), (1, True), (2, False), (2, True))]


@primitive("grid_sampler_2d", grad_fn="GridSampler2DBackward0", inputs=("input", "grid"), method=False, samples=_sampler_samples(2),
           domain={"input": (-2.0, 2.0), "grid": (-1.3, 1.3)},
           torch_fn=lambda torch, x, g, **a: torch.grid_sampler_2d(x, g, *a.values()))
def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """Sample (N, C, H, W) input at grid (N, H_out, W_out, 2) points (x, y in [-1, 1]);
    interpolation 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection.

    Example::
        >>> x = ndgrad.arange(4.).view(1, 1, 2, 2)
        >>> ndgrad.grid_sampler_2d(x, ndgrad.zeros(1, 1, 1, 2), 0, 0, True)
        tensor([[[[1.5000]]]])
    """
    return _sampler_forward(input, grid, interpolation_mode, padding_mode, align_corners, 2)


@grid_sampler_2d.vjp
def _(grad, input, grid, needs_input_grad, *, interpolation_mode, padding_mode, align_corners):
    return _grid_sample_grad(grad, input, grid, interpolation_mode, padding_mode, align_corners,
                             needs_input_grad)


@primitive("grid_sampler_3d", grad_fn="GridSampler3DBackward0", inputs=("input", "grid"),
           method=False, samples=_sampler_samples(3),
           domain={"input": (-2.0, 2.0), "grid": (-1.3, 1.3)},
           torch_fn=lambda torch, x, g, **a: torch.grid_sampler_3d(x, g, *a.values()))
def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """Sample (N, C, D, H, W) input at grid (N, D_out, H_out, W_out, 3) points (x, y, z);
    interpolation 0 (tri)linear or 1 nearest; padding 0 zeros, 1 border, 2 reflection."""
    return _sampler_forward(input, grid, interpolation_mode, padding_mode, align_corners, 3)


@grid_sampler_3d.vjp
def _(grad, input, grid, needs_input_grad, *, interpolation_mode, padding_mode, align_corners):
    return _grid_sample_grad(grad, input, grid, interpolation_mode, padding_mode, align_corners,
                             needs_input_grad)


@composite("grid_sampler", method=False)
def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """grid_sampler_2d for 4-D input, grid_sampler_3d for 5-D input."""
    op = grid_sampler_3d if input.ndim == 5 else grid_sampler_2d
    return op(input, grid, interpolation_mode, padding_mode, align_corners)


# *** affine grids ***

def _base_grid(size: tuple, align: bool, dtype) -> np.ndarray:
    """(*spatial, nd + 1) homogeneous coordinates (x, y[, z], 1) of a normalized grid."""
    def steps(n: int) -> np.ndarray:
        if n <= 1:
            return np.zeros(max(n, 0), dtype)
        r = np.linspace(-1, 1, n, dtype=dtype)
        return r if align else (r * (n - 1) / n).astype(dtype)

    spatial = size[2:]
    axes = [steps(n) for n in spatial][::-1]  # x first
    mesh = list(np.meshgrid(*axes[::-1], indexing="ij"))[::-1]
    return np.stack(mesh + [np.ones(spatial, dtype)], -1)


@primitive("affine_grid_generator", grad_fn="AffineGridGeneratorBackward0", inputs=("theta",),
           method=False, samples=[((2, 2, 3), {"size": (2, 3, 4, 5), "align_corners": False}),
                                  ((1, 3, 4), {"size": (1, 1, 2, 3, 2), "align_corners": True})])
def affine_grid_generator(theta, size, align_corners):
    """The sampling grid (N, *spatial, nd) of a batch of affine maps theta (N, nd, nd + 1).

    Example::
        >>> theta = ndgrad.tensor([[[1., 0., 0.], [0., 1., 0.]]])
        >>> ndgrad.affine_grid_generator(theta, (1, 1, 1, 2), False)
        tensor([[[[-0.5000,  0.0000],
                  [ 0.5000,  0.0000]]]])
    """
    base = _base_grid(tuple(size), align_corners, theta.dtype)
    n, nd = theta.shape[0], len(size) - 2
    flat = base.reshape(-1, nd + 1)
    return np.matmul(flat, theta.transpose(0, 2, 1)).reshape((n,) + tuple(size[2:]) + (nd,))


@affine_grid_generator.vjp
def _(grad, *, size, align_corners):
    nd = len(size) - 2
    base = Tensor._make(_base_grid(tuple(size), align_corners, grad._data.dtype)
                        .reshape(-1, nd + 1))
    g = grad.reshape(grad.shape[0], -1, nd)
    return g.transpose(1, 2).matmul(base)
