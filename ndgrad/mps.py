"""torch.mps without Apple's Metal: unavailable; seeding accepted, everything else raises."""
from __future__ import annotations

from typing import Any, Callable


def is_available() -> bool:
    """False.

    Example::
        >>> ndgrad.mps.is_available()
        False
    """
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    int(seed)


def _needs_mps(what: str) -> Callable:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"Cannot execute {what}() without MPS backend.")

    return fn


seed = get_rng_state = set_rng_state = _needs_mps("getDefaultGenerator")
synchronize = _needs_mps("deviceSynchronize")
empty_cache = _needs_mps("emptyCache")
current_allocated_memory = _needs_mps("getCurrentAllocatedMemory")
driver_allocated_memory = _needs_mps("getDriverAllocatedMemory")
recommended_max_memory = _needs_mps("getRecommendedMaxMemory")
