"""torch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp over user functions."""
from __future__ import annotations

from typing import Any, Callable

from .._creation import ones_like, zeros, zeros_like
from .._ops._registry import PUBLIC
from .._tensor import Tensor
from . import forward_ad
from ._backward import grad
from .grad_mode import enable_grad


def _tuple(x: Any) -> tuple[bool, tuple]:
    if isinstance(x, Tensor):
        return False, (x,)
    if not isinstance(x, (tuple, list)):
        raise TypeError(f"The inputs given to the user-provided function must be either a Tensor "
                        f"or a tuple of Tensors but the given argument has type {type(x).__name__}.")
    return True, tuple(x)


def _grad_inputs(inputs: tuple, create_graph: bool) -> tuple:
    # fresh leaves, still connected to the caller's graph when it will be differentiated
    return tuple(x if create_graph and x.requires_grad else x.detach().requires_grad_()
                 for x in inputs)


def _finish(x: Any, create_graph: bool) -> Any:
    if isinstance(x, tuple):
        return tuple(_finish(v, create_graph) for v in x)
    return x if create_graph or x is None else x.detach()


def _check(outputs: tuple, strict: bool, what: str = "Output") -> None:
    for i, o in enumerate(outputs):
        if strict and not o.requires_grad:
            raise RuntimeError(f"{what} {i} of the user-provided function does not require "
                               "gradients. The outputs must be computed in a differentiable "
                               "manner from the input when running in strict mode.")


def _grads(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool,
           strict: bool) -> tuple:
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        res: tuple = (None,) * len(inputs)
    else:
        res = grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                   create_graph=create_graph, retain_graph=True, allow_unused=True)
    out = []
    for i, (g, x) in enumerate(zip(res, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode.")
            g = zeros_like(x)
        out.append(g)
    return tuple(out)


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), vᵀ·J).

    Example::
        >>> vjp(lambda x: x * 2, ndgrad.ones(2), ndgrad.ones(2))
        (tensor([2., 2.]), tensor([2., 2.]))
    """
    is_tuple, ins = _tuple(inputs)
    with enable_grad():
        ins = _grad_inputs(ins, create_graph)
        out_tuple, outs = _tuple(func(*ins))
        _check(outs, strict)
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            vs: tuple = (ones_like(outs[0]),)
        else:
            vs = _tuple(v)[1]
        grads = _grads(outs, ins, vs, create_graph, strict)
    out = outs if out_tuple else outs[0]
    return _finish(out, create_graph), _finish(grads if is_tuple else grads[0], create_graph)


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), J·v), by the double-vjp trick as torch computes it.

    Example::
        >>> jvp(lambda x: x * 2, ndgrad.ones(2), ndgrad.ones(2))
        (tensor([2., 2.]), tensor([2., 2.]))
    """
    is_tuple, ins = _tuple(inputs)
    if v is None:
        if len(ins) != 1 or ins[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided "
                               "function is a single Tensor with a single element.")
        vs: tuple = (ones_like(ins[0]),)
    else:
        vs = _tuple(v)[1]
    with enable_grad():
        ins = _grad_inputs(ins, create_graph)
        out_tuple, outs = _tuple(func(*ins))
        _check(outs, strict)
        us = tuple(zeros_like(o).requires_grad_() for o in outs)
        g = _grads(outs, ins, us, True, strict)
        res = grad(list(g), list(us), list(vs), create_graph=create_graph, allow_unused=True)
        res = tuple(r if r is not None else zeros_like(o) for r, o in zip(res, outs))
    out = outs if out_tuple else outs[0]
    return _finish(out, create_graph), _finish(res if out_tuple else res[0], create_graph)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d func / d inputs, shaped output.shape + input.shape (nested for tuples).

    Example::
        >>> jacobian(lambda x: x * 2, ndgrad.ones(2))
        tensor([[2., 0.],
                [0., 2.]])
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: '
                         'If your function has more outputs than inputs, "forward-mode" tends '
                         'to be more performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` "
                                  "only works when `vectorize=True`.")
    is_tuple, ins = _tuple(inputs)
    if strategy == "forward-mode" and not create_graph:
        probe = func(*ins)
        if not isinstance(probe, (tuple, list)):  # one output: forward mode, column by column
            jac = _jacobian_forward(func, ins, probe.shape)
            return jac if is_tuple else jac[0]
    stack = PUBLIC["stack"]
    with enable_grad():
        ins = _grad_inputs(ins, create_graph)
        out_tuple, outs = _tuple(func(*ins))
        _check(outs, strict)
        jac = []
        for o in outs:
            flat = o.reshape(-1)
            rows: list[list] = [[] for _ in ins]
            for k in range(flat.numel()):
                grads = _grads((flat[k],), ins, (None,), create_graph, strict) if flat.requires_grad \
                    else tuple(zeros_like(x) for x in ins)
                for j, g in enumerate(grads):
                    rows[j].append(g)
            per_in = []
            for j, x in enumerate(ins):
                block = stack(rows[j]) if rows[j] else zeros_like(x).reshape(0, *x.shape)
                per_in.append(block.reshape(*o.shape, *x.shape))
            jac.append(tuple(per_in))
    if not out_tuple:
        res: Any = jac[0] if is_tuple else jac[0][0]
    else:
        res = tuple(j if is_tuple else j[0] for j in jac)
    return _finish(res, create_graph)


def _jacobian_forward(func: Callable, ins: tuple, out_shape: tuple) -> tuple:
    """Forward mode, one input element at a time: column k of d out / d x_j is the tangent of
    out when x_j carries the k-th unit tangent (and the other inputs none)."""
    stack = PUBLIC["stack"]
    jac = []
    for j, x in enumerate(ins):
        cols = []
        for k in range(x.numel()):
            unit = zeros_like(x)
            unit._data.flat[k] = 1  # in place whatever the strides of x
            with forward_ad.dual_level():
                duals = [forward_ad.make_dual(x, unit) if i == j else a for i, a in enumerate(ins)]
                out = func(*duals)
                tangent = forward_ad.unpack_dual(out).tangent
                cols.append(tangent.detach() if tangent is not None else
                            zeros_like(out).detach())
        block = stack(cols, -1) if cols else zeros(*out_shape, 0, dtype=x.dtype)
        jac.append(block.reshape(*out_shape, *x.shape))
    return tuple(jac)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """Second derivatives of a scalar function.

    Example::
        >>> hessian(lambda x: (x ** 3).sum(), ndgrad.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    is_tuple, ins = _tuple(inputs)

    def grad_fn(*xs: Any) -> Any:
        out = func(*xs)
        if out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element")
        gs = grad(out.reshape(()), xs, create_graph=True, allow_unused=True)
        gs = tuple(g if g is not None else zeros_like(x).requires_grad_() for g, x in zip(gs, xs))
        return gs if is_tuple else gs[0]

    return jacobian(grad_fn, ins if is_tuple else ins[0], create_graph=create_graph,
                    strict=strict)


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), vᵀ·H)."""
    is_tuple, ins = _tuple(inputs)
    vs = _tuple(v)[1] if v is not None else None
    with enable_grad():
        ins = _grad_inputs(ins, create_graph)
        out = func(*ins)
        gs = grad(out, ins, create_graph=True, allow_unused=True)
        gs = tuple(g if g is not None else zeros_like(x) for g, x in zip(gs, ins))
        res = _grads(gs, ins, vs, create_graph, strict)
    return _finish(out, create_graph), _finish(res if is_tuple else res[0], create_graph)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), H·v) (H is symmetric for smooth functions, so it equals vhp)."""
    return vhp(func, inputs, v, create_graph, strict)
