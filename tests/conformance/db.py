"""The databases, loaded once: torch's op_db and module_db keyed by the names the report uses."""
from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=None)
def opinfos() -> dict[str, Any]:
    from torch.testing._internal.common_methods_invocations import op_db

    from .ops import full_name

    out: dict[str, Any] = {}
    for op in op_db:
        name = full_name(op)
        while name in out:  # op_db has a few exact duplicates (e.g. two _segment_reduce)
            name += "+"
        out[name] = op
    return out


@functools.lru_cache(maxsize=None)
def moduleinfos() -> dict[str, Any]:
    from torch.testing._internal.common_modules import module_db

    return {info.name: info for info in module_db}
