"""torch.backends.mkl as torch's CPU build reports it."""
from __future__ import annotations


def is_available() -> bool:
    """True, as in torch's CPU wheel (ndgrad itself computes with NumPy's BLAS)."""
    return True
