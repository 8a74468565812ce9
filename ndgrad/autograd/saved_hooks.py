"""The thread-local stack of saved-tensor hooks (pack at save time, unpack in backward)."""
from __future__ import annotations

import threading
from typing import Any, Callable

from .._tensor import Tensor


class _Stack(threading.local):
    hooks: list = []
    disabled: str | None = None


STACK = _Stack()
ACTIVE = 0  # hooks pushed and not popped, in all threads (the op registry's cheap check)


def active() -> bool:
    return bool(STACK.hooks)


def pack(tensor: Any) -> tuple:
    """(unpack function, packed value) for the innermost hooks; ops run by the hook itself
    save their tensors plainly."""
    hooks = STACK.hooks
    pack_hook, unpack_hook = hooks[-1]
    STACK.hooks = []
    try:
        return unpack_hook, pack_hook(tensor)
    finally:
        STACK.hooks = hooks


def unpack(unpack_hook: Callable, packed: Any) -> Any:
    out = unpack_hook(packed)
    if not isinstance(out, Tensor):
        raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got "
                        f"result of type {type(out).__name__}")
    return out


def push(pack_hook: Callable, unpack_hook: Callable) -> None:
    global ACTIVE
    if STACK.disabled is not None:
        raise RuntimeError(STACK.disabled)
    STACK.hooks = STACK.hooks + [(pack_hook, unpack_hook)]
    ACTIVE += 1


def pop() -> None:
    global ACTIVE
    if STACK.hooks:
        ACTIVE -= 1
    STACK.hooks = STACK.hooks[:-1]
