"""torch.functional: the functions torch defines in Python (re-exported from where ndgrad has them;
a name ndgrad does not implement yet raises AttributeError)."""
from __future__ import annotations

from typing import Any

# torch.functional.__all__ (torch 2.13)
_TORCH_ALL = ("atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
              "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu",
              "norm", "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot",
              "unique", "unique_consecutive", "unravel_index")


def __getattr__(name: str) -> Any:
    import ndgrad

    if name in _TORCH_ALL and hasattr(ndgrad, name):
        return getattr(ndgrad, name)
    raise AttributeError(f"module 'ndgrad.functional' has no attribute '{name}'")


def __dir__() -> list:
    import ndgrad

    return [n for n in _TORCH_ALL if hasattr(ndgrad, n)]
