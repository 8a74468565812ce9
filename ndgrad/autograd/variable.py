"""torch.autograd.Variable: the legacy wrapper, today a tensor factory (every Tensor is a Variable)."""
from __future__ import annotations

import warnings
from typing import Any

from .._tensor import Tensor
from . import engine


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, Tensor)


class _ExecutionEngine:
    """Variable._execution_engine: the engine hooks some libraries call directly."""

    def queue_callback(self, callback: Any) -> None:
        """Run callback() when the running backward pass finishes."""
        engine.queue_callback(callback)

    def run_backward(self, tensors: Any, grad_tensors: Any, keep_graph: bool, create_graph: bool,
                     inputs: Any = (), allow_unreachable: bool = True,
                     accumulate_grad: bool = True) -> Any:
        from . import backward, grad

        if accumulate_grad:
            return backward(tensors, grad_tensors, keep_graph, create_graph,
                            inputs=inputs or None)
        return grad(tensors, inputs, grad_tensors, keep_graph, create_graph, allow_unused=True)


class Variable(metaclass=_VariableMeta):
    """Variable(tensor, requires_grad=False): a tensor sharing tensor's data, cut from its graph
    (isinstance(t, Variable) is True for every tensor, as in torch).

    Example::
        >>> v = ndgrad.autograd.Variable(ndgrad.ones(2), requires_grad=True)
        >>> v.requires_grad, isinstance(v, ndgrad.autograd.Variable)
        (True, True)
    """

    _execution_engine = _ExecutionEngine()

    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False) -> Any:
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                          "instead.", UserWarning, stacklevel=2)
        if data is None:
            from .._creation import empty

            return empty(0).requires_grad_(requires_grad)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
