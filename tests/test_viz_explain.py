"""explain() / record(): the engine's real order (checked against hooks), gradient norms
(checked against PyTorch), source lines, notes, summaries, JSON, the page, the CLI and the demo."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ndgrad
import ndgrad.nn.functional as F
from ndgrad.autograd import engine
from ndgrad._ops import _registry
from ndgrad.viz import explain, make_dot, record

ROOT = Path(__file__).resolve().parents[1]


def diamond(lib):
    """Broadcasting, a shared subexpression, a node that gets two gradients, a relu with dead
    units: the cases a learner asks about."""
    x = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]], requires_grad=True)
    b = lib.tensor([0.1, -0.2, 0.3], requires_grad=True)
    h = x * 2 + b  # b is broadcast over dim 0
    s = h.sin()
    out = (s * h).relu() + s.exp()  # h and s each feed two consumers
    return out.mean(), x, b


def _graph_nodes(root):
    seen, order, stack = set(), [], [root]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        order.append(n)
        stack.extend(c for c, _ in n.next_functions)
    return order


def test_trace_order_equals_an_independent_hook_recording():
    loss, x, b = diamond(ndgrad)
    seen = []
    for node in _graph_nodes(loss.grad_fn):
        node.register_prehook(lambda grads, node=node: seen.append(node))
    trace = explain(loss)
    assert [s.node for s in trace.steps] == seen
    assert [r["node"] for r in trace.rows] == [type(n).__name__ for n in seen]
    assert engine.OBSERVER is None and _registry.SOURCE_HOOK is None


def _torch_norms(torch):
    """Node names and gradient norms in PyTorch's own execution order, from node hooks."""
    loss, x, b = diamond(torch)
    rows = []
    for node in _graph_nodes(loss.grad_fn):
        def hook(grad_inputs, grad_outputs, node=node):
            rows.append((type(node).__name__,
                         [float(g.double().norm()) if g is not None else None
                          for g in grad_outputs],
                         [float(g.double().norm()) if g is not None else None
                          for g, (child, _) in zip(grad_inputs, node.next_functions)
                          if child is not None]))
        node.register_hook(hook)
    loss.backward()
    return rows


def test_trace_gradient_norms_equal_pytorchs(torch):
    loss, x, b = diamond(ndgrad)
    trace = explain(loss)
    theirs = _torch_norms(torch)
    assert [r["node"] for r in trace.rows] == [t[0] for t in theirs]
    for row, (name, g_in, g_out) in zip(trace.rows, theirs):
        assert row["grad_in"] == pytest.approx(g_in, rel=1e-6), name
        assert [t["norm"] for t in row["to"]] == pytest.approx(g_out, rel=1e-6), name


