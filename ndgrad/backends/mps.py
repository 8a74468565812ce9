"""torch.backends.mps on a machine without Apple's Metal: not built, not available."""
from __future__ import annotations


def is_available() -> bool:
    """False.

    Example::
        >>> ndgrad.backends.mps.is_available()
        False
    """
    return False


def is_built() -> bool:
    return False


def is_macos13_or_newer(minor: int = 0) -> bool:
    raise RuntimeError("Cannot execute isOnMacOSorNewer() without MPS backend.")
