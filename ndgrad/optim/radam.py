"""RAdam: Adam with a variance-rectified adaptive learning rate."""
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

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (torch.optim.RAdam).

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}, \quad
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \\
        \theta_t = \theta_{t-1} - \gamma\hat m_t \cdot
        \begin{cases} r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon} & \rho_t > 5 \\
                      1 & \text{otherwise} \end{cases}, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    with :math:`m_t, v_t` Adam's moments.

    Args:
        params: tensors or param groups to optimize.
        lr: learning rate (default: 1e-3).
        betas: :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps: :math:`\epsilon` (default: 1e-8).
        weight_decay: L2 penalty, or decoupled decay (default: 0).
        decoupled_weight_decay: scale :math:`\theta` by :math:`1-\gamma\lambda` (default: False).
        maximize: maximize the objective (default: False).

    Example::
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.RAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_hparam(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check_hparam(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_hparam(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check_hparam(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check_hparam(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict) -> dict:
        return {"step": _step_tensor(), "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, wd = _to_scalar(group["lr"]), group["weight_decay"]
        g = -grad if group["maximize"] else grad
        step = _tick(state)
        g = _weight_decay(param, g, lr, wd, group["decoupled_weight_decay"])
        exp_avg, exp_avg_sq = _adam_moments(state, g, beta1, beta2)
        bias_correction2 = 1 - beta2**step
        corrected = exp_avg / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = np.reciprocal(np.sqrt(exp_avg_sq) + group["eps"]) * bias_correction2**0.5
            param += -1.0 * (corrected * lr * adaptive * rect)
        else:
            param += -1.0 * (corrected * lr)
