"""The profiler's records: FunctionEvent (one timed call), FunctionEventAvg (a group of them) and
EventList, whose table() prints torch's layout."""
from __future__ import annotations

import json
import os
from typing import Any


def _format_time(time_us: float) -> str:
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_share(time_us: float, total_us: float) -> str:
    return "NaN" if total_us == 0 else f"{time_us * 100.0 / total_us:.2f}%"


class Interval:
    """A [start, end) time range in microseconds."""

    __slots__ = ("start", "end")

    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end

    def elapsed_us(self) -> float:
        return self.end - self.start


class _Times:
    """The time attributes and their *_str forms that table() and users read."""

    cpu_time_total: float
    self_cpu_time_total: float
    count: int
    # no accelerator and no memory profiling: the columns torch would fill are zero
    device_time_total = self_device_time_total = cuda_time_total = self_cuda_time_total = 0.0
    cpu_memory_usage = self_cpu_memory_usage = device_memory_usage = 0
    self_device_memory_usage = flops = 0
    is_async = is_legacy = is_remote = is_user_annotation = False
    node_id, use_device, overload_name = -1, None, ""

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def cpu_time_str(self) -> str:
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return _format_time(self.self_cpu_time_total)


class FunctionEvent(_Times):
    """One recorded call: an op (aten::<name>), a backward node, or a record_function range."""

    def __init__(self, id: int, name: str, thread: int, start_us: float,
                 input_shapes: list | None = None) -> None:
        self.id, self.name, self.thread = id, name, thread
        self.time_range = Interval(start_us, start_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None
        self.count, self.stack = 1, []
        self.closed = False  # set when the call returned (an op that raised is dropped)

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:  # type: ignore[override]
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:  # type: ignore[override]
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_str} "
                f"start_us={self.time_range.start:.3f} end_us={self.time_range.end:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes}>")


class FunctionEventAvg(_Times):
    """The events of one key (a name, or a name and input shapes): counts and summed times."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.count, self.cpu_time_total, self.self_cpu_time_total = 0, 0.0, 0.0
        self.input_shapes: Any = None
        self.cpu_parent = None  # an average has no parent (table's top_level_events_only)

    def add(self, other: Any) -> "FunctionEventAvg":
        if self.key is None:
            self.key, self.input_shapes = other.key, other.input_shapes
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        return self

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of FunctionEvent (or FunctionEventAvg) with torch's summaries."""

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> "EventList":
        """One FunctionEventAvg per name (and input shapes), in order of first appearance."""
        groups: dict = {}
        for evt in self:
            key = (evt.key, str(evt.input_shapes)) if group_by_input_shape else evt.key
            groups.setdefault(key, FunctionEventAvg()).add(evt)
        out = EventList(groups.values())
        if not group_by_input_shape:
            for avg in out:
                avg.input_shapes = None
        return out

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg()
        for evt in self:
            total.add(evt)
        total.key = "Total"
        return total

    @property
    def self_cpu_time_total(self) -> float:
        return sum(evt.self_cpu_time_total for evt in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """The events as torch's profiler table (sort_by: an attribute such as
        "self_cpu_time_total" or "cpu_time_total", largest first)."""
        return _build_table(self, sort_by, row_limit, max_name_column_width,
                            max_shapes_column_width, header, top_level_events_only, time_unit)

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (chrome://tracing, Perfetto) JSON file."""
        events = [{"name": e.name, "ph": "X", "cat": "cpu_op", "ts": e.time_range.start,
                   "dur": e.cpu_time_total, "pid": os.getpid(), "tid": e.thread,
                   "args": {"Input Dims": e.input_shapes}} for e in self]
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w") as fh:
            json.dump({"traceEvents": events}, fh)
        os.replace(tmp, path)  # never a half-written trace

    def __str__(self) -> str:
        return self.table()


def _build_table(events: list, sort_by: str | None, row_limit: int, max_name: int,
                 max_shapes: int, header: str | None, top_level_only: bool,
                 time_unit: str | None) -> str:
    if not events:
        return ""
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    shapes = any(e.input_shapes for e in events)
    name_width = min(max(len(e.key) for e in events) + 4, max_name)
    heads = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
             "# of Calls"]
    widths = [name_width] + [12] * 6
    if shapes:
        heads.append("Input Shapes")
        widths.append(min(max(len(str(e.input_shapes)) for e in events) + 4, max_shapes))
    row = "".join("{:>" + str(w) + "}  " for w in widths)
    sep = "".join("-" * w + "  " for w in widths)
    line_length = sum(w + 2 for w in widths) - 2

    def fmt(us: float) -> str:
        scale = {"s": (1e6, "s"), "ms": (1e3, "ms"), "us": (1.0, "us")}.get(time_unit or "")
        return f"{us / scale[0]:.3f}{scale[1]}" if scale else _format_time(us)

    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [sep, row.format(*heads), sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key if len(e.key) < max_name - 3 else e.key[:max_name - 3] + "..."
        values = [name, _format_share(e.self_cpu_time_total, total), fmt(e.self_cpu_time_total),
                  _format_share(e.cpu_time_total, total), fmt(e.cpu_time_total), fmt(e.cpu_time),
                  e.count]
        if shapes:
            values.append(str(e.input_shapes)[:widths[-1]])
        lines.append(row.format(*values))
    lines += [sep, f"Self CPU time total: {fmt(total)}"]
    return "\n".join(lines) + "\n"
