"""Module.to / cpu / cuda / ...: dtype casts and memory formats on the CPU; other devices are
refused with a CPU-only torch build's errors."""
from __future__ import annotations

from typing import Any

from ... import _creation, _device, _dtype
from ..._tensor import Tensor


class _DeviceMixin:
    def to(self, *args: Any, **kwargs: Any) -> Any:
        """Cast floating-point parameters and buffers to a dtype; the CPU is the only device
        (others raise as a CPU-only torch does); memory_format= applies to 4-d/5-d tensors.

        Example::
            >>> nn.Linear(2, 2).to("cpu", ndgrad.float64).weight.dtype
            torch.float64
        """
        dtype, dev = kwargs.get("dtype"), kwargs.get("device")
        fmt = kwargs.get("memory_format")
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif a is not None and not isinstance(a, bool):  # a bool is non_blocking
                dev = a
        if dev is not None:
            _device.check(dev, False, "to")
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtype}")
        if dtype is None and fmt is None:
            return self

        def convert(t: Tensor) -> Tensor:
            if fmt is not None and t.dim() in (4, 5):
                t = t.contiguous(memory_format=fmt)
            return t.to(dtype) if dtype is not None and t.is_floating_point() else t

        return self._apply(convert)

    def cpu(self) -> Any:
        return self

    # a CPU-only build refuses every accelerator, with torch's errors
    def cuda(self, device: Any = None) -> Any:
        _device.move("cuda", device)

    def xpu(self, device: Any = None) -> Any:
        _device.move("xpu", device)

    def ipu(self, device: Any = None) -> Any:
        _device.move("ipu", device)

    def mtia(self, device: Any = None) -> Any:
        _device.move("mtia", device)

    def to_empty(self, *, device: Any, recurse: bool = True) -> Any:
        """Move parameters and buffers to `device` without copying their values (CPU only)."""
        _device.check(device, True, "to_empty")
        return self._apply(lambda t: _creation.empty_like(t), recurse)

