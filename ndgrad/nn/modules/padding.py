"""Padding layers: constant (and zero), reflection, replication and circular padding of the last
1, 2 or 3 dims, each a thin module over F.pad."""
from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from .module import Module
from .utils import _ntuple

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d"]


class _PadNd(Module):
    """`padding` is (left, right) of the last dim, then of the one before, ...; an int pads
    every side; `_n` is the number of padded dims, `_mode` F.pad's mode."""

    __constants__ = ["padding"]
    _n = 1
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _ntuple(2 * self._n, padding)

    def _check_input_dim(self, input: Tensor) -> None:
        """Only the circular modules check the rank here; the others leave it to F.pad."""

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in (self._n + 1, self._n + 2):
            raise ValueError(f"expected {self._n + 1}D or {self._n + 2}D input (got "
                             f"{input.dim()}D input)")


class CircularPad1d(_CircularPadNd):
    """Pad the last dim of (N, C, W) or (C, W) with the wrapped-around input.

    Example::
        >>> nn.CircularPad1d(1)(ndgrad.tensor([[1., 2., 3.]]))
        tensor([[3., 1., 2., 3., 1.]])
    """

    _n = 1


class CircularPad2d(_CircularPadNd):
    """Circular padding of the last two dims (left, right, top, bottom)."""

    _n = 2


class CircularPad3d(_CircularPadNd):
    """Circular padding of the last three dims (left, right, top, bottom, front, back)."""

    _n = 3


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Pad the last dim with its reflection (the edge itself not repeated).

    Example::
        >>> nn.ReflectionPad1d(2)(ndgrad.tensor([[1., 2., 3.]]))
        tensor([[3., 2., 1., 2., 3., 2., 1.]])
    """

    _n = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Reflection padding of the last two dims."""

    _n = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Reflection padding of the last three dims."""

    _n = 3


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Pad the last dim by repeating its edge values.

    Example::
        >>> nn.ReplicationPad1d((1, 2))(ndgrad.tensor([[1., 2.]]))
        tensor([[1., 1., 2., 2., 2.]])
    """

    _n = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Replication padding of the last two dims."""

    _n = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Replication padding of the last three dims."""

    _n = 3


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant.

    Example::
        >>> nn.ConstantPad1d(1, 3.5)
        ConstantPad1d(padding=(1, 1), value=3.5)
    """

    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Constant padding of the last two dims."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Constant padding of the last three dims."""

    _n = 3


class ZeroPad1d(ConstantPad1d):
    """Zero padding of the last dim.

    Example::
        >>> nn.ZeroPad1d((1, 0))(ndgrad.tensor([[1., 2.]]))
        tensor([[0., 1., 2.]])
    """

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Zero padding of the last two dims."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Zero padding of the last three dims."""

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
