"""ndgrad.signal: torch.signal (its window functions live in ndgrad.signal.windows)."""
from . import windows

__all__ = ["windows"]
