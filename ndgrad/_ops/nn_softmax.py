"""Softmax family and attention: SoftmaxBackward0, LogSoftmaxBackward0 (with fused backward
nodes), SafeSoftmaxBackward0 and CPU flash attention's node."""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import STATE
from ._registry import composite, primitive
from .nn import _wrap

# *** softmax ***

def _softmax_np(x: np.ndarray, dim: int, log: bool) -> np.ndarray:
    d = _wrap(dim, x.ndim)
    if x.ndim == 0:  # x - x: 0 (log) or 1, and nan for inf or nan, as torch
        return _softmax_np(x.reshape(1), 0, log).reshape(())
    if x.size == 0:
        return x.copy()
    shifted = x - np.max(x, axis=d, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=d, keepdims=True)
    return shifted - np.log(s) if log else e / s


def _sum_dim(x: np.ndarray, dim: int) -> np.ndarray:
    return x if x.ndim == 0 else x.sum(axis=_wrap(dim, x.ndim), keepdims=True)


def _tsum(x: Tensor, dim: int) -> Tensor:
    return x if x.ndim == 0 else x.sum(dim, keepdim=True)


_SOFTMAX_SAMPLES = [((2, 3), {"dim": 1}), ((3,), {"dim": 0}), ((2, 3, 2), {"dim": -2}),
                    ((), {"dim": 0})]


@primitive("_softmax", grad_fn="SoftmaxBackward0", export=False, samples=_SOFTMAX_SAMPLES,
           torch_fn=lambda torch, x, dim: torch.softmax(x, dim))
def _softmax(input, *, dim):
    return _softmax_np(input, dim, False)


@_softmax.vjp
def _(grad, result, *, dim):
    return _softmax_backward_data(grad, result, dim=dim)


@primitive("_softmax_backward_data", grad_fn="SoftmaxBackwardDataBackward0", export=False,
           inputs=("grad_output", "output"),
           samples=[(((2, 3), (2, 3)), {"dim": 1}), (((3,), (3,)), {"dim": 0})],
           torch_fn=lambda torch, g, y, dim: torch.ops.aten._softmax_backward_data(
               g, y, dim, y.dtype))
def _softmax_backward_data(grad_output, output, *, dim):
    return output * (grad_output - _sum_dim(grad_output * output, dim))


@_softmax_backward_data.vjp
def _(grad, grad_output, output, needs_input_grad, *, dim):
    # g_in = y (g - Σ g y) is self-adjoint in g; in y it is u (g - Σ g y) - g Σ u y
    gg = _softmax_backward_data(grad, output, dim=dim) if needs_input_grad[0] else None
    gy = None
    if needs_input_grad[1]:
        gy = grad * (grad_output - _tsum(grad_output * output, dim)) - grad_output * _tsum(
            grad * output, dim)
    return gg, gy


@primitive("_log_softmax", grad_fn="LogSoftmaxBackward0", export=False, samples=_SOFTMAX_SAMPLES,
           torch_fn=lambda torch, x, dim: torch.log_softmax(x, dim))
def _log_softmax(input, *, dim):
    return _softmax_np(input, dim, True)


@_log_softmax.vjp
def _(grad, result, *, dim):
    return _log_softmax_backward_data(grad, result, dim=dim)


@primitive("_log_softmax_backward_data", grad_fn="LogSoftmaxBackwardDataBackward0", export=False,
           inputs=("grad_output", "output"),
           samples=[(((2, 3), (2, 3)), {"dim": 1}), (((3,), (3,)), {"dim": 0})],
           torch_fn=lambda torch, g, y, dim: torch.ops.aten._log_softmax_backward_data(
               g, y, dim, y.dtype))
def _log_softmax_backward_data(grad_output, output, *, dim):
    return grad_output - np.exp(output) * _sum_dim(grad_output, dim)


@_log_softmax_backward_data.vjp
def _(grad, grad_output, output, needs_input_grad, *, dim):
    # g_in = g - e^y Σ g: d/dg = u - Σ u e^y, d/dy = -u e^y Σ g
    e = output.exp()
    return (grad - _tsum(grad * e, dim) if needs_input_grad[0] else None,
            -grad * e * _tsum(grad_output, dim) if needs_input_grad[1] else None)


def _softmax_input(input: Tensor, dtype, kernel: str) -> Tensor:
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f'"{kernel}" not implemented for '
            f"'{_TORCH_TYPE.get(input._data.dtype.name, input._data.dtype.name)}'")
    return input


_TORCH_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def _torch_dtype(torch, dtype):
    return None if dtype is None else getattr(torch, dtype.name)


@composite("softmax", samples=[((2, 3), {"dim": 1}), ((2, 3), {"dim": 0, "dtype": _dtype.float64})],
           torch_fn=lambda torch, x, dim, dtype=None: torch.softmax(
               x, dim, _torch_dtype(torch, dtype)))
