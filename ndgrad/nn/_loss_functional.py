"""torch.nn.functional's losses: argument checks and reductions around the loss ops of
ndgrad/_ops/nn_loss.py, and the losses torch itself composes (l1, kl_div, cross entropy with
probabilities or label smoothing, ...)."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._ops import nn as _nn
from .._ops import nn_loss as _loss
from .._ops._registry import REGISTRY, composite
from .._ops.nn import pairwise_distance
from .._ops.pointwise import where
from .._tensor import Tensor
from ._reduction import REDUCTIONS as _REDUCTIONS
from ._reduction import apply as _apply_reduction
from ._reduction import resolve as _reduction

_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
         "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}


def _tensor_like(values: np.ndarray) -> Tensor:
    return Tensor._make(np.asarray(values))


def _same_size_or_warn(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """torch's elementwise losses: warn on a target of another size, then broadcast both."""
    if target.shape == input.shape:
        return input, target
    warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                  f"({input.shape}). This will likely lead to incorrect results due to "
                  "broadcasting. Please ensure they have the same size.", UserWarning,
                  stacklevel=3)
    shape = tuple(np.broadcast_shapes(input.shape, target.shape))
    return input.expand(*shape), target.expand(*shape)


def _check_no_grad(fn: str, **tensors: Tensor | None) -> None:
    for name, t in tensors.items():
        if t is not None and t.requires_grad:
            raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                               f"argument '{name}'. This input cannot have requires_grad True.")


def _enrol(name: str, fn, **tests: Any) -> None:
    """Enter a composite of this file in the op test table (finite differences + real torch)."""
    torch_fn = tests.pop("torch_fn", None) or (
        lambda torch, *a, **k: getattr(torch.nn.functional, name)(*a, **k))
    composite(f"nn.functional.{name}", export=False, method=False, torch_fn=torch_fn, **tests)(fn)


# *** losses ***

