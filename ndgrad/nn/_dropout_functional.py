"""torch.nn.functional's dropout family (the keep masks come from the default generator, as
torch draws them) and scaled dot-product attention."""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _random
from .._ops._registry import REGISTRY, composite
from .._ops.random import draw_like
from .._tensor import Tensor


def _tensor_like(values: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(values))


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


# *** dropout ***

def _noise(input: Tensor, shape: tuple, p: float) -> np.ndarray:
    """The Bernoulli(1 - p) keep mask torch draws for input (from the default generator): laid
    out as input and drawn in its memory order (empty_like), or per channel for feature dropout."""
    gen, dt = _random.default_generator, input._data.dtype
    if shape == input._data.shape:
        return draw_like(input._data, lambda s: gen.dropout_mask(s, dt, p))
    return gen.dropout_mask(shape, dt, p)


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, feature: bool,
                  alpha: bool) -> Tensor:
    _check_p(p)
    if p == 0 or not training or input.numel() == 0:
        return input
    if p == 1:
        zero = _tensor_like(np.zeros((), dtype=input._data.dtype))
        return input.mul_(zero) if inplace else input * zero
    if feature and input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = (tuple(input.shape[:2]) + (1,) * (input.ndim - 2)) if feature else tuple(input.shape)
    noise = _noise(input, shape, p)
    dt = noise.dtype.type
    if alpha:
        a_ = 1.7580993408473766  # SELU's scale * alpha: dropped units go to SELU's floor -a_
        a = 1.0 / math.sqrt((a_ * a_ * p + 1) * (1 - p))
        b = (noise - 1) * dt(a_ * a) + dt(a_ * a * p)
        noise = noise * dt(a)
        out = input.mul_(_tensor_like(noise)) if inplace else input * _tensor_like(noise)
        return out.add_(_tensor_like(b)) if inplace else out + _tensor_like(b)
    noise = noise / dt(1 - p)
    return input.mul_(_tensor_like(noise)) if inplace else input * _tensor_like(noise)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (training only).

    Example::
        >>> F.dropout(ndgrad.ones(3), 0.5, training=False)
        tensor([1., 1., 1.])
    """
    return _dropout_impl(input, p, training, inplace, False, False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance (training only).

    Example::
        >>> F.alpha_dropout(ndgrad.ones(2), 0.5)
        tensor([1., 1.])
    """
    return _dropout_impl(input, p, training, inplace, False, True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels (dim 1).

    Example::
        >>> F.feature_alpha_dropout(ndgrad.ones(1, 2), 0.5)
        tensor([[1., 1.]])
    """
    return _dropout_impl(input, p, training, inplace, True, True)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool) -> Tensor:
    if batched:
        return _dropout_impl(input, p, training, inplace, True, False)
    if inplace:  # torch's unsqueeze_ refuses a leaf that requires grad whatever p and training
        input._check_inplace(overlap_ok=True)
    out = _dropout_impl(input.unsqueeze(0), p, training, inplace, True, False)
    # in place, the write went through the batched view into input (torch: unsqueeze_/squeeze_)
    return input if inplace else out.squeeze(0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p.

    Example::
        >>> F.dropout1d(ndgrad.ones(1, 2, 3), 0.5, training=False).shape
        torch.Size([1, 2, 3])
    """
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           "input. Note that dropout1d exists to provide channel-wise dropout on "
                           "inputs with 1 spatial dimension, a channel dimension, and an optional "
                           "batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.ndim == 3)


def _feature_dim_warning(name: str, ndim: int, spatial: int) -> None:
    lo, hi = spatial + 1, spatial + 2
    warnings.warn(f"{name}: Received a {ndim}-D input to {name}, which is deprecated and will "
                  "result in an error in a future release. To retain the behavior and silence "
                  f"this warning, please use dropout instead. Note that {name} exists to provide "
                  f"channel-wise dropout on inputs with {spatial} spatial dimensions, a channel "
                  f"dimension, and an optional batch dimension (i.e. {lo}D or {hi}D inputs).",
                  UserWarning, stacklevel=3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability p.

    Example::
        >>> F.dropout2d(ndgrad.ones(1, 2, 2, 2), 0.5, training=False).shape
        torch.Size([1, 2, 2, 2])
    """
    _check_p(p)
    if input.ndim not in (3, 4):
        _feature_dim_warning("dropout2d", input.ndim, 2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
                      "to using dropout1d instead.", UserWarning, stacklevel=2)
    return _dropout_impl(input, p, training, inplace, True, False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p.

    Example::
        >>> F.dropout3d(ndgrad.ones(1, 2, 1, 1, 1), 0.5, training=False).shape
        torch.Size([1, 2, 1, 1, 1])
    """
    _check_p(p)
    if input.ndim not in (4, 5):
        _feature_dim_warning("dropout3d", input.ndim, 3)
    return _feature_dropout(input, p, training, inplace, input.ndim == 5)


# *** attention ***

def _flash_ok(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float,
              enable_gqa: bool) -> bool:
    """torch's CPU rule for its fused (flash) kernel."""
    if dropout_p > 0 or not (q.ndim == k.ndim == v.ndim == 4):
        return False
    if q.dtype != k.dtype or q.dtype != v.dtype or q._data.dtype.kind != "f":
        return False
    if not q.shape[0] == k.shape[0] == v.shape[0]:
        return False
    hq, hk, hv = q.shape[1], k.shape[1], v.shape[1]
    if enable_gqa:
        if hk != hv or hq % hk:
            return False
    elif not hq == hk == hv:
        return False
    if mask is not None:
        if mask.requires_grad or mask.ndim not in (2, 4):
            return False
        if mask.shape[-2] not in (q.shape[2], 1) or mask.shape[-1] not in (k.shape[2], 1):
            return False
        if mask.ndim == 4 and (mask.shape[0] not in (1, q.shape[0])
                               or mask.shape[1] not in (1, hq)):
            return False
    if not q.shape[-1] == k.shape[-1] == v.shape[-1]:
        return False
    if q.shape[-2] == 0 or k.shape[-2] == 0:
        return False
    return all(t.shape[-1] == 1 or t.stride(-1) == 1 for t in (q, k, v))


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q kᵀ * scale + mask) v, with a boolean (keep where True) or additive float mask,
    an optional causal mask and attention dropout.

    Example::
        >>> q = ndgrad.ones(1, 2, 4)
        >>> F.scaled_dot_product_attention(q, q, q).shape
        torch.Size([1, 2, 4])
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    sc = scale if scale is not None else 1.0 / math.sqrt(query.shape[-1])
    mask = attn_mask
    if mask is not None and mask._data.dtype == np.bool_:
        mask = _tensor_like(np.where(mask._data, 0, -np.inf).astype(query._data.dtype))
    if _flash_ok(query, key, value, mask, dropout_p, enable_gqa):
        return REGISTRY["_scaled_dot_product_flash_attention_for_cpu"].public(
            query, key, value, mask, is_causal=is_causal, scale=sc)
    if enable_gqa and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        groups = query.shape[-3] // key.shape[-3]
        key, value = (t.repeat_interleave(groups, -3) for t in (key, value))
    root = math.sqrt(sc)  # torch scales q and k by sqrt(scale) each
    attn = (query * root).matmul(key.transpose(-2, -1) * root)
    if is_causal:
        ql, kl = query.shape[-2], key.shape[-2]
        mask = _tensor_like(np.where(np.tri(ql, kl, dtype=bool), 0, -np.inf)
                            .astype(query._data.dtype))
    if mask is not None:
        attn = attn + mask
    attn = REGISTRY["_safe_softmax"].public(attn, dim=-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


# *** the torch.* spellings (torch.dropout(input, p, train), ...) ***

@composite("dropout", method=False)
def _torch_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.dropout(input, p, train)."""
    return _dropout_impl(input, p, train, False, False, False)


@composite("alpha_dropout", method=False)
def _torch_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.alpha_dropout(input, p, train)."""
    return _dropout_impl(input, p, train, False, False, True)


@composite("feature_alpha_dropout", method=False)
def _torch_feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """torch.feature_alpha_dropout(input, p, train)."""
    return _dropout_impl(input, p, train, False, True, True)
