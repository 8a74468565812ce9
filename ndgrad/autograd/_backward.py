"""backward() and grad(): check the outputs, seed their gradients, run the engine's walk.
Also gives Tensor its backward() method."""
from __future__ import annotations

import sys
from typing import Any

from .. import _creation
from .._tensor import Tensor
from .engine import execute
from .graph import accumulate_grad


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _edge(t: Any) -> tuple:
    return (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t._get_accumulator(), 0)


def _make_roots(outputs: tuple, grad_outputs: tuple, create_graph: bool) -> tuple[list, list]:
    if len(grad_outputs) == 0:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    roots, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"outputs must be Tensors, got {type(out).__name__} at index {i}")
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind == "c":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs "
                                   f"but got {out.dtype}")
            g = _creation.ones_like(out)
        elif not isinstance(g, Tensor):
            g = _creation.tensor(g, dtype=out.dtype)
        elif g._data.shape != out._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                               f"output[{i}] has a shape of {out.shape}.")
        elif (g._data.dtype.kind == "c") != (out._data.dtype.kind == "c"):
            raise RuntimeError(f"For complex Tensors, both grad_output and output are required to "
                               f"have the same dtype. Mismatch in dtype: grad_output[{i}] has a "
                               f"dtype of {g.dtype} and output[{i}] has a dtype of {out.dtype}.")
        if not create_graph and g._requires_grad:
            g = g.detach()
        roots.append(_edge(out))
        grads.append(g)
    return roots, grads


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, grad_variables: Any = None, inputs: Any = None) -> None:
    """Accumulate the gradients of `tensors` into the `.grad` of the graph's leaves.

    Example::
        >>> x = ndgrad.ones(2, requires_grad=True)
        >>> ndgrad.autograd.backward([(x * 2).sum()])
        >>> x.grad
        tensor([2., 2.])
    """
    vmap = sys.modules.get("ndgrad.func._batched")
    if vmap is not None and vmap._STACK:  # as torch: .grad has no per-sample meaning
        raise RuntimeError("backward() called inside a functorch transform. This is not "
                           "supported, please use functorch.grad or functorch.vjp instead or call "
                           "backward() outside of functorch transforms.")
    outputs = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _make_roots(outputs, _as_tuple(grad_tensors), create_graph)
    inputs = _as_tuple(inputs)
    if not inputs:
        execute(roots, grads, retain_graph, create_graph)
        return
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    captures = {_edge(t): i for i, t in enumerate(inputs)}
    results = execute(roots, grads, retain_graph, create_graph, captures)
    owned: set[int] = set()
    for edge, slot in captures.items():
        t = inputs[slot]
        if t._grad_fn is not None:
            t._retains_grad = True  # torch marks non-leaf inputs as retaining their grad
        accumulate_grad(t, results[slot], create_graph, owned)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """Return the gradients of outputs w.r.t. inputs without touching any `.grad`.

    Example::
        >>> x = ndgrad.tensor([3.0], requires_grad=True)
        >>> (g,) = ndgrad.autograd.grad(x ** 2, x, create_graph=True)
        >>> ndgrad.autograd.grad(g, x)
        (tensor([2.]),)
    """
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True is not supported yet; use ndgrad.func.vmap")
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True")
    if retain_graph is None:
        retain_graph = create_graph
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots, grads = _make_roots(outs, _as_tuple(grad_outputs), create_graph)
    captures: dict = {}
    slot_of: list[int] = []
    for t in ins:
        slot_of.append(captures.setdefault(_edge(t), len(captures)))
    captured = execute(roots, grads, retain_graph, create_graph, captures)
    result = []
    for i, t in enumerate(ins):
        g = captured[slot_of[i]]
        if g is None:
            if materialize_grads:
                g = _creation.zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        elif not create_graph and g._requires_grad:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _tensor_backward(self: Tensor, gradient: "Tensor | None" = None,
                     retain_graph: bool | None = None, create_graph: bool = False,
                     inputs: Any = None) -> None:
    """Accumulate d(self)/d(leaf) into the .grad of every leaf that requires grad.

    Example::
        >>> w = ndgrad.ones(3, requires_grad=True)
        >>> (w * 3).sum().backward()
        >>> w.grad
        tensor([3., 3., 3.])
    """
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


_tensor_backward.__name__ = _tensor_backward.__qualname__ = "backward"
Tensor.backward = _tensor_backward  # autograd gives Tensor its backward()
