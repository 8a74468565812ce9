"""torch.backends.opt_einsum: off (ndgrad's einsum contracts with NumPy)."""
from __future__ import annotations

enabled = False
strategy = None


def is_available() -> bool:
    return False


def get_opt_einsum() -> None:
    return None
