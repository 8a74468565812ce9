"""torch.backends.mkldnn as torch's CPU build reports it (available and enabled)."""
from __future__ import annotations

import sys
from typing import Any

from ._flags import flags as _flags

enabled = True
deterministic = False
fp32_precision = "none"


def is_available() -> bool:
    """True, as in torch's CPU wheel (ndgrad itself computes with NumPy)."""
    return True


def flags(enabled: bool = False, deterministic: bool = False) -> Any:
    """Context manager setting the oneDNN flags inside a block."""
    return _flags(sys.modules[__name__], enabled=enabled, deterministic=deterministic)
