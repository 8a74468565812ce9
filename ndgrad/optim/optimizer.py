"""Optimizer base: owns param groups, per-parameter state and the step loop; subclasses write
one per-parameter update."""
from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import MutableMapping
from copy import deepcopy
from itertools import chain
from typing import Any, Callable

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad, no_grad

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyper-parameter without a default (torch.optim.optimizer.required)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj: Any) -> str:
    """torch.typename: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module, name = type(obj).__module__, type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def _to_scalar(x: Any) -> Any:
    """A hyper-parameter given as a 1-element Tensor, as a Python number."""
    return x.item() if isinstance(x, Tensor) else x


def _scalar_dtype() -> np.dtype:
    """dtype of the `step` counters: float64 under a float64 default dtype, else float32."""
    return np.dtype(np.float64 if _dtype.get_default_dtype() == _dtype.float64 else np.float32)


def _step_tensor(value: float = 0.0) -> Tensor:
    return Tensor._make(np.array(value, dtype=_scalar_dtype()))


def _zeros_like(p: Tensor, fill: float = 0.0) -> Tensor:
    return Tensor._make(np.full_like(p._data, fill))


def _tick(state: dict) -> float:
    """Increment state['step'] in place (in its own dtype, as torch does); return it as a float."""
    step = state["step"]._data
    step += 1
    return float(step)


def _lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """a.lerp_(b, w) with torch's two-sided formula (exact at w = 0 and w = 1)."""
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        a[...] = b - (b - a) * (1 - w)


def _weight_decay(param: np.ndarray, g: np.ndarray, lr: float, wd: float,
                  decoupled: bool) -> np.ndarray:
    """Apply weight decay: decoupled shrinks the parameter in place (AdamW style), otherwise
    the decay joins the gradient (L2); returns the gradient to use."""
    if wd == 0:
        return g
    if decoupled:
        param *= 1 - lr * wd
        return g
    return g + wd * param


def _adam_moments(state: dict, g: np.ndarray, beta1: float, beta2: float) -> tuple:
    """Update Adam's first and second moment estimates in place; return both arrays."""
    exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
    _lerp_(exp_avg, g, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    return exp_avg, exp_avg_sq


def _pairs(a: np.ndarray) -> np.ndarray:
    """A complex array seen as real (re, im) pairs in its last dim (torch's view_as_real)."""
    return a[..., None].view(a.real.dtype)


class _RealPairs(MutableMapping):
    """The state of a complex parameter as its update sees it: complex tensors read as real
    pairs sharing their memory, and pair-shaped tensors it stores kept complex (as torch's)."""

    def __init__(self, state: dict, param: np.ndarray) -> None:
        self._state, self._shape = state, param.shape + (2,)

    def __getitem__(self, key: Any) -> Any:
        v = self._state[key]
        return Tensor._make(_pairs(v._data)) if isinstance(v, Tensor) and v.is_complex() else v

    def __setitem__(self, key: Any, v: Any) -> None:
        if isinstance(v, Tensor) and v._data.shape == self._shape:
            v = Tensor._make(np.ascontiguousarray(v._data).view(
                np.complex64 if v._data.dtype == np.float32 else np.complex128)[..., 0])
        self._state[key] = v

    def __delitem__(self, key: Any) -> None:
        del self._state[key]

    def __iter__(self) -> Any:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)


def _check_hparam(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


class Optimizer:
    """Base class for all optimizers (torch.optim.Optimizer).

    Subclasses define ``_init_state(p, group)`` (the fresh state of one parameter) and
    ``_update(param, grad, state, group)``: one in-place update of a parameter's NumPy array
    from its gradient array. The base class owns everything else: param groups, the state
    keyed by parameter, ``step``'s traversal under ``no_grad``, ``zero_grad`` and the
    ``state_dict`` layout.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts defining groups.
        defaults: default hyper-parameters, filled into every group that lacks them.
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if defaults.get("differentiable"):
            raise NotImplementedError("ndgrad's optimizers update parameters in place under "
                                      "no_grad; differentiable=True is not supported")
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict[Any, dict] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for s in self.state.values():  # older checkpoints keep `step` as a Python number
            if isinstance(s, dict) and "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = _step_tensor(float(s["step"]))

    def __repr__(self) -> str:
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # *** groups ***

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a param group (a dict with 'params' and optional per-group hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        param_group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # *** the step loop ***

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g.requires_grad_(False)
                with no_grad():
                    g.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step; ``closure`` re-evaluates the loss (optional)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        for p in group["params"]:
            if p._grad is None:
                continue
            if self._has_state(group):
                state = self.state[p]
                if len(state) == 0:
                    state.update(self._init_state(p, group))
            else:
                state = {}
            param, grad = p._data, p._grad._data
            if param.dtype.kind == "c":  # as torch: a complex parameter is a pair of reals
                param, grad, state = _pairs(param), _pairs(grad), _RealPairs(state, param)
            self._update(param, grad, state, group)
            p._bump()

    def _has_state(self, group: dict[str, Any]) -> bool:
        return True

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    # *** state_dict ***

    def state_dict(self) -> dict[str, Any]:
        """{'state': {param_id: {...}}, 'param_groups': [{..., 'params': [ids]}]}, as torch."""
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict from ``state_dict()`` (ndgrad's or torch's layout)."""
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param: Tensor, value: Any, key: Any = None) -> Any:
            if isinstance(value, Tensor):
                if key == "step" or not param.is_floating_point():
                    return value
                return value.to(param.dtype)
            if isinstance(value, dict):
                return {k: cast(param, v, k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict[Any, dict] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v

        def update_group(group: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            return new

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
