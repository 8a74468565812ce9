"""torch.utils.benchmark: Timer (timeit, blocked_autorange, adaptive_autorange) and Measurement."""
from .common import Measurement, TaskSpec, select_unit, trim_sigfig, unit_to_english
from .timer import Timer

__all__ = ["Timer", "Measurement", "TaskSpec", "select_unit", "trim_sigfig", "unit_to_english"]
