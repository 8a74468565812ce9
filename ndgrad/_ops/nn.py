"""nn ops whose nodes users see by name (BinaryCrossEntropyWithLogitsBackward0, ...)."""
from __future__ import annotations

import numpy as np

from ._registry import primitive

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(loss.mean(), dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(loss.sum(), dtype=loss.dtype)
    return loss


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


@primitive("binary_cross_entropy_with_logits", grad_fn="BinaryCrossEntropyWithLogitsBackward0",
           inputs=("input", "target", "weight", "pos_weight"), method=False,
           samples=[(((3,), (3,), None, None), {"reduction": "mean"}),
                    (((2, 3), (2, 3), (3,), (3,)), {"reduction": "sum"}),
                    (((2, 3), (2, 3), None, None), {"reduction": "none"})],
           domain={"input": (-2.0, 2.0), "target": (0.0, 1.0), "weight": (0.5, 1.5),
                   "pos_weight": (0.5, 2.0)},
           nondiff_inputs=("weight", "pos_weight"),
           torch_fn=lambda torch, x, t, w, pw, reduction: torch.nn.functional
           .binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction=reduction))
def binary_cross_entropy_with_logits(input, target, weight, pos_weight, *, reduction="mean"):
    # loss = (1 - t) x - w_pos log σ(x), with w_pos = (p - 1) t + 1
    log_sig = _log_sigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.astype(input.dtype, copy=False), reduction)


def _scale(grad, input, weight, reduction):
    if reduction == "mean":
        grad = grad / input._data.size
    return grad if weight is None else grad * weight


@binary_cross_entropy_with_logits.vjp
def _(grad, input, target, weight, pos_weight, needs_input_grad, *, reduction):
    from .pointwise import sigmoid

    g = _scale(grad, input, weight, reduction)
    gi = gt = None
    if needs_input_grad[0]:
        if pos_weight is None:
            gi = g * (sigmoid(input) - target)
        else:
            pt = pos_weight * target
            gi = g * ((pt + 1 - target) * sigmoid(input) - pt)
    if needs_input_grad[1]:
        if pos_weight is None:
            gt = g * -input
        else:  # d/dt = -x + (p - 1) softplus(-x) = -x - (p - 1) log σ(x)
            from .pointwise import log

            gt = g * (-input - (pos_weight - 1) * log(sigmoid(input)))
    return gi, gt, None, None
