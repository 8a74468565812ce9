"""Adagrad with learning-rate decay and an initial accumulator value."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_hparam, _step_tensor, _tick, _to_scalar, _zeros_like

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (torch.optim.Adagrad).

    .. math::
        \tilde\gamma_t = \frac{\gamma}{1 + (t-1)\eta}, \quad
        s_t = s_{t-1} + g_t^2, \quad
        \theta_t = \theta_{t-1} - \tilde\gamma_t \frac{g_t}{\sqrt{s_t} + \epsilon}

    with :math:`s_0` = ``initial_accumulator_value`` and :math:`\eta` = ``lr_decay``.

    Args:
        params: tensors or param groups to optimize.
        lr: learning rate (default: 1e-2).
        lr_decay: :math:`\eta` (default: 0).
        weight_decay: L2 penalty (default: 0).
        initial_accumulator_value: :math:`s_0` (default: 0).
        eps: :math:`\epsilon` (default: 1e-10).
        maximize: maximize the objective (default: False).

    Example::
        >>> w = ndgrad.tensor([1.0], requires_grad=True)
        >>> opt = ndgrad.optim.Adagrad([w], lr=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.5000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float | Tensor = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_hparam(0.0 <= lr, f"Invalid learning rate: {lr}")
        _check_hparam(0.0 <= lr_decay, f"Invalid lr_decay value: {lr_decay}")
        _check_hparam(0.0 <= weight_decay, f"Invalid weight_decay value: {weight_decay}")
        _check_hparam(0.0 <= initial_accumulator_value,
                     f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check_hparam(0.0 <= eps, f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:  # torch creates Adagrad's state eagerly
            for p in group["params"]:
                self.state[p].update(step=_step_tensor(),
                                     sum=_zeros_like(p, group["initial_accumulator_value"]))

    def _init_state(self, p: Tensor, group: dict) -> dict:
        return {"step": _step_tensor(),
                "sum": _zeros_like(p, self.defaults["initial_accumulator_value"])}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        step = _tick(state)
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * param
        clr = _to_scalar(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        state_sum = state["sum"]._data
        state_sum += 1 * g * g
        std = np.sqrt(state_sum) + group["eps"]
        param += -clr * g / std
