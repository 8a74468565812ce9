"""torch.nn.Parameter and torch.nn.Buffer: Tensors that a Module registers when assigned."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _check_floating

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]


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


class UninitializedTensorMixin:
    """A placeholder of a lazy module's parameter or buffer: it has a dtype but no shape until
    `materialize(shape)` gives it storage and turns it into `cls_to_become`."""

    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the placeholder uninitialized storage of `shape` (torch.empty's)."""
        from .._creation import empty

        self.data = empty(shape, dtype=self.dtype if dtype is None else dtype, device=device)
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> Any:
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def size(self, dim: Any = None) -> Any:
        return self.shape

    def share_memory_(self) -> Any:
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def to(self, *args: Any, **kwargs: Any) -> Any:
        # a dtype cast keeps the placeholder a placeholder (Module.to casts lazy modules)
        out = Tensor.to(self, *args, **kwargs)
        return self if out is self else self._like(out)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: int) -> Any:
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo: dict) -> Any:
        if id(self) not in memo:
            memo[id(self)] = self._like(self)
        return memo[id(self)]


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape a lazy module infers from its first input.

    Example::
        >>> nn.parameter.UninitializedParameter()
        <UninitializedParameter>
    """

    cls_to_become = Parameter

    def __new__(cls, requires_grad: bool = True, device: Any = None,
                dtype: Any = None) -> "UninitializedParameter":
        from .._creation import empty

        return super().__new__(cls, empty(0, dtype=dtype, device=device), requires_grad)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # everything happens in __new__

    def _like(self, data: Tensor) -> "UninitializedParameter":
        return type(self)._make(data._data, self._requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape a lazy module infers from its first input."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad: bool = False, device: Any = None, dtype: Any = None,
                persistent: bool = True) -> "UninitializedBuffer":
        from .._creation import empty

        t = cls._make(empty(0, dtype=dtype, device=device)._data, bool(requires_grad))
        t.persistent = persistent
        t._is_buffer = True
        return t

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass  # everything happens in __new__

    def _like(self, data: Tensor) -> "UninitializedBuffer":
        t = type(self)._make(data._data, self._requires_grad)
        t.__dict__.update(self.__dict__)
        return t


def is_lazy(param: Any) -> bool:
    """True for the placeholders of lazy modules (UninitializedParameter / UninitializedBuffer).

    Example::
        >>> nn.parameter.is_lazy(nn.LazyLinear(3).weight)
        True
    """
    return isinstance(param, UninitializedTensorMixin)
