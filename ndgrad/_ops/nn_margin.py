"""Multi-class margin losses whose nodes users see by name: multi_margin_loss
(MultiMarginLossBackward0) and multilabel_margin_loss (MultilabelMarginLossBackward0)."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._registry import primitive
from .nn import _reduce

_TYPE = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long",
         "int32": "Int"}


def _frames(input: np.ndarray, name: str) -> tuple:
    """(nframe, dim) of a 0-d, (C,) or (N, C) input, with torch's shape check."""
    nd = input.ndim
    if not ((nd == 2 and input.shape[1] != 0) or (nd == 1 and input.shape[0] != 0) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    return (1 if nd <= 1 else input.shape[0]), (1 if nd == 0 else input.shape[-1])


def _check_long(target: np.ndarray) -> None:
    if target.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found "
                           f"{_TYPE.get(target.dtype.name, target.dtype.name)}")


# *** multi_margin_loss ***

def _multi_margin_terms(input: np.ndarray, target: np.ndarray, weight, p: int,
                        margin: float) -> tuple:
    """(x as (N, C), target as (N,), one-hot of the targets, z = margin - x[y] + x, the active
    non-target terms), with torch's checks."""
    _check_long(target)
    n, c = _frames(input, "multi_margin_loss")
    if target.ndim > 1 or target.size != n:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to "
                           f"the number of input samples (batch size). Expected target size "
                           f"[{n}], but got {list(target.shape)}. Input has shape "
                           f"{list(input.shape)}.")
    if weight is not None and weight.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    t = target.reshape(n)
    if t.size and (t.min() < 0 or t.max() >= c):
        raise RuntimeError("target out of range")
    x = input.reshape(n, c)
    onehot = np.arange(c) == t[:, None]
    z = margin - x[np.arange(n), t][:, None] + x
    return x, t, onehot, z, (z > 0) & ~onehot


@primitive("multi_margin_loss", grad_fn="MultiMarginLossBackward0", export=False,
           inputs=("input", "target", "weight"), nondiff_inputs=("target", "weight"),
           int_inputs={"target": (0, 4)},
           samples=[(((3, 4), (3,), None), {"p": 1, "margin": 1.0, "reduction": "mean"}),
                    (((3, 4), (3,), (4,)), {"p": 2, "margin": 0.5, "reduction": "none"}),
                    (((4,), (), (4,)), {"p": 1, "margin": 2.0, "reduction": "sum"})],
           torch_fn=lambda torch, x, t, w, p, margin, reduction:
           torch.nn.functional.multi_margin_loss(x, t, p, margin, w, reduction=reduction))
def multi_margin_loss(input, target, weight, p=1, margin=1.0, reduction="mean"):
    """Per sample, the mean over classes i != y of max(0, margin - x[y] + x[i])^p (times
    weight[y]); then reduced."""
    x, t, _, z, active = _multi_margin_terms(input, target, weight, p, margin)
    h = np.where(active, z if p == 1 else z * z, 0).astype(input.dtype, copy=False)
    if weight is not None:
        h = h * weight[t][:, None]
    loss = (h.sum(1) / x.shape[1]).astype(input.dtype, copy=False)
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "mean" and loss.size == 0:  # torch's mean over no samples is 0
        return np.zeros((), input.dtype)
    return _reduce(loss, reduction)


@multi_margin_loss.vjp
def _(grad, input, target, weight, *, p, margin, reduction):
    x, t, onehot, z, active = _multi_margin_terms(input._data, target._data,
                                                  None if weight is None else weight._data,
                                                  p, margin)
    n, c = x.shape
    scale = np.full(n, 1.0 / c) if weight is None else weight._data[t] / c
    g = grad.reshape(-1) if reduction == "none" else grad.expand(n) / (n if reduction == "mean"
                                                                      else 1)
    coef = Tensor._make((active * scale[:, None]).astype(x.dtype))
    if p == 2:  # d z² = 2 z dz, with z read from the input so double backward sees it
        xr = input.reshape(n, c)
        coef = coef * 2 * (margin - xr.gather(1, Tensor._make(t[:, None])) + xr)
    coef = coef * g.reshape(n, 1)
    gx = coef - Tensor._make(onehot.astype(x.dtype)) * coef.sum(1, keepdim=True)
    return gx.reshape(input.shape), None, None


# *** multilabel_margin_loss ***

def _multilabel_terms(input: np.ndarray, target: np.ndarray) -> tuple:
    """(z (N, J, C) = 1 - x[y_j] + x[i], the active (j, i) pairs, is_target (N, C))."""
    _check_long(target)
    n, c = _frames(input, "multilabel_margin_loss")
    ok = target.ndim <= 1 and target.size == c if input.ndim <= 1 else \
        target.ndim == 2 and target.shape == input.shape
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    x, t = input.reshape(n, c), target.reshape(n, c)
    valid = np.cumprod(t >= 0, axis=1).astype(bool)  # the targets before the first -1
    if (valid & (t >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    safe = np.where(valid, t, 0)
    is_target = np.zeros((n, c), bool)
    rows = np.broadcast_to(np.arange(n)[:, None], t.shape)
    is_target[rows[valid], safe[valid]] = True
    z = 1 - np.take_along_axis(x, safe, 1)[:, :, None] + x[:, None, :]
    active = valid[:, :, None] & ~is_target[:, None, :] & (z > 0)
    return x, z, active, is_target, safe


@primitive("multilabel_margin_loss", grad_fn="MultilabelMarginLossBackward0", export=False,
           inputs=("input", "target"), nondiff_inputs=("target",), int_inputs={"target": (-1, 4)},
           samples=[(((3, 4), (3, 4)), {"reduction": "mean"}),
                    (((4,), (4,)), {"reduction": "none"}),
                    (((2, 4), (2, 4)), {"reduction": "sum"})],
           torch_fn=lambda torch, x, t, reduction: torch.nn.functional.multilabel_margin_loss(
               x, t, reduction=reduction))
def multilabel_margin_loss(input, target, reduction="mean"):
    """Per sample, the sum over its targets y_j (listed before the first -1) and non-target
    classes i of max(0, 1 - x[y_j] + x[i]), over the class count; then reduced."""
    x, z, active, _, _ = _multilabel_terms(input, target)
    loss = (np.where(active, z, 0).sum((1, 2)) / x.shape[1]).astype(input.dtype, copy=False)
    if reduction == "none":
        return loss.reshape(input.shape[:-1] if input.ndim == 2 else ())
    return _reduce(loss, reduction)


@multilabel_margin_loss.vjp
def _(grad, input, target, *, reduction):
    x, _, active, _, safe = _multilabel_terms(input._data, target._data)
    n, c = x.shape
    # +1 at each active non-target i, -1 at the target y_j of each active pair
    coef = active.sum(1).astype(x.dtype)
    np.add.at(coef, (np.broadcast_to(np.arange(n)[:, None], safe.shape), safe),
              -active.sum(2).astype(x.dtype))
    g = grad.reshape(-1) if reduction == "none" else grad.expand(n) / (n if reduction == "mean"
                                                                      else 1)
    gx = Tensor._make(coef / c) * g.reshape(n, 1)
    return gx.reshape(input.shape), None
