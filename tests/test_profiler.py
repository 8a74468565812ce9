"""The profiler: every op, backward node and record_function range is timed through the registry's
call path; the summaries and table read as torch's; nothing is recorded when it is off."""
import json
import re

import pytest

import ndgrad
from ndgrad._ops import _registry
from ndgrad.autograd import profiler


def _workload(lib):
    x = lib.ones(8, 8, requires_grad=True)
    with lib.autograd.profiler.record_function("my_block"):
        y = (x @ x).relu().sum()
    y.backward()
    return x


def test_records_ops_nodes_and_ranges_like_torch(torch):
    names = {}
    for lib in (ndgrad, torch):
        with lib.autograd.profiler.profile() as prof:
            _workload(lib)
        names[lib.__name__] = {e.key for e in prof.key_averages()}
    ours = names["ndgrad"]
    for common in ("my_block", "aten::matmul", "aten::mm", "aten::relu", "aten::sum",
                   "MmBackward0", "ReluBackward0", "SumBackward0"):
        assert common in ours and common in names["torch"], common
    assert _registry.PROFILER is None


def test_nesting_self_time_and_counts():
    with profiler.profile() as prof:
        _workload(ndgrad)
    events = prof.function_events
    block = next(e for e in events if e.name == "my_block")
    matmul = next(e for e in events if e.name == "aten::matmul")
    assert matmul.cpu_parent is block and matmul in block.cpu_children
    assert any(c.name == "aten::mm" for c in matmul.cpu_children)
    for e in events:
        assert e.time_range.start <= e.time_range.end
        assert e.self_cpu_time_total <= e.cpu_time_total + 1e-9
        assert e.self_cpu_time_total >= -1e-6
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["aten::mm"].count == 3  # forward, and two in MmBackward0
    total = prof.self_cpu_time_total
    assert abs(total - sum(e.self_cpu_time_total for e in events)) < 1e-6
    assert abs(prof.total_average().self_cpu_time_total - total) < 1e-6


def test_table_layout_matches_torch(torch):
    tables = {}
    for lib in (ndgrad, torch):
        with lib.autograd.profiler.profile(record_shapes=True) as prof:
            _workload(lib)
        tables[lib.__name__] = (prof.key_averages().table(sort_by="self_cpu_time_total",
                                                          row_limit=5),
                                prof.key_averages(group_by_input_shape=True).table(row_limit=3))
    for ours, theirs in zip(tables["ndgrad"], tables["torch"]):
        o, t = ours.splitlines(), theirs.splitlines()
        assert len(o) == len(t)
        head = [re.sub(r"\s+", " ", line.strip()) for line in (o[1], t[1])]
        assert head[0] == head[1]  # the same columns, in the same order
        assert set(o[0]) == set(t[0]) == {"-", " "}
        assert o[-1].startswith("Self CPU time total: ") and t[-1].startswith("Self CPU ")
        for line in o[3:-2]:
            assert re.search(r"\d+\.\d\d%\s+\d+\.\d{3}(us|ms|s)\s", line), line
    rows = tables["ndgrad"][0].splitlines()[3:-2]
    selfs = [float(re.split(r"\s{2,}", r.strip())[1].rstrip("%")) for r in rows]
    assert selfs == sorted(selfs, reverse=True)


def test_record_function_as_decorator_and_outside_a_profile():
    @profiler.record_function("labelled")
    def f(t):
        return t * 2

    assert f(ndgrad.ones(1)).tolist() == [2.0]  # no profile: nothing happens
    with profiler.profile() as prof:
        f(ndgrad.ones(1))
    assert [e.key for e in prof.key_averages()] == ["labelled", "aten::mul"]


def test_ops_that_raise_are_dropped_and_the_profile_stays_consistent():
    with profiler.profile() as prof:
        with pytest.raises(RuntimeError):
            ndgrad.ones(2) + ndgrad.ones(3)
        ndgrad.ones(2) * 2
    assert [e.name for e in prof.function_events] == ["aten::mul"]
    assert prof.function_events[0].cpu_parent is None


def test_nested_profiles_are_refused_and_disabled_profile_records_nothing():
    with profiler.profile():
        with pytest.raises(RuntimeError, match="already enabled"):
            with profiler.profile():
                pass
    with profiler.profile(enabled=False) as prof:
        ndgrad.ones(2) * 2
    assert _registry.PROFILER is None and prof.function_events is None


def test_chrome_trace(tmp_path):
    with profiler.profile(record_shapes=True) as prof:
        ndgrad.ones(2, 3).sum()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    assert [e["name"] for e in trace["traceEvents"]] == ["aten::sum"]
    assert trace["traceEvents"][0]["args"]["Input Dims"] == [[2, 3]]


def test_torch_profiler_api_with_a_schedule(tmp_path, torch):
    from ndgrad.profiler import ProfilerActivity, profile, schedule, tensorboard_trace_handler

    sched = schedule(wait=1, warmup=1, active=2, repeat=1)
    assert [sched(s).name for s in range(6)] == [
        torch.profiler.schedule(wait=1, warmup=1, active=2, repeat=1)(s).name for s in range(6)]
    saved = []
    with profile(activities=[ProfilerActivity.CPU], schedule=sched,
                 on_trace_ready=lambda p: saved.append(p.key_averages())) as prof:
        for step in range(6):
            ndgrad.ones(2) * (step + 1)
            prof.step()
    assert len(saved) == 1 and saved[0][0].count == 2  # the two active steps
    with profile(on_trace_ready=tensorboard_trace_handler(str(tmp_path))) as prof:
        ndgrad.ones(2).exp()
    assert prof.key_averages()[0].key == "aten::exp"
    assert len(list(tmp_path.glob("*.pt.trace.json"))) == 1


def test_no_recorder_and_no_events_when_off():
    assert _registry.PROFILER is None
    ndgrad.ones(2) * 2  # runs without touching any profiler state
    assert _registry.PROFILER is None
