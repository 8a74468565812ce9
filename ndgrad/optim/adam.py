"""Adam and AdamW (decoupled weight decay), with AMSGrad."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import (
    Optimizer,
    _adam_moments,
    _check_hparam,
    _step_tensor,
    _tick,
    _to_scalar,
    _weight_decay,
    _zeros_like,
)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (torch.optim.Adam); ``decoupled_weight_decay=True`` makes it AdamW.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}
                   \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    where :math:`\hat v_t = \max(\hat v_{t-1}, v_t)` with amsgrad, else :math:`v_t`, and
    :math:`g_t = \pm\nabla f + \lambda\theta_{t-1}` (or :math:`\theta` is first scaled by
    :math:`1-\gamma\lambda` when the decay is decoupled).

    Args:
        params: tensors or param groups to optimize.
        lr: learning rate (default: 1e-3).
        betas: :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps: :math:`\epsilon` (default: 1e-8).
        weight_decay: :math:`\lambda` (default: 0).
        amsgrad: use the running maximum of :math:`v_t` (default: False).
        maximize: maximize the objective (default: False).
        decoupled_weight_decay: AdamW-style decay (default: False).

    Example::
        >>> w = ndgrad.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = ndgrad.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_hparam(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check_hparam(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_hparam(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check_hparam(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check_hparam(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        if not (all(isinstance(b, float) for b in betas)
                or all(isinstance(b, Tensor) for b in betas)):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(_to_scalar(b) for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict) -> dict:
        state = {"step": _step_tensor(), "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros_like(p)
        return state

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, wd = _to_scalar(group["lr"]), group["weight_decay"]
        g = -grad if group["maximize"] else grad
        step = _tick(state)
        g = _weight_decay(param, g, lr, wd, group["decoupled_weight_decay"])
        exp_avg, exp_avg_sq = _adam_moments(state, g, beta1, beta2)
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            max_sq = state["max_exp_avg_sq"]._data
            np.maximum(max_sq, exp_avg_sq, out=max_sq)
            denom = np.sqrt(max_sq) / bias_correction2_sqrt + group["eps"]
        else:
            denom = np.sqrt(exp_avg_sq) / bias_correction2_sqrt + group["eps"]
        param += -step_size * exp_avg / denom


class AdamW(Adam):
    r"""AdamW (torch.optim.AdamW): Adam with decoupled weight decay,
    :math:`\theta \leftarrow \theta(1-\gamma\lambda)` before the Adam update.

    Args:
        params, lr, betas, eps, amsgrad, maximize: as :class:`Adam`.
        weight_decay: decoupled decay :math:`\lambda` (default: 1e-2).

    Example::
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8500], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
