"""Distances: p-norms (NormBackward1), cdist, cosine similarity, pairwise distance, and the
C++-internal overloads torch's nn composites leave on their outputs (ClampMinBackward0,
DivBackward1)."""
from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._registry import composite, primitive
from .nn import UNARY, _wrap
from .pointwise import where

# *** C++-internal pointwise overloads that torch's nn composites record ***
# NOTE: ClampMinBackward0 / DivBackward1 / NormBackward1 are what at::margin_ranking_loss,
# cross_entropy and pairwise_distance leave on their outputs; if pointwise.py / reduction.py gain
# these overloads, these three become aliases of them.

@primitive("_clamp_min", grad_fn="ClampMinBackward0", export=False, kinks=(0.5,), shapes=UNARY,
           attrs={"min": 0.5}, torch_fn=lambda torch, x, min: torch.clamp_min(x, min))
def _clamp_min(input, *, min):
    return np.maximum(input, min).astype(input.dtype, copy=False)


@_clamp_min.vjp
def _(grad, input, *, min):
    return where(input >= min, grad, 0.0)


@primitive("_div_scalar", complex="holomorphic", grad_fn="DivBackward1", export=False, shapes=UNARY,
           attrs={"other": 4.0}, torch_fn=lambda torch, x, other: torch.ops.aten.div.Scalar(
               x, other))
def _div_scalar(input, *, other):
    return (input / other).astype(input.dtype, copy=False)


@_div_scalar.vjp
def _(grad, *, other):
    return grad / other


def _norm_np(x: np.ndarray, p: float, dim: tuple, keepdim: bool) -> np.ndarray:
    a = np.abs(x)
    if p == math.inf:
        return np.amax(a, axis=dim, keepdims=keepdim)
    if p == -math.inf:
        return np.amin(a, axis=dim, keepdims=keepdim)
    if p == 0:
        return np.sum(a != 0, axis=dim, keepdims=keepdim).astype(a.dtype)
    if p == 1:
        return np.sum(a, axis=dim, keepdims=keepdim)
    if p == 2:
        return np.sqrt(np.sum(a * a, axis=dim, keepdims=keepdim))
    return np.power(np.sum(np.power(a, p), axis=dim, keepdims=keepdim), 1.0 / p)


def _norm_grad(grad: Tensor, x: Tensor, norm: Tensor, p: float) -> Tensor:
    """d||x||_p / dx times grad (grad and norm broadcast against x); 0 where the norm is 0.
    sgn, not sign: for complex x the gradient of |x| is sgn(x) = x / |x|."""
    if p == 0:
        return x * 0
    if p == 1:
        return grad * x.sgn()
    if p in (math.inf, -math.inf):  # ties share the gradient, as amax's does
        mask = x.abs() == norm
        return x.sgn() * mask * (grad / mask.sum(-1, keepdim=True))
    zero = norm == 0
    scale = where(zero, 0.0, grad / where(zero, 1.0, norm) ** (p - 1))
    if p == 2:
        return x * scale
    return x.sgn() * x.abs() ** (p - 1) * scale


@primitive("_norm", complex=True, grad_fn="NormBackward1", export=False,
           torch_fn=lambda torch, x, **k:
           torch.ops.aten.norm.ScalarOpt_dim(x, k["p"], [k["dim"]], k["keepdim"]),
           samples=[((2, 3), {"p": 2.0, "dim": -1, "keepdim": False}),
                    ((2, 3), {"p": 1.0, "dim": 1, "keepdim": True}),
                    ((2, 3), {"p": 3.0, "dim": -1, "keepdim": False}),
                    ((2, 3), {"p": math.inf, "dim": -1, "keepdim": False})], kinks=(0.0,))
def _norm(input, *, p, dim, keepdim):
    return _norm_np(input, float(p), _wrap(dim, input.ndim), keepdim)


@_norm.vjp
def _(grad, input, result, *, p, dim, keepdim):
    if not keepdim and input.ndim:
        d = _wrap(dim, input.ndim)
        grad, result = grad.unsqueeze(d), result.unsqueeze(d)
    if float(p) in (math.inf, -math.inf):
        d = _wrap(dim, input.ndim)
        x = input.transpose(d, -1) if d != input.ndim - 1 else input
        g = _norm_grad(grad.transpose(d, -1) if d != input.ndim - 1 else grad, x,
                       result.transpose(d, -1) if d != input.ndim - 1 else result, float(p))
        return g.transpose(d, -1) if d != input.ndim - 1 else g
    return _norm_grad(grad, input, result, float(p))


# *** distances ***

def _cdist_np(x1: np.ndarray, x2: np.ndarray, p: float) -> np.ndarray:
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    return _norm_np(diff, p, -1, False)


