"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode (thread-local state)."""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable


class _State(threading.local):
    # class attributes are the per-thread defaults: a new thread starts with grad enabled
    enabled = True
    inference = False


STATE = _State()


def is_grad_enabled() -> bool:
    """True unless inside no_grad / set_grad_enabled(False) / inference_mode on this thread."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _DecoratorContextManager:
    """A context manager that also works as a decorator (each call enters a fresh copy)."""

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Disable gradient recording on this thread.

    Example::
        >>> x = ndgrad.ones(2, requires_grad=True)
        >>> with ndgrad.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = STATE.enabled
        STATE.enabled = False

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self.prev


class enable_grad(_DecoratorContextManager):
    """Enable gradient recording inside a no_grad block.

    Example::
        >>> with ndgrad.no_grad():
        ...     with ndgrad.enable_grad():
        ...         print(ndgrad.is_grad_enabled())
        True
    """

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = STATE.enabled
        STATE.enabled = True

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode on (True) or off (False); takes effect at once, and as a context manager
    restores the previous mode on exit.

    Example::
        >>> with ndgrad.set_grad_enabled(False):
        ...     print(ndgrad.is_grad_enabled())
        False
    """

    def __init__(self, mode: bool) -> None:
        self.prev = STATE.enabled
        self.mode = bool(mode)
        STATE.enabled = self.mode

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self.prev

    def clone(self):
        return self.__class__(self.mode)

    def __call__(self, func: Callable) -> Callable:
        STATE.enabled = self.prev  # as a decorator it must not change the mode at definition time
        return super().__call__(func)


def mark_inference(result: Any) -> None:
    """Tensors an op makes in inference_mode are inference tensors (is_inference())."""
    for r in (result if type(result) is tuple else (result,)):
        r._is_inference = True


class inference_mode(_DecoratorContextManager):
    """Like no_grad, and tensors made inside are inference tensors (`is_inference()`).

    Example::
        >>> with ndgrad.inference_mode():
        ...     y = ndgrad.ones(2) * 2
        >>> y.requires_grad
        False
    """

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)
        self.prev = (True, False)

    def __enter__(self) -> None:
        self.prev = (STATE.enabled, STATE.inference)
        if self.mode:
            STATE.enabled, STATE.inference = False, True
        else:
            STATE.inference = False

    def __exit__(self, *exc: object) -> None:
        STATE.enabled, STATE.inference = self.prev

    def clone(self):
        return self.__class__(self.mode)

    def __call__(self, func: Callable | bool):  # type: ignore[override]
        if isinstance(func, bool):  # @inference_mode(False) used as a factory
            return self.__class__(func)
        return super().__call__(func)