def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim (computed in dtype if given).

    Example::
        >>> ndgrad.softmax(ndgrad.tensor([0., 0.]), 0)
        tensor([0.5000, 0.5000])
    """
    return _softmax(_softmax_input(input, dtype, "softmax_lastdim_kernel_impl"), dim=dim)


@composite("log_softmax",
           samples=[((2, 3), {"dim": 1}), ((2, 3), {"dim": 0, "dtype": _dtype.float64})],
           torch_fn=lambda torch, x, dim, dtype=None: torch.log_softmax(
               x, dim, _torch_dtype(torch, dtype)))
def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """x - logsumexp(x) along dim (computed in dtype if given).

    Example::
        >>> ndgrad.log_softmax(ndgrad.tensor([0., 0.]), 0)
        tensor([-0.6931, -0.6931])
    """
    return _log_softmax(_softmax_input(input, dtype, "log_softmax_lastdim_kernel_impl"), dim=dim)



# *** attention ***

@primitive("_safe_softmax", grad_fn="SafeSoftmaxBackward0", export=False,
           samples=[((2, 3), {"dim": -1}), ((3,), {"dim": 0})],
           torch_fn=lambda torch, x, dim: torch._safe_softmax(x, dim))
def _safe_softmax(input, *, dim):
    out = _softmax_np(input, dim, False)
    if input.ndim:  # rows that are entirely -inf (fully masked) give 0, not NaN
        dead = np.all(input == -np.inf, axis=_wrap(dim, input.ndim), keepdims=True)
        out = np.where(dead, 0, out).astype(input.dtype, copy=False)
    return out


@_safe_softmax.vjp
def _(grad, result, *, dim):
    return _softmax_backward_data(grad, result, dim=dim)


def _attn_scores(q: Tensor, k: Tensor, mask, is_causal: bool, scale: float) -> Tensor:
    s = q.matmul(k.transpose(-2, -1)) * scale
    if is_causal:
        ql, kl = q.shape[-2], k.shape[-2]
        mask = Tensor._make(np.where(np.tri(ql, kl, dtype=bool), 0, -np.inf).astype(s._data.dtype))
    return s if mask is None else s + mask


def _repeat_heads(x: Tensor, groups: int) -> Tensor:
    """(B, Hkv, L, E) -> (B, Hkv * groups, L, E), each head repeated `groups` times in place."""
    if groups == 1:
        return x
    b, h, length, e = x.shape
    return x.unsqueeze(2).expand(b, h, groups, length, e).reshape(b, h * groups, length, e)


@primitive("_scaled_dot_product_flash_attention_for_cpu",
           grad_fn="ScaledDotProductFlashAttentionForCpuBackward0", export=False,
           inputs=("query", "key", "value", "attn_mask"), nondiff_inputs=("attn_mask",),
           samples=[(((1, 2, 3, 2), (1, 2, 4, 2), (1, 2, 4, 2), None),
                     {"is_causal": False, "scale": 0.7}),
                    (((1, 2, 3, 2), (1, 2, 3, 2), (1, 2, 3, 2), None),
                     {"is_causal": True, "scale": 0.5}),
                    (((1, 2, 2, 2), (1, 2, 3, 2), (1, 2, 3, 2), (2, 3)),
                     {"is_causal": False, "scale": 1.0})],
           torch_fn=lambda torch, q, k, v, m, is_causal, scale: torch.nn.functional
           .scaled_dot_product_attention(q, k, v, m, 0.0, is_causal, scale=scale))
def _sdpa_flash(query, key, value, attn_mask, *, is_causal, scale):
    groups = query.shape[1] // key.shape[1]
    if groups > 1:
        key, value = np.repeat(key, groups, axis=1), np.repeat(value, groups, axis=1)
    p = _safe_softmax.forward(_scores_np(query, key, attn_mask, is_causal, scale), dim=-1)
    return (p @ value).astype(query.dtype, copy=False)


def _scores_np(q: np.ndarray, k: np.ndarray, mask, is_causal: bool, scale: float) -> np.ndarray:
    s = (q @ np.swapaxes(k, -1, -2)) * scale
    if is_causal:
        s = np.where(np.tri(s.shape[-2], s.shape[-1], dtype=bool), s, -np.inf)
    return s if mask is None else s + mask


def _sdpa_grads_np(grad, query, key, value, attn_mask, is_causal, scale, groups) -> tuple:
    """The flash node's backward on arrays (nothing recorded)."""
    q, g = query._data, grad._data
    k, v = np.repeat(key._data, groups, 1), np.repeat(value._data, groups, 1)
    mask = None if attn_mask is None else attn_mask._data
    p = _safe_softmax.forward(_scores_np(q, k, mask, is_causal, scale), dim=-1)
    dp = g @ np.swapaxes(v, -1, -2)
    ds = p * (dp - (dp * p).sum(-1, keepdims=True)) * scale
    gk, gv = np.swapaxes(ds, -1, -2) @ q, np.swapaxes(p, -1, -2) @ g
    if groups > 1:
        gk = gk.reshape(key.shape[:2] + (groups,) + gk.shape[2:]).sum(2)
        gv = gv.reshape(value.shape[:2] + (groups,) + gv.shape[2:]).sum(2)
    return tuple(Tensor._make(np.asarray(x, dtype=q.dtype)) for x in (ds @ k, gk, gv)) + (None,)


@_sdpa_flash.vjp
def _(grad, query, key, value, attn_mask, *, is_causal, scale):
    groups = query.shape[1] // key.shape[1]
    if not STATE.enabled:  # a plain backward: the same formula in one pass on arrays
        return _sdpa_grads_np(grad, query, key, value, attn_mask, is_causal, scale, groups)
    k, v = _repeat_heads(key, groups), _repeat_heads(value, groups)
    p = _safe_softmax(_attn_scores(query, k, attn_mask, is_causal, scale), dim=-1)
    ds = _softmax_backward_data(grad.matmul(v.transpose(-2, -1)), p, dim=-1) * scale
    gk, gv = ds.transpose(-2, -1).matmul(query), p.transpose(-2, -1).matmul(grad)
    if groups > 1:  # the repeated heads of key / value add up into their source head
        b, h, length, e = key.shape
        gk = gk.reshape(b, h, groups, length, e).sum(2)
        gv = gv.reshape(b, h, groups, length, v.shape[-1]).sum(2)
    return ds.matmul(k), gk, gv, None
