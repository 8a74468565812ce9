"""RemovableHandle: what every register_*hook returns (a leaf module: Tensor, graph nodes and
nn.Module all hand these out)."""
from __future__ import annotations

import itertools
from typing import Callable


class RemovableHandle:
    """Returned by every register_*hook; `.remove()` unregisters the hook.

    Example::
        >>> store = {}
        >>> h = RemovableHandle(store, print)
        >>> h.remove(); store
        {}
    """

    _ids = itertools.count()
    __slots__ = ("_store", "id")

    def __init__(self, store: dict, hook: Callable) -> None:
        self.id = next(RemovableHandle._ids)
        self._store = store
        store[self.id] = hook

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
