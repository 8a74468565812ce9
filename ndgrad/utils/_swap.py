"""torch.utils.swap_tensors: exchange the contents of two tensors, keeping each one's identity."""
from __future__ import annotations

import weakref
from typing import Any

from .._tensor import Tensor

_POISONED = (
    "Trying to execute AccumulateGrad node that was poisoned by swap_tensors this can happen when "
    "you try to run backward on a tensor that was swapped. For a module m with "
    "`torch.__future__.set_swap_module_params_on_conversion(True)` you should not change the "
    "device or dtype of the module (e.g. `m.cpu()` or `m.half()`) between running forward and "
    "backward. To resolve this, please only change the device/dtype before running forward (or "
    "after both forward and backward).")
_SLOTS = ("_data", "_requires_grad", "_grad_fn", "_output_nr", "_grad", "_vc", "_view")


def _poisoned(grad_outputs: Any) -> None:
    raise RuntimeError(_POISONED)


def swap_tensors(t1: Tensor, t2: Tensor) -> None:
    """Swap everything two tensors hold (data, dtype, autograd state, class, attributes), so t1
    has t2's content and vice versa while every reference keeps pointing at the same object.

    A leaf that a graph still uses gets its AccumulateGrad poisoned: a backward through that old
    graph raises instead of accumulating into the wrong tensor (as in torch).

    Example::
        >>> a, b = ndgrad.zeros(2), ndgrad.ones(3)
        >>> ndgrad.utils.swap_tensors(a, b); a
        tensor([1., 1., 1.])
    """
    if weakref.getweakrefs(t1):
        raise RuntimeError("Cannot swap t1 because it has weakref associated with it")
    if weakref.getweakrefs(t2):
        raise RuntimeError("Cannot swap t2 because it has weakref associated with it")
    for t in (t1, t2):
        ref = t.__dict__.get("_accumulator")
        acc = ref() if ref is not None else None
        if acc is not None:  # a live graph accumulates into this leaf
            acc.register_prehook(_poisoned)
    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    d1, d2 = dict(t1.__dict__), dict(t2.__dict__)
    t1.__dict__.clear()
    t1.__dict__.update(d2)
    t2.__dict__.clear()
    t2.__dict__.update(d1)
    for name in _SLOTS:
        a, b = getattr(t1, name), getattr(t2, name)
        setattr(t1, name, b)
        setattr(t2, name, a)
