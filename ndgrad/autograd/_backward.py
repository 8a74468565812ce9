"""backward() and grad(): check the outputs (tensors or GradientEdges), seed their gradients,
run the engine's walk. Also gives Tensor its backward() method."""
from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _creation
from .._dtype import from_numpy_dtype
from .._tensor import Tensor
from .engine import execute
from .graph import AccumulateGrad, GradientEdge, accumulate_grad, gradient_edge

_MODULES = sys.modules


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    if isinstance(x, (Tensor, GradientEdge)):
        return (x,)
    return tuple(x)


def _inputs_tuple(inputs: Any, fn: str) -> tuple:
    """torch's reading of `inputs`: a tensor or GradientEdge, a sequence of them, or a dict."""
    if type(inputs) is dict:
        return tuple(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(f"`inputs` argument to `{fn}()` must be a dict, not "
                        f"{type(inputs).__name__}. Other Mapping types are not supported.")
    return _as_tuple(inputs)


def _edge(t: Any) -> tuple:
    return t if isinstance(t, GradientEdge) else gradient_edge(t)


def _make_roots(outputs: tuple, grad_outputs: tuple, create_graph: bool) -> tuple[list, list]:
    if len(grad_outputs) == 0:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    roots, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if isinstance(out, GradientEdge):
            roots.append(out)
            grads.append(_edge_grad(out, g, i, create_graph))
            continue
        if not isinstance(out, Tensor):
            raise TypeError(f"outputs must be Tensors, got {type(out).__name__} at index {i}")
        edge = _edge(out) if out._requires_grad else (None, 0)
        if edge[0] is None:
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
        roots.append(edge)
        grads.append(g)
    return roots, grads


def _edge_grad(edge: GradientEdge, g: Any, i: int, create_graph: bool) -> Any:
    """The gradient seeding a GradientEdge output (its shape is known only at a leaf's edge)."""
    node, nr = edge
    meta = node._meta[0] if isinstance(node, AccumulateGrad) else None
    if g is None:
        if meta is None:
            raise RuntimeError(f"grad_outputs[{i}] is needed: ndgrad does not record the shape "
                               "of the gradient that a GradientEdge of a non-leaf receives")
        if np.prod(meta[0], dtype=np.int64) != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return _creation.ones(meta[0], dtype=from_numpy_dtype(meta[1]))
    if meta is not None and g._data.shape != meta[0]:
        raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                           f"output[{i}] has a shape of torch.Size({list(meta[0])}).")
    return g if create_graph or not g._requires_grad else g.detach()


def _check_inputs(inputs: tuple) -> None:
    for t in inputs:
        if not isinstance(t, GradientEdge) and not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")


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
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both "
                               "passed to `backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    outputs = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    was_given = inputs is not None
    inputs = _inputs_tuple(inputs, "backward")
    if was_given and not inputs:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    roots, grads = _make_roots(outputs, _as_tuple(grad_tensors), create_graph)
    if not inputs:
        execute(roots, grads, retain_graph, create_graph)
        return
    _check_inputs(inputs)
    captures = {_edge(t): i for i, t in enumerate(inputs)}
    results = execute(roots, grads, retain_graph, create_graph, captures)
    owned: set[int] = set()
    for edge, slot in captures.items():
        t = inputs[slot]
        if isinstance(t, GradientEdge):  # a leaf's edge fills that leaf's .grad
            t = edge[0].variable if isinstance(edge[0], AccumulateGrad) else None
            if t is None:
                continue
        elif t._grad_fn is not None:
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
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads="
                         "True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_tuple(outputs)
    ins = _inputs_tuple(inputs, "grad")
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        warnings.warn("only_inputs argument is deprecated and is ignored now (defaults to True). "
                      "To accumulate gradient for other parts of the graph, please use "
                      "torch.autograd.backward.", FutureWarning, stacklevel=2)
    if retain_graph is None:
        retain_graph = create_graph
    _check_inputs(ins)
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
                if isinstance(t, GradientEdge):
                    raise RuntimeError("materialize_grads cannot be used when the given input is "
                                       "a GradientEdge")
                g = _creation.zeros_like(t, requires_grad=create_graph)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        elif not create_graph and g._requires_grad:
            g = g.detach()
        result.append(g)
    return dict(zip(inputs, result)) if type(inputs) is dict else tuple(result)


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
    if gradient is None and inputs is None and not create_graph:
        # the common call, loss.backward(): the checks of backward() and _make_roots, inline
        vmap = _MODULES.get("ndgrad.func._batched")
        if self._requires_grad and (vmap is None or not vmap._STACK):
            d = self._data
            if d.size == 1 and d.dtype.kind != "c":
                edge = gradient_edge(self)
                if edge[0] is not None:
                    execute([edge], [Tensor._make(np.ones(d.shape, d.dtype))],
                            bool(retain_graph), False)
                    return
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


_tensor_backward.__name__ = _tensor_backward.__qualname__ = "backward"
Tensor.backward = _tensor_backward  # autograd gives Tensor its backward()