def mse_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """(input - target)², reduced.

    Example::
        >>> F.mse_loss(ndgrad.tensor([1., 3.]), ndgrad.tensor([0., 0.]))
        tensor(5.)
    """
    input, target = _same_size_or_warn(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if weight is None:
        return _loss.mse_loss(input, target, reduction=reduction)
    return _weighted_loss((input - target) ** 2, input, weight, reduction)


def _weighted_loss(loss: Tensor, input: Tensor, weight: Tensor, reduction: str) -> Tensor:
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return loss.sum() if reduction == "sum" else loss


def l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """|input - target|, reduced.

    Example::
        >>> F.l1_loss(ndgrad.tensor([1., -3.]), ndgrad.tensor([0., 0.]))
        tensor(2.)
    """
    input, target = _same_size_or_warn(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted_loss(loss, input, weight, reduction)
    return _apply_reduction(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d² / beta where |d| < beta, else |d| - 0.5 beta; l1_loss for beta == 0.

    Example::
        >>> F.smooth_l1_loss(ndgrad.tensor([0.5, 3.]), ndgrad.tensor([0., 0.]))
        tensor(1.3125)
    """
    input, target = _same_size_or_warn(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return _loss.smooth_l1_loss(input, target, reduction=reduction, beta=beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d² where |d| < delta, else delta (|d| - 0.5 delta).

    Example::
        >>> F.huber_loss(ndgrad.tensor([0.5, 3.]), ndgrad.tensor([0., 0.]))
        tensor(1.3125)
    """
    input, target = _same_size_or_warn(input, target)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is None:
        return _loss.huber_loss(input, target, reduction=reduction, delta=delta)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = _loss.huber_loss(input, target, reduction="none", delta=delta) * weight
    return _apply_reduction(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), reduced.

    Example::
        >>> F.soft_margin_loss(ndgrad.tensor([0.]), ndgrad.tensor([1.]))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_no_grad("soft_margin_loss", target=target)
    return _loss.soft_margin_loss(input, target, reduction=reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-w (t log x + (1 - t) log(1 - x)) on probabilities x, logs clamped at -100.

    Example::
        >>> F.binary_cross_entropy(ndgrad.tensor([0.5]), ndgrad.tensor([1.]))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        _check_no_grad("binary_cross_entropy", weight=weight)
        shape = tuple(np.broadcast_shapes(target.shape, weight.shape))
        weight = weight.expand(*shape) if weight.shape != shape else weight
    return _loss.binary_cross_entropy(input, target, weight, reduction=reduction)


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
    _check_no_grad("binary_cross_entropy_with_logits", weight=weight, pos_weight=pos_weight)
    op = REGISTRY["binary_cross_entropy_with_logits"]
    return op.public(input, target, weight, pos_weight, reduction=reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
             reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] * weight[target[n]]; 'mean' divides by the summed target weights.
    Input is (C), (N, C) or (N, C, d1, ...) of log-probabilities.

    Example::
        >>> F.nll_loss(ndgrad.tensor([[-1., -2.]]), ndgrad.tensor([1]))
        tensor(2.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if weight is not None:
        _check_no_grad("nll_loss", weight=weight)
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1 and input.shape[0] != (target.shape[0] if target.ndim else 1):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0] if target.ndim else 1}).")
    kw = {"reduction": reduction, "ignore_index": ignore_index}
    if input.ndim <= 2:
        return REGISTRY["nll_loss"].public(input, target, weight, **kw)
    if input.ndim == 4:
        return REGISTRY["nll_loss2d"].public(input, target, weight, **kw)
    n, c = input.shape[:2]
    out_size = (n,) + tuple(input.shape[2:])
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {list(out_size)}, got {list(target.shape)}")
    flat = (1, -1) if input.numel() else (0, 0)
    x = input.contiguous().view(n, c, *flat)
    t = _tensor_like(np.ascontiguousarray(target._data).reshape((n,) + flat))
    out = REGISTRY["nll_loss2d"].public(x, t, weight, **kw)
    return out.view(*out_size) if reduction == "none" else out


def _class_weight_view(weight: Tensor, ndim: int, class_dim: int) -> Tensor:
    shape = [1] * ndim
    shape[class_dim] = weight.shape[0]
    return weight.view(*shape)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """nll_loss(log_softmax(input, class dim)) for class-index targets, or the cross entropy
    with a target of class probabilities (same shape as input); label_smoothing mixes in the
    uniform distribution.

    Example::
        >>> F.cross_entropy(ndgrad.tensor([[0., 0.]]), ndgrad.tensor([1]))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    class_dim = 0 if input.ndim == 1 else 1
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    c = input.shape[class_dim]
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.shape == input.shape:
        if target._data.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class "
                               f"probabilities, got {_TYPE[target._data.dtype.name]}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim)
    logp = _nn.log_softmax(input, class_dim)
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0.0:
        return loss
    if weight is not None:
        smooth = -(logp * _class_weight_view(weight, logp.ndim, class_dim)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    ignored = target._data == ignore_index
    smooth = where(_tensor_like(ignored), 0.0, smooth)
    if reduction == "mean":
        if weight is not None:
            kept = _tensor_like(target._data[~ignored].reshape(-1))
            smooth = smooth.sum() / weight[kept].sum()
        else:
            smooth = smooth.sum() / _tensor_like(np.asarray((~ignored).sum()))
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * loss + smooth * (label_smoothing / c)


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                         label_smoothing: float, class_dim: int) -> Tensor:
    c = input.shape[class_dim]
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {c} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    logp = _nn.log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / c
    terms = logp * target
    if weight is not None:
        terms = terms * (_class_weight_view(weight, logp.ndim, class_dim) if logp.ndim > 1
                         else weight)
    if reduction == "none":
        return -terms.sum(class_dim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    if input.numel() == 0:
        return total * float("nan")
    return _nn._div_scalar(total, other=input.numel() // c)  # torch's div.Scalar: DivBackward1


def _xlogx(t: Tensor) -> Tensor:
    """xlogy(t, t): t log t, 0 where t == 0."""
    zero = t == 0  # written in ops (not arrays) so gradients and tangents both flow
    return where(zero, 0.0, t * where(zero, 1.0, t).log())


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """target * (log target - input) (input holds log-probabilities); 'batchmean' divides the
    sum by the batch size.

    Example::
        >>> F.kl_div(ndgrad.tensor([0.]), ndgrad.tensor([1.]), reduction="sum")
        tensor(0.)
    """
    if size_average is not None or reduce is not None:
        reduction = _reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", UserWarning, stacklevel=2)
    elif reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _xlogx(target) - target * input
    if reduction == "batchmean":
        loss = loss.sum()
        return loss / input.shape[0] if input.ndim else loss
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: Any = None, eps: float = 1e-8, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input), or input - target * log(input + eps); full adds
    Stirling's term for target > 1.

    Example::
        >>> F.poisson_nll_loss(ndgrad.tensor([0.]), ndgrad.tensor([1.]))
        tensor(1.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (target * (2 * math.pi)).log()
        loss = loss + where(target <= 1, 0.0, stirling)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log max(var, eps) + (input - target)² / max(var, eps)), plus 0.5 log 2π if full.

    Example::
        >>> F.gaussian_nll_loss(ndgrad.tensor([0.]), ndgrad.tensor([0.]), ndgrad.tensor([1.]))
        tensor(0.)
    """
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = _tensor_like(np.full(input.shape, var, dtype=input._data.dtype))
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    # torch clamps a clone of var under no_grad: the clamp is invisible to the gradient
    clamped = np.maximum(var._data, eps).astype(var._data.dtype)
    var = var.clone() + _tensor_like(clamped - var._data)  # ops, so tangents flow too
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin), reduced.

    Example::
        >>> F.margin_ranking_loss(ndgrad.tensor([1.]), ndgrad.tensor([2.]), ndgrad.tensor([1.]))
        tensor(1.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    loss = _nn._clamp_min(-target * (input1 - input2) + margin, min=0)
    return _apply_reduction(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1, reduced.

    Example::
        >>> F.hinge_embedding_loss(ndgrad.tensor([0.3]), ndgrad.tensor([-1.]))
        tensor(0.7000)
    """
    reduction = _reduction(size_average, reduce, reduction)
    margin_part = where(target != 1, _nn._clamp_min(margin - input, min=0), 0.0)
    self_part = where(target != -1, input, 0.0)
    return _apply_reduction(margin_part + self_part, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Tensor:
    """Mean over classes of the binary logistic losses of input against 0/1 target.

    Example::
        >>> F.multilabel_soft_margin_loss(ndgrad.tensor([[0., 0.]]), ndgrad.tensor([[1., 0.]]))
        tensor(0.6931)
    """
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * _nn.log_sigmoid(input) + (1 - target) * _nn.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _apply_reduction(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) with pairwise p-distances.

    Example::
        >>> F.triplet_margin_loss(ndgrad.zeros(1, 2), ndgrad.zeros(1, 2), ndgrad.ones(1, 2))
        tensor(0.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {anchor.ndim}D, positive "
                           f"{positive.ndim}D, and negative {negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_swap = pairwise_distance(positive, negative, p, eps)
        d_neg = where(d_swap < d_neg, d_swap, d_neg)
    return _apply_reduction(_nn._clamp_min(margin + d_pos - d_neg, min=0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where target is -1.

    Example::
        >>> F.cosine_embedding_loss(ndgrad.tensor([[1., 0.]]), ndgrad.tensor([[1., 0.]]),
        ...                         ndgrad.tensor([1.]))
        tensor(0.)
    """
    reduction = _reduction(size_average, reduce, reduction)
    d = target.ndim
    if d not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input1.ndim != d + 1:
        raise RuntimeError(f"{d}D target tensor expects {d + 1}D input tensors, but found inputs "
                           f"with sizes {list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + eps
    mag2 = (input2 * input2).sum(d) + eps
    cos = prod / (mag1 * mag2).sqrt()
    pos = where(target == 1, 1 - cos, 0.0)
    neg = where(target == -1, _nn._clamp_min(cos - margin, min=0), 0.0)
    return _apply_reduction(pos + neg, reduction)


def _lengths(x: Any, name: str) -> tuple:
    if isinstance(x, Tensor):
        return tuple(int(v) for v in x._data.reshape(-1))
    if isinstance(x, (int, np.integer)):
        return (int(x),)
    return tuple(int(v) for v in x)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss of (T, N, C) log-probabilities against padded
    (N, S) or concatenated targets; 'mean' divides each loss by its target length first.

    Example::
        >>> lp = ndgrad.zeros(2, 1, 2).log_softmax(2)
        >>> F.ctc_loss(lp, ndgrad.tensor([[1]]), [2], [1], reduction="sum")
        tensor(0.2877)
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    batched = log_probs.ndim == 3
    il, tl = _lengths(input_lengths, "input_lengths"), _lengths(target_lengths, "target_lengths")
    lp = log_probs if batched else log_probs.unsqueeze(1)
    tg = targets if batched else targets.unsqueeze(0)
    res = REGISTRY["_ctc_loss"].public(lp, tg, input_lengths=il, target_lengths=tl, blank=blank,
                                       zero_infinity=zero_infinity)
    if zero_infinity:
        res = where(_tensor_like(np.isinf(res._data)), 0.0, res)
    if not batched:
        res = res.squeeze(0)
    if reduction == "mean":
        lengths = np.maximum(np.asarray(tl if batched else tl[0], dtype=res._data.dtype), 1)
        return (res / _tensor_like(lengths)).mean()
    return res.sum() if reduction == "sum" else res


# *** op-table entries of the composites above ***

_PAIR = [((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (2, 3))]
_RED = [{"reduction": r} for r in _REDUCTIONS]
_enrol("l1_loss", l1_loss, samples=list(zip(_PAIR, _RED)), kinks=(0.0,))
_enrol("kl_div", kl_div, samples=[(s, {"reduction": r}) for s, r in
                                  zip(_PAIR, ("batchmean", "sum", "none"))],
       domain={"input": (-2.0, 0.0), "target": (0.1, 1.0)})
_enrol("poisson_nll_loss", poisson_nll_loss,
       samples=[(_PAIR[0], {}), (_PAIR[1], {"log_input": False, "reduction": "sum"}),
                (_PAIR[2], {"full": True, "reduction": "none"})],
       domain={"input": (0.5, 2.0), "target": (0.5, 3.0)})
_enrol("gaussian_nll_loss", gaussian_nll_loss, inputs=("input", "target", "var"),
       samples=[(((3,), (3,), (3,)), {}), (((2, 3), (2, 3), (2, 1)), {"reduction": "sum"}),
                (((2, 3), (2, 3), (2,)), {"full": True, "reduction": "none"})],
       domain={"var": (0.5, 2.0)})
_enrol("margin_ranking_loss", margin_ranking_loss, inputs=("input1", "input2", "target"),
       samples=[((s[0], s[0], s[0]), r) for s, r in zip(_PAIR, _RED)], kinks=(0.0,),
       nondiff_inputs=("target",))
_enrol("hinge_embedding_loss", hinge_embedding_loss, samples=list(zip(_PAIR, _RED)),
       int_inputs={"target": (-1, 2)}, kinks=(1.0,))
_enrol("multilabel_soft_margin_loss", multilabel_soft_margin_loss,
       samples=[(((2, 3), (2, 3)), r) for r in _RED], domain={"target": (0.0, 1.0)})
_enrol("triplet_margin_loss", triplet_margin_loss, inputs=("anchor", "positive", "negative"),
       samples=[(((2, 3),) * 3, r) for r in _RED] + [(((2, 3),) * 3, {"swap": True})])
_enrol("cosine_embedding_loss", cosine_embedding_loss, inputs=("input1", "input2", "target"),
       samples=[(((2, 3), (2, 3), (2,)), r) for r in _RED], nondiff_inputs=("target",),
       int_inputs={"target": (-1, 2)})
