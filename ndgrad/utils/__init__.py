"""ndgrad.utils: torch.utils counterparts (data loading, swap_tensors, checkpointing on first
use; benchmark on import)."""
import importlib
from typing import Any

from . import data
from ._swap import swap_tensors

__all__ = ["checkpoint", "data", "swap_tensors"]


def __getattr__(name: str) -> Any:
    """`ndgrad.utils.checkpoint` after a bare `import ndgrad`, as torch has it, loaded on use."""
    if name == "checkpoint":
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
