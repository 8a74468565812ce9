"""torch.accelerator on a machine without one: unavailable, and device queries raise torch's error."""
from __future__ import annotations

from typing import Any

from ._device import NO_ACCELERATOR


def is_available() -> bool:
    """False: ndgrad computes on the CPU.

    Example::
        >>> ndgrad.accelerator.is_available()
        False
    """
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False) -> None:
    """None: there is no accelerator (scripts then fall back to 'cpu')."""
    return None


def _none_available(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(NO_ACCELERATOR)


current_device_index = current_device_idx = set_device_index = set_device_idx = _none_available
current_stream = set_stream = synchronize = empty_cache = _none_available
memory_allocated = max_memory_allocated = memory_reserved = _none_available
max_memory_reserved = memory_stats = reset_peak_memory_stats = _none_available


class device_index:
    """Context manager selecting an accelerator index: None is a no-op, an index needs one."""

    def __init__(self, device: int | None) -> None:
        self.idx = device

    def __enter__(self) -> None:
        if self.idx is not None:
            raise RuntimeError(NO_ACCELERATOR)

    def __exit__(self, *exc: object) -> None:
        return None
