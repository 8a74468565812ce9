"""torch.cpu: the CPU device module (always available; one device; nothing to synchronize)."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator


def is_available() -> bool:
    """True.

    Example::
        >>> ndgrad.cpu.is_available()
        True
    """
    return True


def is_initialized() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device: Any) -> None:
    return None


def synchronize(device: Any = None) -> None:
    """Nothing to wait for: every ndgrad op has finished when it returns."""
    return None


class Stream:
    """The CPU's only stream: operations run in order as they are called."""

    def __init__(self, priority: int = -1) -> None:
        self.priority = priority

    def wait_stream(self, stream: Any) -> None:
        return None

    def synchronize(self) -> None:
        return None


_STREAM = Stream()


def current_stream(device: Any = None) -> Stream:
    return _STREAM


@contextlib.contextmanager
def stream(stream: Any) -> Iterator[None]:
    yield
