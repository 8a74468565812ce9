"""Timer: time a Python statement the way torch.utils.benchmark.Timer does (setup once, warm-up,
blocks of runs sized so that the timer's own overhead is negligible)."""
from __future__ import annotations

import contextlib
import textwrap
import timeit
from typing import Any, Callable, Iterator

import numpy as np

from .common import Measurement, TaskSpec


@contextlib.contextmanager
def _threads(n: int) -> Iterator[None]:
    import ndgrad

    before = ndgrad.get_num_threads()
    if n != before:
        ndgrad.set_num_threads(n)
    try:
        yield
    finally:
        if n != before:
            ndgrad.set_num_threads(before)


def _clean(code: str) -> str:
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()


class Timer:
    """Time `stmt` (after running `setup` once) with `globals` (which include `torch`: ndgrad).

    Example::
        >>> t = Timer("x * 2", setup="x = torch.ones(8)")
        >>> m = t.timeit(100)
        >>> m.number_per_run
        100
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timeit.default_timer, globals: dict | None = None,
                 label: str | None = None, sub_label: str | None = None,
                 description: str | None = None, env: str | None = None, num_threads: int = 1,
                 language: str = "python") -> None:
        import ndgrad

        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in ("python", "py"):
            raise ValueError(f"ndgrad times Python statements only, got language `{language}`.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely this "
                             "code can simply be moved to `setup`.")
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", ndgrad)
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, label=label, sub_label=sub_label,
                                   description=description, env=env, num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        return self._timer.timeit(number=max(int(number), 1))

    def timeit(self, number: int = 1000000) -> Measurement:
        """Run stmt `number` times (after a short warm-up): one measurement."""
        with _threads(self._task_spec.num_threads):
            self._timeit(max(number // 100, 2))
            return Measurement(number, [self._timeit(number)], self._task_spec)

    def repeat(self, repeat: int = -1, number: int = -1) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback: Any = None) -> None:
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _block_size(self, min_run_time: float) -> int:
        # blocks long enough that timing overhead is negligible (this also warms up)
        overhead = float(np.median([self._timer.timeit(0) for _ in range(5)]))
        number = 1
        while True:
            taken = self._timeit(number)
            if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or \
                    taken > min_run_time or number * 10 > 2147483647:
                return number
            number *= 10

    def _loop(self, number: int, stop: Callable[[list], bool], min_run_time: float,
              max_run_time: float | None, callback: Any) -> list:
        total, times, can_stop = 0.0, [], False
        while total < min_run_time or not can_stop:
            spent = self._timeit(number)
            times.append(spent)
            total += spent
            if callback:
                callback(number, spent)
            can_stop = stop(times)
            if max_run_time and total > max_run_time:
                break
        return times

    def blocked_autorange(self, callback: Any = None, min_run_time: float = 0.2) -> Measurement:
        """Blocks of runs until min_run_time seconds have been spent: many measurements."""
        with _threads(self._task_spec.num_threads):
            number = self._block_size(min_run_time)
            times = self._loop(number, lambda t: True, min_run_time, None, callback)
        return Measurement(number, times, self._task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0, callback: Any = None) -> Measurement:
        """Like blocked_autorange, but until the IQR is within `threshold` of the median (or
        max_run_time seconds)."""
        with _threads(self._task_spec.num_threads):
            number = self._block_size(min_run_time=0.05)

            def stop(times: list) -> bool:
                return len(times) > 3 and Measurement(
                    number, times, self._task_spec).meets_confidence(threshold)

            times = self._loop(number, stop, min_run_time, max_run_time, callback)
        return Measurement(number, times, self._task_spec)
