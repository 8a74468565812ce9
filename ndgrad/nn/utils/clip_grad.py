"""Gradient clipping by total norm or by value (in place on each .grad, never recorded)."""
from __future__ import annotations

import types
import warnings
from typing import Any, Iterable

import numpy as np

from ..._tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "get_total_norm"]


def _as_list(tensors: Tensor | Iterable[Tensor]) -> list:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(x: np.ndarray, p: float) -> np.ndarray:
    """torch.linalg.vector_norm of a flat array, in x's dtype."""
    a = np.abs(x.reshape(-1))
    if p == float("inf"):
        return a.max() if a.size else np.zeros((), x.dtype)
    if p == float("-inf"):
        return a.min()
    if p == 0:
        return np.asarray(np.count_nonzero(a), x.dtype)
    if p == 1:
        return a.sum(dtype=x.dtype)
    if p == 2:
        return np.sqrt((a * a).sum(dtype=x.dtype))
    return (a ** x.dtype.type(p)).sum(dtype=x.dtype) ** x.dtype.type(1.0 / p)


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The norm of the per-tensor norms (the norm of all tensors as one vector)."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        from ... import _creation

        return _creation.tensor(0.0)
    norms = [_vector_norm(t._data, norm_type) for t in tensors]
    dtype = np.result_type(*[n.dtype for n in norms])
    total = np.asarray(_vector_norm(np.stack([n.astype(dtype) for n in norms]), norm_type), dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor._make(total)


def _clip_grads_with_norm_(parameters: Any, max_norm: float, total_norm: Tensor,
                           foreach: bool | None = None) -> None:
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    t = total_norm._data
    # torch: max_norm / (total + 1e-6) is reciprocal(total + 1e-6) * max_norm, in total's dtype
    coef = np.minimum(t.dtype.type(1) / (t + t.dtype.type(1e-6)) * t.dtype.type(max_norm),
                      t.dtype.type(1.0))
    for g in grads:
        g._data[...] = g._data * coef.astype(g._data.dtype)
        g._vc[0] += 1


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale the gradients so their total norm is at most max_norm; returns the total norm.

    Example::
        >>> p = nn.Parameter(ndgrad.ones(4)); p.grad = ndgrad.full((4,), 3.0)
        >>> nn.utils.clip_grad_norm_([p], 1.0)
        tensor(6.)
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    _clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters: Tensor | Iterable[Tensor], max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p.grad
        if g is not None:
            dt = g._data.dtype.type
            np.clip(g._data, dt(-clip_value), dt(clip_value), out=g._data)
            g._vc[0] += 1
