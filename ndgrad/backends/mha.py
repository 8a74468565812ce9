"""torch.backends.mha: the fast-path switch of nn.MultiheadAttention (a flag only in ndgrad)."""
from __future__ import annotations

_FASTPATH = [True]


def get_fastpath_enabled() -> bool:
    return _FASTPATH[0]


def set_fastpath_enabled(value: bool) -> None:
    _FASTPATH[0] = bool(value)
