"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (torch.optim.NAdam).

    .. math::
        \mu_t = \beta_1\left(1 - \tfrac12 \, 0.96^{t\psi}\right), \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \\
        \theta_t = \theta_{t-1}
            - \gamma\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i} \frac{g_t}{d_t}
            - \gamma\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i} \frac{m_t}{d_t}, \quad
        d_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon

    with :math:`\psi` = ``momentum_decay``.

    Args:
        params: tensors or param groups to optimize.
        lr: learning rate (default: 2e-3).
        betas: :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps: :math:`\epsilon` (default: 1e-8).
        weight_decay: L2 penalty, or decoupled decay (default: 0).
        momentum_decay: :math:`\psi` (default: 4e-3).
        decoupled_weight_decay: scale :math:`\theta` by :math:`1-\gamma\lambda` (default: False).
        maximize: maximize the objective (default: False).

    Example::
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8944], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float | Tensor = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_hparam(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check_hparam(0.0 <= eps, f"Invalid epsilon value: {eps}")
        _check_hparam(0.0 <= betas[0] < 1.0, f"Invalid beta parameter at index 0: {betas[0]}")
        _check_hparam(0.0 <= betas[1] < 1.0, f"Invalid beta parameter at index 1: {betas[1]}")
        _check_hparam(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_hparam(0.0 <= momentum_decay, f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, group: dict) -> dict:
        return {"step": _step_tensor(), "mu_product": _step_tensor(1.0),
                "exp_avg": _zeros_like(p), "exp_avg_sq": _zeros_like(p)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for s in self.state.values():
            mu = s.get("mu_product") if isinstance(s, dict) else None
            if mu is not None and not isinstance(mu, Tensor):
                s["mu_product"] = _step_tensor(float(mu))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        lr, wd, psi = _to_scalar(group["lr"]), group["weight_decay"], group["momentum_decay"]
        g = -grad if group["maximize"] else grad
        step = _tick(state)
        bias_correction2 = 1 - beta2**step
        g = _weight_decay(param, g, lr, wd, group["decoupled_weight_decay"])
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        mu_product = state["mu_product"]._data
        mu_product *= mu  # kept in the step dtype, as torch does
        mu_product_next = float(mu_product) * mu_next
        exp_avg, exp_avg_sq = _adam_moments(state, g, beta1, beta2)
        denom = np.sqrt(exp_avg_sq / bias_correction2)
        denom += group["eps"]
        param += (-lr * (1.0 - mu) / (1.0 - float(mu_product))) * g / denom
        param += ((-lr * mu_next) / (1.0 - mu_product_next)) * exp_avg / denom
