"""A `flags(...)` context manager: set module-level flags inside a block, restore them after."""
from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Any, Iterator


@contextlib.contextmanager
def flags(module: ModuleType, **values: Any) -> Iterator[None]:
    """Set module.<name> = value for each given flag (None: leave it), restore them on exit."""
    given = {k: v for k, v in values.items() if v is not None}
    saved = {k: getattr(module, k) for k in given}
    for k, v in given.items():
        setattr(module, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(module, k, v)
