"""torch.nn.Parameter and torch.nn.Buffer: Tensors that a Module registers when assigned."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _check_floating

__all__ = ["Parameter", "Buffer", "is_lazy"]


def _rebuild_parameter(arr: np.ndarray, requires_grad: bool) -> "Parameter":
    return Parameter._make(arr, requires_grad)


class Parameter(Tensor):
    """A Tensor that a Module lists in `parameters()`; requires grad unless told otherwise.

    It shares its data with the tensor it wraps.

    Example::
        >>> p = nn.Parameter(ndgrad.zeros(2))
        >>> p
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> "Parameter":
        if data is None:
            from .._creation import empty

            data = empty(0)
        if requires_grad:
            _check_floating(data._data)
        p = cls._make(data._data, bool(requires_grad))
        p._vc = data._vc  # an alias of data, as torch's _make_subclass
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass  # everything happens in __new__; Tensor.__init__ is the legacy constructor

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol: int) -> Any:
        return (_rebuild_parameter, (self._data, self._requires_grad))

    def __deepcopy__(self, memo: dict) -> "Parameter":
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)._make(self._data.copy(), self._requires_grad)
        memo[id(self)] = result
        return result


class _BufferMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a Tensor as a buffer: assigning it to a Module attribute registers it.

    `Buffer(t)` returns a detached Tensor that carries the mark (and `persistent`).
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Any:
        if data is None:
            from .._creation import empty

            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


def is_lazy(param: Any) -> bool:
    """True for uninitialized (lazy) parameters; ndgrad has none."""
    return False
