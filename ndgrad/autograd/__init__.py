"""torch.autograd: backward(), grad(), grad modes and the graph vocabulary."""
from __future__ import annotations

import importlib
from typing import Any

from . import forward_ad, graph
from ._backward import _as_tuple, _edge, _make_roots, backward, grad  # noqa: F401
from .anomaly import detect_anomaly, is_anomaly_check_nan_enabled, is_anomaly_enabled, set_detect_anomaly
from .engine import execute  # noqa: F401
from .grad_mode import (
    enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node, accumulate_grad  # noqa: F401

# The API written with ops (custom Functions, autograd.functional) loads on first use: those
# modules import ndgrad._ops, which is built on this package (PEP 562).
_LAZY = {
    "Function": "function", "FunctionCtx": "function", "InplaceFunction": "function",
    "NestedIOFunction": "function", "once_differentiable": "function",
    "function": None, "functional": None,
    "Variable": "variable", "variable": None, "profiler": None, "profiler_util": None,
}

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "Node", "graph", "gradcheck", "gradgradcheck", "Function",
           "once_differentiable", "detect_anomaly", "set_detect_anomaly"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    owner = _LAZY[name]
    module = importlib.import_module(f".{owner or name}", __name__)
    if owner is None:
        return module
    for attr, where in _LAZY.items():
        if where == owner:
            globals()[attr] = getattr(module, attr)
    return globals()[name]


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
