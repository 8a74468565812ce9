"""Forward-mode AD (torch.autograd.forward_ad): dual tensors carry a tangent through every op.

An op's tangent comes from the JVP declared beside its VJP; ops that declare none get theirs
from the VJP itself (the VJP is linear in the cotangent, so J·t = d/dv <VJP(v), t>)."""
from __future__ import annotations

import threading
import weakref
from collections import namedtuple
from typing import Any

from .grad_mode import enable_grad

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


class _Level:
    """One forward-AD level: the tensors that received a tangent in it (to clear them on exit)."""

    __slots__ = ("tensors",)

    def __init__(self) -> None:
        self.tensors: list = []


class _Levels(threading.local):
    stack: list = []


LEVELS = _Levels()


def active() -> bool:
    return bool(LEVELS.stack)


def enter_dual_level() -> int:
    LEVELS.stack = LEVELS.stack + [_Level()]
    return len(LEVELS.stack) - 1


def exit_dual_level(*, level: int | None = None) -> None:
    if level is not None and level != len(LEVELS.stack) - 1:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    lv = LEVELS.stack[-1]
    for ref in lv.tensors:
        t = ref()
        if t is not None:
            t.__dict__.get("_fw", {}).pop(lv, None)
    LEVELS.stack = LEVELS.stack[:-1]


class dual_level:
    """Context manager for a forward-AD level: tangents live until the block ends.

    Example::
        >>> import ndgrad.autograd.forward_ad as fwAD
        >>> with fwAD.dual_level():
        ...     x = fwAD.make_dual(ndgrad.tensor([1.0]), ndgrad.tensor([2.0]))
        ...     fwAD.unpack_dual(x * x).tangent
        tensor([4.])
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _level(level: int | None) -> Any:
    if not LEVELS.stack:
        return None
    return LEVELS.stack[-1 if level is None else level]


def get_tangent(t: Any, level: int | None = None) -> Any:
    lv = _level(level)
    fw = t.__dict__.get("_fw") if lv is not None else None
    return fw.get(lv) if fw else None


def set_tangent(t: Any, tangent: Any, level: int | None = None) -> None:
    lv = _level(level)
    if lv is not None:
        fw = t.__dict__.setdefault("_fw", {})
        if lv not in fw:
            lv.tensors.append(weakref.ref(t))
        fw[lv] = tangent


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """A view of tensor that carries `tangent` as its forward gradient."""
    from .._ops._registry import REGISTRY

    if not LEVELS.stack:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than "
                           "that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    dual = REGISTRY["view"].public(tensor, size=tuple(tensor.shape))
    set_tangent(dual, tangent.to(tensor.dtype), level)
    return dual


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent): the primal as a view without tangent, and the tangent (or None)."""
    from .._ops._registry import REGISTRY

    tangent = get_tangent(tensor, level)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    from .grad_mode import no_grad

    primal = REGISTRY["alias"].public(tensor)
    return UnpackedDualTensor(primal, tangent)


# *** propagation through ops (called by the op registry when a level is active) ***

def propagate(op: Any, inputs: tuple, attrs: dict, result: Any) -> None:
    from .._tensor import Tensor

    tangents = [get_tangent(x) if isinstance(x, Tensor) else None for x in inputs]
    if all(t is None for t in tangents) or not op.differentiable:
        return
    outs = result if type(result) is tuple else (result,)
    stack = LEVELS.stack
    LEVELS.stack = stack[:-1]  # the tangent computation itself is not dual at this level
    try:
        if op.jvp_fn is not None:
            out_t = op.jvp_fn(*tangents, *_primal_args(op, inputs, outs), **attrs)
        else:
            out_t = _jvp_from_vjp(op, inputs, attrs, outs, tangents)
    finally:
        LEVELS.stack = stack
    out_t = out_t if type(out_t) is tuple else (out_t,)
    for o, t in zip(outs, out_t):
        if t is not None and isinstance(o, Tensor) and o._data.dtype.kind in "fc":
            set_tangent(o, t if t._data.shape == o._data.shape else t.expand(*o._data.shape))


def _primal_args(op: Any, inputs: tuple, outs: tuple) -> list:
    """The values a VJP/JVP names in its signature, taken from the live forward."""
    args = []
    for kind, idx in op.save_specs:
        if kind == "input":
            args.append(inputs[idx])
        elif kind == "result":
            args.append(outs[idx])
        elif kind == "shape":
            args.append(inputs[idx]._data.shape)
        elif kind == "dtype":
            args.append(inputs[idx].dtype)
        else:
            from .._tensor import Tensor

            args.append(tuple(isinstance(x, Tensor) and x._data.dtype.kind in "fc" for x in inputs))
    return args


def _internal_leaf(x: Any) -> Any:
    leaf = x.detach().requires_grad_()
    leaf._func_level = 1 << 30  # not the user's: ndgrad.func may detach results from it
    return leaf


def _jvp_from_vjp(op: Any, inputs: tuple, attrs: dict, outs: tuple, tangents: list) -> tuple:
    """J·t for each output, by differentiating the (linear) VJP with respect to its cotangent."""
    from .. import autograd
    from .._tensor import Tensor

    from .grad_mode import STATE

    # tangents join the reverse graph only when there is one to join (grad mode on, and a
    # primal or tangent that requires grad)
    keep_graph = STATE.enabled and any(isinstance(x, Tensor) and x.requires_grad
                                       for x in tuple(inputs) + tuple(tangents))
    with enable_grad():
        vs = [Tensor._make(o._data * 0, True)
              if isinstance(o, Tensor) and o._data.dtype.kind in "fc" else None for o in outs]
        for v in vs:
            if v is not None:
                v._func_level = 1 << 30  # internal leaves: ndgrad.func may detach results from them
        g = vs[0] if op.n_outputs == 1 else tuple(vs)
        # rules may skip gradients of inputs that don't require grad: make them look needed
        inputs = tuple(_internal_leaf(x) if isinstance(x, Tensor) and not x.requires_grad
                       and x._data.dtype.kind in "fc" else x for x in inputs)
        grads = op.vjp_fn(g, *_primal_args(op, inputs, outs), **attrs)
        grads = grads if type(grads) is tuple else (grads,)
        pairs = []
        for gi, ti, x in zip(grads, tangents, inputs):
            if gi is None or ti is None:
                continue
            shape = x._data.shape
            if gi._data.shape != shape:  # the engine would sum a broadcast gradient back
                from .._ops.reduction import sum_to

                gi = sum_to(gi, shape)
            if gi._data.dtype.kind == "c" and x._data.dtype.kind != "c":
                gi = gi.real  # as the engine does for a real input (torch's handle_r_to_c)
            if gi.requires_grad:  # a rule that ignores the cotangent (sign, floor) adds 0
                pairs.append((gi, ti))
        live = [v for v in vs if v is not None]
        if not pairs:
            return tuple(o.detach() * 0 if v is not None else None for o, v in zip(outs, vs))
        res = autograd.grad([p for p, _ in pairs], live, [t for _, t in pairs],
                            create_graph=keep_graph, allow_unused=True, materialize_grads=True)
    it = iter(res)
    return tuple(next(it) if v is not None else None for v in vs)
