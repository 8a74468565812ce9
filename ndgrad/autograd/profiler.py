"""torch.autograd.profiler: per-op CPU timings recorded through the op registry's single call path
(every op as aten::<name>, every backward node by its name, record_function ranges); nothing is
recorded, and nothing costs more than one global read, while no profile is active."""
from __future__ import annotations

import functools
import itertools
import threading
import time
import warnings
from typing import Any, Callable

from .._ops import _registry
from .._tensor import Tensor
from .profiler_util import EventList, FunctionEvent, FunctionEventAvg, Interval  # noqa: F401

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


def _shape(x: Any) -> list:
    return list(x._data.shape) if isinstance(x, Tensor) else []


class _Recorder:
    """What _registry.PROFILER points at while a profile is active."""

    def __init__(self, record_shapes: bool) -> None:
        self.record_shapes = record_shapes
        self.events: list[FunctionEvent] = []
        self._stacks: dict[int, list] = {}
        self._ids = itertools.count(1)
        self._t0 = time.perf_counter_ns()

    def _now(self) -> float:
        return (time.perf_counter_ns() - self._t0) / 1000.0

    def enter(self, name: str, inputs: Any, prefix: str = "aten::") -> FunctionEvent:
        thread = threading.get_ident()
        stack = self._stacks.setdefault(thread, [])
        shapes = [_shape(x) for x in inputs] if self.record_shapes else None
        event = FunctionEvent(next(self._ids), prefix + name, thread, 0.0, shapes)
        if stack:
            event.cpu_parent = stack[-1]
            stack[-1].cpu_children.append(event)
        stack.append(event)
        self.events.append(event)
        event.time_range.start = self._now()
        return event

    def exit(self, event: FunctionEvent) -> None:
        event.time_range.end = self._now()
        stack = self._stacks.get(threading.get_ident(), [])
        while stack and stack.pop() is not event:  # ops that raised never closed: drop them
            pass
        event.closed = True

    def run(self, name: str, fn: Callable, args: tuple, kwargs: dict, node: bool = False) -> Any:
        event = self.enter(name, args, "" if node else "aten::")
        try:
            return fn(*args, **kwargs)
        finally:
            self.exit(event)

    def finish(self) -> EventList:
        events = EventList(e for e in self.events if e.closed)
        for e in events:  # children of an op that raised are kept, the op itself is not
            if e.cpu_parent is not None and not e.cpu_parent.closed:
                e.cpu_parent = None
            e.cpu_children = [c for c in e.cpu_children if c.closed]
        return events


class profile:
    """Record the CPU time of every op, backward node and record_function range in a block.

    Example::
        >>> x = ndgrad.ones(4, 4, requires_grad=True)
        >>> with ndgrad.autograd.profiler.profile() as prof:
        ...     (x @ x).sum().backward()
        >>> "aten::mm" in prof.key_averages().table()
        True
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device: Any = None,
                 record_shapes: bool = False, with_flops: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_kineto: bool = True, use_cpu: bool = True,
                 experimental_config: Any = None, acc_events: bool = False,
                 custom_trace_id_callback: Any = None) -> None:
        self.enabled, self.record_shapes = enabled, record_shapes
        if use_cuda or (use_device not in (None, "cpu")):
            warnings.warn("CUDA is not available, disabling CUDA profiling", UserWarning,
                          stacklevel=2)
        self.function_events: EventList | None = None
        self._recorder: _Recorder | None = None

    def __enter__(self) -> "profile":
        if not self.enabled:
            return self
        if _registry.PROFILER is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        self._recorder = _Recorder(self.record_shapes)
        _registry.PROFILER = self._recorder
        return self

    def __exit__(self, *exc: object) -> None:
        if self._recorder is None:
            return
        _registry.PROFILER = None
        self.function_events = self._recorder.finish()
        self._recorder = None

    def _events(self) -> EventList:
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self.function_events

    def events(self) -> EventList:
        return self._events()

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        return self._events().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args: Any, **kwargs: Any) -> str:
        return self._events().table(*args, **kwargs)

    def total_average(self) -> FunctionEventAvg:
        return self._events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._events().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        self._events().export_chrome_trace(path)

    def __str__(self) -> str:
        return self.table()


class record_function:
    """Label a block (or, as a decorator, a function) in the profile; free when no profile runs.

    Example::
        >>> with ndgrad.autograd.profiler.profile() as prof:
        ...     with ndgrad.autograd.profiler.record_function("my_block"):
        ...         y = ndgrad.ones(2) * 2
        >>> [e.key for e in prof.key_averages()]
        ['my_block', 'aten::mul']
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name, self.args = name, args
        self._event: FunctionEvent | None = None
        self._recorder: _Recorder | None = None

    def __enter__(self) -> "record_function":
        recorder = _registry.PROFILER
        if recorder is not None:
            self._recorder = recorder
            self._event = recorder.enter(self.name, (), prefix="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._event is not None and self._recorder is not None:
            self._recorder.exit(self._event)
        self._event = self._recorder = None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def labelled(*args: Any, **kwargs: Any) -> Any:
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)

        return labelled
