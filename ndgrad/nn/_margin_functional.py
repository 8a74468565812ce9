"""torch.nn.functional's multi-class margin losses (argument handling over ndgrad/_ops/nn_margin.py)
and the triplet loss with a caller's distance function, which torch composes."""
from __future__ import annotations

from typing import Any, Callable

from .._ops import nn_margin as _margin
from .._ops.nn import pairwise_distance
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled
from ._reduction import resolve as _reduction

__all__ = ["multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss"]


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: Any = None, reduce: Any = None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: per sample, mean over classes i != y of
    max(0, margin - x[y] + x[i])^p, optionally weighted by weight[y].

    Example::
        >>> F.multi_margin_loss(ndgrad.tensor([[0.1, 0.2, 0.4, 0.8]]), ndgrad.tensor([3]))
        tensor(0.3250)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None:
        if weight.dim() != 1:
            raise ValueError("weight must be one-dimensional")
        if weight.requires_grad and is_grad_enabled():
            raise RuntimeError("The function 'multi_margin_loss' is not differentiable with "
                               "respect to argument 'weight'. This input cannot have "
                               "requires_grad True.")
    return _margin.multi_margin_loss(input, target, weight, p, margin, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: Any = None,
                           reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: target lists each sample's classes, ended by the first -1.

    Example::
        >>> F.multilabel_margin_loss(ndgrad.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...                          ndgrad.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    return _margin.multilabel_margin_loss(input, target, _reduction(size_average, reduce,
                                                                    reduction))


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor]
                                      | None = None, margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) for any distance d (default
    pairwise_distance); swap uses min(d(a, n), d(p, n)).

    Example::
        >>> F.triplet_margin_with_distance_loss(ndgrad.zeros(1, 2), ndgrad.zeros(1, 2),
        ...                                     ndgrad.ones(1, 2))
        tensor(0.)
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {dims[0]}D, positive "
                           f"{dims[1]}D, and negative {dims[2]}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if reduction == "mean" else loss