@primitive("_cdist_forward", grad_fn="CdistBackward0", export=False, inputs=("x1", "x2"),
           samples=[(((3, 2), (4, 2)), {"p": 2.0}), (((2, 3, 2), (1, 2, 2)), {"p": 1.0}),
                    (((3, 2), (2, 2)), {"p": 3.0}), (((3, 2), (2, 2)), {"p": math.inf})],
           torch_fn=lambda torch, a, b, p: torch.cdist(a, b, p,
                                                       "donot_use_mm_for_euclid_dist"))
def _cdist_forward(x1, x2, *, p):
    return _cdist_np(x1, x2, float(p))


@_cdist_forward.vjp
def _(grad, x1, x2, result, needs_input_grad, *, p):
    p = float(p)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    g, r = grad.unsqueeze(-1), result.unsqueeze(-1)
    if p in (math.inf, -math.inf):  # every coordinate attaining the max takes the full grad
        c = g * diff.sign() * (diff.abs() == r)
    else:
        c = _norm_grad(g, diff, r, p)
    return (c.sum(-2) if needs_input_grad[0] else None,
            -c.sum(-3) if needs_input_grad[1] else None)


@composite("cdist", method=False, samples=[(((3, 2), (4, 2)), {}), (((2, 3, 2), (3, 2)),
                                                                    {"p": 1.0})])
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """p-norm distance between each row of x1 and each row of x2 (batched over leading dims).

    Example::
        >>> ndgrad.cdist(ndgrad.zeros(1, 2), ndgrad.tensor([[3., 4.]]))
        tensor([[5.]])
    """
    if x1.ndim < 2 or x2.ndim < 2:
        bad, d = ("X1", x1.ndim) if x1.ndim < 2 else ("X2", x2.ndim)
        raise RuntimeError(f"cdist only supports at least 2D tensors, {bad} got: {d}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    modes = (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
             "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    r1, r2 = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode in (None, modes[1]) and (r1 > 25 or r2 > 25)))
    if not use_mm:
        return _cdist_forward(x1, x2, p=p)
    # torch's matmul form: sqrt(clamp_min(|a|² - 2 a·b + |b|², 1e-30)), then a view
    a2 = (x1 * x1).sum(-1, keepdim=True)
    b2 = (x2 * x2).sum(-1, keepdim=True)
    d2 = a2 - 2 * x1.matmul(x2.transpose(-1, -2)) + b2.transpose(-1, -2)
    out = _clamp_min(d2, min=1e-30).sqrt()
    return out.view(out.shape)


# *** similarities (torch.* and F.* both) ***

@composite("cosine_similarity", method=False,
           samples=[(((2, 3), (2, 3)), {}), (((2, 3), (3,)), {"dim": -1}),
                    (((3, 2), (3, 2)), {"dim": 0, "eps": 0.5})])
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 · x2 / (max(||x1||, eps) max(||x2||, eps)) along dim, broadcasting x1 and x2.

    Example::
        >>> ndgrad.cosine_similarity(ndgrad.tensor([[1., 0.]]), ndgrad.tensor([[1., 1.]]))
        tensor([0.7071])
    """
    if x1._data.dtype.kind == "c" or x2._data.dtype.kind == "c":
        common = "ComplexDouble" if np.complex128 in (x1._data.dtype, x2._data.dtype) else \
            "ComplexFloat"
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           + common)
    shape = tuple(np.broadcast_shapes(x1.shape, x2.shape))
    x1 = x1 if x1.shape == shape else x1.expand(*shape)
    x2 = x2 if x2.shape == shape else x2.expand(*shape)
    d = _wrap(dim, len(shape))

    def unit(x: Tensor) -> Tensor:
        # torch clamps the norm in place under no_grad: the clamp is invisible to the gradient
        n = _norm(x, p=2.0, dim=d, keepdim=True)
        lifted = np.maximum(n._data, eps).astype(n._data.dtype) - n._data
        return x / (n + Tensor._make(lifted))  # a constant shift: tangents still flow

    return (unit(x1) * unit(x2)).sum(d)


@composite("pairwise_distance", method=False,
           samples=[(((2, 3), (2, 3)), {}), (((2, 3), (3,)), {"p": 1.0, "keepdim": True}),
                    (((3,), (3,)), {"p": 3.0})])
def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim.

    Example::
        >>> ndgrad.pairwise_distance(ndgrad.tensor([[0., 0.]]), ndgrad.tensor([[3., 4.]]), eps=0)
        tensor([5.])
    """
    dim = max(x1.ndim, x2.ndim) - 1
    return _norm(x1 - x2 + eps, p=p, dim=max(dim, 0), keepdim=keepdim)
