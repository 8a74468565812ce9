"""torch.backends.openmp as torch's CPU build reports it."""
from __future__ import annotations


def is_available() -> bool:
    return True
