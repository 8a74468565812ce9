"""Torch's test databases, imported once: op_db and module_db keyed by the report's names.

Importing torch.testing._internal freezes torch.backends' flags and wraps TorchScript calls for
the whole process; other tests compare exactly those with ndgrad, so the import undoes both.
Every module of the harness takes torch's testing internals from here.
"""
from __future__ import annotations

import contextlib
import functools
from typing import Any, Iterator

import torch


@contextlib.contextmanager
def _no_lasting_side_effects() -> Iterator[None]:
    frozen = torch.backends.flags_frozen()
    calls = torch._C.ScriptFunction.__call__, torch._C.ScriptMethod.__call__
    try:
        yield
    finally:
        if not frozen:  # torch.backends is a module wrapper: the flag lives in its functions' globals
            torch.backends.flags_frozen.__globals__["__allow_nonbracketed_mutation_flag"] = True
        torch._C.ScriptFunction.__call__, torch._C.ScriptMethod.__call__ = calls


with _no_lasting_side_effects():
    from torch.testing._internal.common_methods_invocations import op_db
    from torch.testing._internal.common_modules import module_db
    from torch.testing._internal.opinfo.core import SampleInput
    from torch.testing._utils import wrapper_set_seed

__all__ = ["SampleInput", "full_name", "moduleinfos", "opinfos", "wrapper_set_seed"]


def full_name(op: Any) -> str:
    return f"{op.name}.{op.variant_test_name}" if op.variant_test_name else op.name


@functools.lru_cache(maxsize=None)
def opinfos() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op in op_db:
        name = full_name(op)
        while name in out:  # keep the (improbable) exact duplicates apart
            name += "+"
        out[name] = op
    return out


@functools.lru_cache(maxsize=None)
def moduleinfos() -> dict[str, Any]:
    return {info.name: info for info in module_db}
