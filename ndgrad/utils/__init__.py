"""ndgrad.utils: torch.utils counterparts (data loading, swap_tensors; benchmark on import)."""
from . import data
from ._swap import swap_tensors

__all__ = ["data", "swap_tensors"]
