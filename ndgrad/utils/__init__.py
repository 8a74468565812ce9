"""ndgrad.utils: torch.utils counterparts (data loading)."""
from . import data

__all__ = ["data"]
