"""Forward mode through ops: the registry calls `propagate` when a forward-AD level is active.

An op's tangent comes from the JVP declared beside its VJP; ops that declare none get theirs
from the VJP itself (the VJP is linear in the cotangent, so J·t = d/dv <VJP(v), t>)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._broadcast import sum_to
from .._tensor import Tensor
from ..autograd import grad
from ..autograd.forward_ad import LEVELS, get_tangent, set_tangent
from ..autograd.grad_mode import STATE, enable_grad


def propagate(op: Any, inputs: tuple, attrs: dict, result: Any) -> None:
    """Set the tangents of an op's outputs from its inputs' tangents, at every active level.

    Levels nest (jvp of jvp, jacfwd of jacfwd): the outermost goes first, so when an inner
    level's rule reads the result, that result already carries its outer tangents, and the rule
    runs with only the outer levels active, which differentiates the tangent itself."""
    if not op.differentiable:
        return
    stack = LEVELS.stack
    outs = None
    for level in range(len(stack)):
        tangents = [get_tangent(x, level) if isinstance(x, Tensor) else None for x in inputs]
        if all(t is None for t in tangents):
            continue
        if outs is None:
            outs = result if type(result) is tuple else (result,)
        LEVELS.stack = stack[:level]  # the tangent computation is not dual at this level
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
                set_tangent(o, t if t._data.shape == o._data.shape else t.expand(*o._data.shape),
                            level)


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
            args.append(tuple(isinstance(x, Tensor) and x._data.dtype.kind in "fc" for x in inputs))
    return args


def _internal_leaf(x: Any) -> Any:
    leaf = x.detach().requires_grad_()
    leaf._func_level = 1 << 30  # not the user's: ndgrad.func may detach results from it
    for level in range(len(LEVELS.stack)):  # outer levels' tangents (jvp of jvp) stay on it
        tangent = get_tangent(x, level)
        if tangent is not None:
            set_tangent(leaf, tangent, level)
    return leaf


def _jvp_from_vjp(op: Any, inputs: tuple, attrs: dict, outs: tuple, tangents: list) -> tuple:
    """J·t for each output, by differentiating the (linear) VJP with respect to its cotangent."""
    # tangents join the reverse graph only when there is one to join (grad mode on, and a
    # primal or tangent that requires grad)
    keep_graph = STATE.enabled and any(isinstance(x, Tensor) and x.requires_grad
                                       for x in tuple(inputs) + tuple(tangents))
    with enable_grad():
        vs = [Tensor._make(np.zeros_like(o._data), True)  # an array, also for 0-d
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
                gi = sum_to(gi, shape)
            if gi._data.dtype.kind == "c" and x._data.dtype.kind != "c":
                gi = gi.real  # as the engine does for a real input (torch's handle_r_to_c)
            if gi.requires_grad:  # a rule that ignores the cotangent (sign, floor) adds 0
                pairs.append((gi, ti))
        live = [v for v in vs if v is not None]
        if not pairs:
            return tuple(o.detach() * 0 if v is not None else None for o, v in zip(outs, vs))
        res = grad([p for p, _ in pairs], live, [t for _, t in pairs], create_graph=keep_graph,
                   allow_unused=True, materialize_grads=True)
    it = iter(res)
    return tuple(next(it) if v is not None else None for v in vs)