def test_notes_a_learner_needs():
    loss, x, b = diamond(ndgrad)
    trace = explain(loss)
    notes = {r["node"]: r["notes"] for r in trace.rows}
    add_notes = [n for r in trace.rows if r["node"] == "AddBackward0" for n in r["notes"]]
    assert "broadcast: gradient for other summed over dim 0 to shape (3)" in add_notes
    assert any(n.startswith("accumulates 2 incoming gradients") for n in add_notes)
    assert "\u2192 b.grad (accumulated, not overwritten)" in [
        n for r in trace.rows if r["leaf"] == "b" for n in r["notes"]]
    assert notes["MeanBackward0"] == []
    assert not any("already there" in n for r in trace.rows for n in r["notes"])
    w = ndgrad.ones(2, requires_grad=True)
    (w * 2).sum().backward()
    again = explain((w * 3).sum())
    assert any("added to the w.grad already there" in n for n in again.rows[-1]["notes"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zero_nan_and_inf_gradients_are_flagged():
    w = ndgrad.tensor([-1.0, -2.0], requires_grad=True)
    trace = explain(w.relu().sum())
    assert "zero" in trace.rows[1]["flags"]
    v = ndgrad.tensor([-1.0, 4.0], requires_grad=True)
    trace = explain(v.sqrt().sum())
    assert "nan" in trace.rows[1]["flags"] and any("NaN" in n for n in trace.rows[1]["notes"])
    u = ndgrad.tensor([0.0, 1.0], requires_grad=True)
    trace = explain(u.log().sum())
    assert "inf" in trace.rows[1]["flags"]
    data = json.loads(trace.to_json())  # strict JSON: non-finite norms become strings
    assert "inf" in json.dumps(data["rows"][1]["grad_out"])


def test_rules_are_one_readable_line():
    loss, x, b = diamond(ndgrad)
    rules = {r["node"]: r["rule"] for r in explain(loss).rows}
    assert rules["SinBackward0"] == "grad_input = grad * cos(input)"
    assert rules["AccumulateGrad"].endswith(".grad += grad")
    ndgrad.manual_seed(0)
    z = ndgrad.ones(5) @ ndgrad.randn(5, 3, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(z, ndgrad.zeros(3))
    rules = {r["node"]: r["rule"] for r in explain(loss).rows}
    assert rules["MmBackward0"] == "grad_mat2 = input.t().mm(grad)"  # only what is needed
    assert "sigmoid(input) - target" in rules["BinaryCrossEntropyWithLogitsBackward0"]


def test_record_captures_every_source_line_and_restores_the_hooks():
    with record() as rec:
        x = ndgrad.ones(3, requires_grad=True)
        y = (x * 2 + 1).sum()  # LINE
        y.backward()
    line = next(i for i, s in enumerate(Path(__file__).read_text().splitlines(), 1)
                if s.strip().endswith("# LINE"))
    rows = rec.trace.rows
    assert [r["node"] for r in rows] == ["SumBackward0", "AddBackward0", "MulBackward0",
                                        "AccumulateGrad"]
    for r in rows[:3]:
        assert r["where"].endswith(f"test_viz_explain.py:{line}")
        assert r["code"] == "y = (x * 2 + 1).sum()  # LINE"
    assert rec.trace.outputs == [y]
    assert engine.OBSERVER is None and _registry.SOURCE_HOOK is None
    with pytest.raises(ZeroDivisionError):
        with record():
            1 / 0
    assert engine.OBSERVER is None and _registry.SOURCE_HOOK is None
    with pytest.raises(RuntimeError, match="no backward"):
        with record() as empty:
            pass
        empty.trace


def test_record_keeps_one_trace_per_backward_and_nests():
    with record() as outer:
        with record(keep="last") as inner:
            for _ in range(3):
                (ndgrad.ones(2, requires_grad=True) * 3).sum().backward()
    assert len(outer.traces) == 3 and len(inner.traces) == 1
    with pytest.raises(ValueError, match="keep"):
        record(keep="some")


@pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled")
def test_anomaly_mode_gives_source_lines_too():
    with ndgrad.autograd.detect_anomaly():
        x = ndgrad.ones(2, requires_grad=True)
        y = (x + 1).sum()
    trace = explain(y)
    assert all(r["where"] for r in trace.rows if r["kind"] != "accumulate")


def test_module_grouping_and_summary_of_big_traces():
    ndgrad.manual_seed(0)
    nn = ndgrad.nn
    model = nn.Sequential(*[m for _ in range(12) for m in (nn.Linear(4, 4), nn.Tanh())])
    with record() as rec:
        loss = model(ndgrad.randn(2, 4)).pow(2).sum()
        loss.backward()
    trace = rec.trace
    assert len(trace) > 40
    modules = {r["module"] for r in trace.rows}
    assert "0 (Linear)" in modules and "1 (Tanh)" in modules
    text = str(trace)
    assert "by module" in text and "largest gradient growth" in text
    assert len(text.splitlines()) < 80
    assert len(trace.table(max_rows=None).splitlines()) > 3 * len(trace)


def test_explain_bad_input():
    with pytest.raises(TypeError, match="builtins.float"):
        explain(1.0)
    with pytest.raises(RuntimeError, match=r"shape \(2\).*does not require grad"):
        explain(ndgrad.ones(2))
    leaf = ndgrad.ones(2, requires_grad=True)
    trace = explain(leaf, gradient=ndgrad.ones(2))
    assert [r["node"] for r in trace.rows] == ["AccumulateGrad"]


def test_trace_json_and_html_are_self_contained(tmp_path):
    loss, x, b = diamond(ndgrad)
    trace = explain(loss, params={"x </script><script>alert(1)": x, "b": b})
    data = json.loads(trace.to_json(str(tmp_path / "trace.json")))
    assert data["format"] == "ndgrad.viz.trace/1" and len(data["rows"]) == len(trace)
    assert json.loads((tmp_path / "trace.json").read_text()) == data
    html = trace.to_html(str(tmp_path / "backward.html"))
    assert (tmp_path / "backward.html").read_text() == html
    assert "alert(1)" in html and "</script><script>alert" not in html
    assert len(re.findall(r"<script", html)) == 2
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "the page loads something remote"
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")
    payload = re.search(r'id="ndgrad-data">(.*?)</script>', html, re.S).group(1)
    steps = json.loads(payload)["steps"]
    assert [s["row"]["node"] for s in steps] == [r["node"] for r in trace.rows]
    assert all(s["node"] for s in steps)
    assert "iframe" in trace._repr_html_()
    assert repr(trace) == f"<ndgrad.viz.Trace: {len(trace)} nodes>"


def test_trace_graph_matches_make_dot():
    loss, x, b = diamond(ndgrad)
    trace = explain(loss, params={"x": x, "b": b})
    g = trace.graph()
    assert [n.name for n in g.model.nodes] == [n.name for n in make_dot(
        loss, params={"x": x, "b": b}).model.nodes]


SCRIPT = """
import ndgrad as torch
w = torch.randn(3, requires_grad=True)
for step in range(2):
    loss = (w * w).sum()
    loss.backward()
"""


def test_cli_writes_the_graph_and_the_page(tmp_path):
    script = tmp_path / "learn.py"
    script.write_text(SCRIPT)
    run = subprocess.run([sys.executable, "-m", "ndgrad.viz", "-o", str(tmp_path), str(script)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "learn_graph.svg").read_text().startswith("<svg")
    page = (tmp_path / "learn_backward.html").read_text()
    assert "MulBackward0" in page and "learn.py:5" in page
    assert "learn_backward.html" in run.stdout
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    run = subprocess.run([sys.executable, "-m", "ndgrad.viz", str(empty)], capture_output=True,
                         text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 1 and "ran no backward()" in run.stderr
    run = subprocess.run([sys.executable, "-m", "ndgrad.viz", str(tmp_path / "nope.py")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2 and "no such file" in run.stderr


def test_demo_draws_the_tutorial(tmp_path, capsys):
    from ndgrad import demo

    graph, page = demo.see_autograd(str(tmp_path))
    out = capsys.readouterr().out
    assert Path(graph).read_text().startswith("<svg") and Path(page).exists()
    assert graph in out and page in out and "MmBackward0" in out


def _mask_numbers(text):
    return re.sub(r"-?\d+\.\d+(e-?\d+)?", "#", text)


def test_committed_tutorial_graph_is_what_the_code_draws(tmp_path, monkeypatch):
    """docs/tutorial_graph.svg is regenerated by `python -m ndgrad.demo --viz-only --out docs`."""
    from ndgrad import demo

    monkeypatch.chdir(ROOT)
    graph, _ = demo.see_autograd(str(tmp_path))
    fresh = Path(graph).read_text()
    committed = (ROOT / "docs" / "tutorial_graph.svg").read_text()
    assert _mask_numbers(fresh) == _mask_numbers(committed), (
        "docs/tutorial_graph.svg is stale: run python -m ndgrad.demo --viz-only --out docs")
