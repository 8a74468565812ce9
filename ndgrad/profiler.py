"""torch.profiler: the newer profiler API (activities, schedules, trace handlers) over the same
per-op recorder as ndgrad.autograd.profiler; only CPU activity exists."""
from __future__ import annotations

import enum
import os
import socket
import time
import warnings
from typing import Any, Callable

from ._ops import _registry
from .autograd.profiler import _Recorder, record_function
from .autograd.profiler_util import EventList

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "supported_activities", "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set:
    return {ProfilerActivity.CPU}


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """Which action the profiler takes at each step: skip_first steps, then cycles of wait,
    warmup and active steps (repeat times; 0: forever).

    Example::
        >>> [schedule(wait=1, warmup=0, active=2)(s).name for s in range(3)]
        ['NONE', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} "
            f"(need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step = step - skip_first + (wait if skip_first_wait else 0)
        cycle = wait + warmup + active
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable:
    """An on_trace_ready handler writing each trace as <dir_name>/<worker>.<time>.pt.trace.json."""

    def handler(prof: "profile") -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns() // 1000000}.pt.trace.json")
        if use_gzip:
            warnings.warn("use_gzip is not supported: the trace is written uncompressed",
                          UserWarning, stacklevel=2)
        prof.export_chrome_trace(path)

    return handler


class profile:
    """torch.profiler.profile: record CPU op timings in a block, optionally on a schedule
    (advance it with step(); on_trace_ready(prof) is called at the end of each active cycle).

    Example::
        >>> with profile(activities=[ProfilerActivity.CPU]) as prof:
        ...     y = ndgrad.ones(2) + 1
        >>> prof.key_averages()[0].key
        'aten::add'
    """

    def __init__(self, *, activities: Any = None, schedule: Callable | None = None,
                 on_trace_ready: Callable | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None,
                 execution_trace_observer: Any = None, acc_events: bool = False,
                 use_cuda: bool | None = None, custom_trace_id_callback: Any = None) -> None:
        if use_cuda or (activities is not None and
                        any(a is not ProfilerActivity.CPU for a in activities)):
            warnings.warn("Only CPU activity is profiled: ndgrad computes on the CPU",
                          UserWarning, stacklevel=2)
        self.schedule = schedule or _always_record
        self.on_trace_ready, self.record_shapes = on_trace_ready, record_shapes
        self.step_num = 0
        self.profiler: EventList | None = None
        self._recorder: _Recorder | None = None
        self._events: EventList | None = None

    def _recording(self) -> bool:
        return self.schedule(self.step_num) in (ProfilerAction.RECORD,
                                                ProfilerAction.RECORD_AND_SAVE)

    def _start_recording(self) -> None:
        if _registry.PROFILER is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        self._recorder = _Recorder(self.record_shapes)
        _registry.PROFILER = self._recorder

    def _stop_recording(self, save: bool) -> None:
        if self._recorder is None:
            return
        _registry.PROFILER = None
        self._events = self._recorder.finish()
        self._recorder = None
        if save and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def start(self) -> None:
        if self._recording():
            self._start_recording()

    def stop(self) -> None:
        self._stop_recording(save=True)

    def step(self) -> None:
        """Advance the schedule by one step (call once per training iteration)."""
        saving = self.schedule(self.step_num) is ProfilerAction.RECORD_AND_SAVE
        self.step_num += 1
        if saving:
            self._stop_recording(save=True)
        if self._recorder is None and self._recording():
            self._start_recording()

    def __enter__(self) -> "profile":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def events(self) -> EventList:
        if self._events is None:
            raise RuntimeError("Profiler didn't finish running")
        return self._events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path: str) -> None:
        self.events().export_chrome_trace(path)
