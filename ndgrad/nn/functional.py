"""torch.nn.functional: composites over ndgrad ops (rules live only in ndgrad._ops)."""
from __future__ import annotations

from typing import Any

from .._ops._registry import REGISTRY
from .._tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """Map torch's deprecated size_average/reduce pair onto reduction."""
    if size_average is None and reduce is None:
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{reduction} is not a valid value for reduction")
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else ("mean" if size_average else "sum")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: Any = None, reduce: Any = None,
                                     reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy on logits, computed stably: (1 - y) x + w_pos softplus(-x).

    Example::
        >>> F.binary_cross_entropy_with_logits(ndgrad.zeros(2), ndgrad.ones(2))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None and t._requires_grad:
            raise RuntimeError(f"The function 'binary_cross_entropy_with_logits' is not "
                               f"differentiable with respect to argument '{name}'. This input "
                               "cannot have requires_grad True.")
    op = REGISTRY["binary_cross_entropy_with_logits"]
    return op.public(input, target, weight, pos_weight, reduction=reduction)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0).

    Example::
        >>> F.relu(ndgrad.tensor([-1., 2.]))
        tensor([0., 2.])
    """
    return input.relu_() if inplace else input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-input))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return input.tanh()
