"""ndgrad.viz without a browser: the SVG's structure (XML, ids, edges, boxes, escaping,
determinism), make_dot's torchviz surface, layout speed and summarising, bad input."""
import gc
import importlib.util
import math
import os
import re
import time
import weakref
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F
from ndgrad.viz import Graph, GraphvizNotFound, make_dot
from ndgrad.viz import _graph, _layout
from ndgrad.viz._files import write_atomic

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path(__file__).resolve().parents[1]


def tutorial(seed=0):
    ndgrad.manual_seed(seed)
    x = ndgrad.ones(5)
    y = ndgrad.zeros(3)
    w = ndgrad.randn(5, 3, requires_grad=True)
    b = ndgrad.randn(3, requires_grad=True)
    z = ndgrad.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    return loss, w, b


def mlp_graph(width=8, depth=3):
    ndgrad.manual_seed(0)
    h = ndgrad.randn(4, width)
    params = {}
    for i in range(depth):
        w = ndgrad.randn(width, width, requires_grad=True)
        params[f"w{i}"] = w
        h = ndgrad.tanh(h @ w) + h * 0.5
    return h.sum(), params


def parse(svg):
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return root


def boxes(root):
    out = {}
    for g in root.iter(SVG + "g"):
        if "node" in g.get("class", "").split():
            r = g.find(SVG + "rect")
            out[g.get("data-id")] = tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
    return out


def check_svg(svg, model):
    """The structural contract of every drawing."""
    root = parse(svg)
    nodes = [g for g in root.iter(SVG + "g") if "node" in g.get("class", "").split()]
    assert len(nodes) == len(model.nodes)
    ids = [g.get("id") for g in nodes]
    assert len(set(ids)) == len(ids)
    data_ids = {g.get("data-id") for g in nodes}
    for g in nodes:
        for key in ("data-name", "data-kind", "data-shape", "data-source"):
            assert g.get(key) is not None
        assert g.find(SVG + "title") is not None
    edges = [g for g in root.iter(SVG + "g") if "edge" in g.get("class", "").split()]
    assert len(edges) == len(model.edges)
    for e in edges:
        assert e.get("data-from") in data_ids and e.get("data-to") in data_ids
    x0, y0, vw, vh = (float(v) for v in root.get("viewBox").split())
    assert "nan" not in svg.lower().replace("data-grad-norm=\"nan\"", "")
    bs = boxes(root)
    for x, y, w, h in bs.values():
        assert all(math.isfinite(v) for v in (x, y, w, h))
        assert x0 <= x and y0 <= y and x + w <= x0 + vw + 1e-6 and y + h <= y0 + vh + 1e-6
    items = sorted(bs.values())
    for i, (x, y, w, h) in enumerate(items):  # sorted by x: only neighbours in x can overlap
        for x2, y2, w2, h2 in items[i + 1:]:
            if x2 >= x + w:
                break
            assert y2 >= y + h or y >= y2 + h2, "node boxes overlap"
    for p in root.iter(SVG + "path"):
        nums = re.findall(r"-?\d+(?:\.\d+)?|nan|inf", p.get("d"))
        assert all(math.isfinite(float(v)) for v in nums)
    return root


# *** the SVG ***

@pytest.mark.parametrize("rankdir", ["TB", "LR", "BT", "RL"])
@pytest.mark.parametrize("show", [{}, {"show_saved": True}, {"show_attrs": True}])
def test_tutorial_svg_structure(rankdir, show):
    loss, w, b = tutorial()
    g = make_dot(loss, params={"w": w, "b": b}, rankdir=rankdir, **show)
    root = check_svg(g.svg(), g.model)
    names = [n.get("data-name") for n in root.iter(SVG + "g") if n.get("data-kind")]
    for name in ("BinaryCrossEntropyWithLogitsBackward0", "AddBackward0", "MmBackward0",
                 "AccumulateGrad", "w", "b"):
        assert name in names


def test_rankdir_orients_edges():
    loss, w, b = tutorial()
    for rankdir, axis, sign in (("TB", 1, 1), ("BT", 1, -1), ("LR", 0, 1), ("RL", 0, -1)):
        g = make_dot(loss, rankdir=rankdir)
        bs = boxes(parse(g.svg()))
        centre = {k: (x + w_ / 2, y + h / 2) for k, (x, y, w_, h) in bs.items()}
        for e in g.model.edges:
            assert sign * (centre[e.dst][axis] - centre[e.src][axis]) > 0, rankdir


def test_same_graph_same_bytes_and_labels_escaped():
    ndgrad.manual_seed(0)
    w = ndgrad.randn(3, requires_grad=True)
    nasty = {'<w & "q"> </script>': w}
    a = make_dot((w * 2).sum(), params=nasty).svg()
    b = make_dot((w * 2).sum(), params=nasty).svg()
    assert a == b
    root = parse(a)
    labels = [t.text for t in root.iter(SVG + "text")]
    assert '<w & "q"> </script>' in labels
    assert "</script>" not in a and "&lt;w &amp; &quot;q&quot;&gt;" in a


def test_leaf_names_shapes_output_and_gradient_norms():
    loss, w, b = tutorial()
    g = make_dot(loss)  # names from the caller's variables
    by_name = {n.name: n for n in g.model.nodes}
    assert by_name["w"].kind == "leaf" and by_name["w"].shape == "(5, 3)"
    assert by_name["loss"].kind == "output" and by_name["loss"].shape == "()"
    assert by_name["w"].grad_norm is None
    loss.backward()
    g = make_dot(loss, params={"weight": w, "bias": b})
    by_name = {n.name: n for n in g.model.nodes}
    assert by_name["weight"].grad_norm == pytest.approx(float(np.linalg.norm(w.grad.numpy())))
    assert any(line.startswith("|grad|") for line in by_name["bias"].lines)
    assert "|grad|" not in "".join(make_dot(loss, show_grads=False).source)


def test_show_saved_before_and_after_backward():
    loss, w, b = tutorial()
    g = make_dot(loss, show_saved=True)
    saved = [n for n in g.model.nodes if n.kind == "saved"]
    assert saved and all(n.shape != "freed" for n in saved)
    assert all(e.style == "saved" for e in g.model.edges if g.model.node(e.dst).kind == "saved")
    loss.backward()
    g = make_dot(loss, show_saved=True, show_attrs=True)  # freed tensors: shown, not a crash
    freed = [n for n in g.model.nodes if n.kind == "saved"]
    assert freed and all(n.shape == "freed" for n in freed)
    assert "[freed by backward]" in g.source


def test_a_saved_leaf_stays_one_leaf_box():
    w = ndgrad.ones(3, requires_grad=True)
    g = make_dot((w * w).sum(), show_saved=True)
    kinds = [n.kind for n in g.model.nodes]
    assert kinds.count("leaf") == 1 and kinds.count("saved") == 2
    leaf = next(n.id for n in g.model.nodes if n.kind == "leaf")
    assert [e.style for e in g.model.edges if e.src == leaf] == ["solid"]


def test_show_attrs_is_torchvizs_table():
    x = ndgrad.ones(2, 3, requires_grad=True)
    g = make_dot(x.sum(dim=1, keepdim=True), show_attrs=True, max_attr_chars=4)
    label = next(n.lines for n in g.model.nodes if n.name == "SumBackward1")
    assert label[1].startswith("-") and any(re.match(r"keepdim\s*: ", line) for line in label)
    assert all(len(line.split(": ", 1)[1]) <= 4 for line in label[2:])


def test_views_tuples_and_custom_functions():
    x = ndgrad.ones(4, requires_grad=True) * 2
    v = x.view(2, 2)
    g = make_dot(v)
    assert "base" in {n.kind for n in g.model.nodes}
    assert any(e.style == "dotted" for e in g.model.edges)
    a, b = ndgrad.ones(2, requires_grad=True).exp().unbind(0)
    g = make_dot((a, b))
    assert sum(n.kind == "output" for n in g.model.nodes) == 2

    class Square(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            ctx.save_for_backward(i)
            return i * i

        @staticmethod
        def backward(ctx, grad):
            (i,) = ctx.saved_tensors
            return 2 * i * grad

    y = Square.apply(ndgrad.ones(2, requires_grad=True))
    g = make_dot(y.sum())
    assert "SquareBackward" in {n.name for n in g.model.nodes}
    assert any(n.kind == "saved" for n in g.model.nodes)  # torchviz: always for Functions


def test_dot_source_save_render_pipe(tmp_path):
    loss, w, b = tutorial()
    g = make_dot(loss, params={"w": w, "b": b})
    src = g.source
    assert src.startswith("digraph {") and src.rstrip().endswith("}")
    assert "fillcolor=lightblue" in src and "fillcolor=darkolivegreen1" in src
    assert len(g.body) == len(g.model.nodes) + len(g.model.edges)
    path = g.save(str(tmp_path / "graph.gv"))
    assert Path(path).read_text() == src
    out = g.render(str(tmp_path / "graph"), format="svg")
    assert out == str(tmp_path / "graph.svg") and Path(out).read_text() == g.svg()
    assert (tmp_path / "graph").read_text() == src
    html = g.render(outfile=str(tmp_path / "page.html"), cleanup=True)
    assert Path(html).read_text().startswith("<!DOCTYPE html>")
    assert not (tmp_path / "page.gv").exists()
    assert g.pipe("svg") == g.svg().encode() and g.pipe("dot", encoding="utf-8") == src
    assert g._repr_svg_() == g.svg() and "<svg" in g._repr_html_()
    bundle = g._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/html", "text/plain"}
    assert isinstance(g, Graph) and "nodes" in repr(g)


def test_png_and_pdf_need_graphviz_and_say_so(tmp_path, monkeypatch):
    loss, _, _ = tutorial()
    g = make_dot(loss)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    for fmt in ("png", "pdf"):
        with pytest.raises(GraphvizNotFound, match="Graphviz's `dot`.*format='svg'"):
            g.pipe(fmt)
        with pytest.raises(GraphvizNotFound):
            g.render(str(tmp_path / "g"), format=fmt)
    assert not list(tmp_path.iterdir()), "a failed render wrote files"


def test_make_dot_on_the_training_example_models():
    spec = importlib.util.spec_from_file_location("train_digits", ROOT / "examples" /
                                                  "train_digits.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    ndgrad.manual_seed(0)
    for make, shape, expect in ((example.make_mlp, (2, 8, 8), "AddmmBackward0"),
                                (example.make_cnn, (2, 1, 8, 8), "ConvolutionBackward0")):
        model = make(ndgrad)
        loss = F.cross_entropy(model(ndgrad.randn(*shape)), ndgrad.tensor([1, 2]))
        g = make_dot(loss, params=dict(model.named_parameters()))
        names = {n.name for n in g.model.nodes}
        assert expect in names and "1.weight" in names or "0.weight" in names
        leaves = [n for n in g.model.nodes if n.kind == "leaf"]
        assert len(leaves) == len(list(model.parameters()))
        check_svg(g.svg(), g.model)
        loss.backward()
        check_svg(make_dot(loss, params=dict(model.named_parameters())).svg(), g.model)


# *** size ***

def test_thousand_nodes_lay_out_quickly():
    loss, _ = mlp_graph(width=4, depth=170)
    g = make_dot(loss, max_nodes=5000)
    assert len(g.model.nodes) >= 1000
    start = time.perf_counter()
    svg = g.svg()
    elapsed = time.perf_counter() - start
    check_svg(svg, g.model)
    assert elapsed < 3.0, f"{len(g.model.nodes)} nodes took {elapsed:.2f}s to lay out"


def test_big_graph_is_cut_at_max_nodes():
    x = ndgrad.ones(2, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    g = make_dot(y, max_nodes=200)
    assert g.model.truncated and len(g.model.nodes) <= 201
    assert any(n.kind == "more" for n in g.model.nodes)
    check_svg(g.svg(), g.model)


@pytest.mark.slow
def test_million_node_chain_is_summarised_promptly():
    x = ndgrad.ones(2, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    start = time.perf_counter()
    g = make_dot(y)
    g.svg()
    assert time.perf_counter() - start < 5.0
    assert g.model.truncated


def test_layout_pav_and_cycles():
    assert _layout._pav([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [10.0, 10.0]) == [-10.0, 0.0, 10.0]
    lay = _layout.layout([(20, 10)] * 3, [(0, 1), (1, 2), (2, 0)])  # a cycle still lays out
    assert all(math.isfinite(v) for v in lay.x + lay.y)
    assert _layout.layout([], []).width >= 0
    with pytest.raises(ValueError, match="rankdir"):
        _layout.layout([(1, 1)], [], rankdir="XY")


# *** bad input ***

def test_bad_input_errors_name_what_was_passed():
    with pytest.raises(TypeError, match="numpy.ndarray"):
        make_dot(np.ones(3))
    with pytest.raises(TypeError, match="element 1 of the outputs is builtins.int"):
        make_dot((ndgrad.ones(1, requires_grad=True) * 2, 3))
    with pytest.raises(ValueError, match=r"shape \(3\), torch.float32.*no grad_fn"):
        make_dot(ndgrad.ones(3))
    with pytest.raises(ValueError, match="rankdir"):
        make_dot(ndgrad.ones(1, requires_grad=True) * 2, rankdir="sideways")
    with pytest.raises(TypeError, match="params must map names to tensors"):
        make_dot(ndgrad.ones(1, requires_grad=True) * 2, params={"w": 3})
    leaf = ndgrad.ones(2, requires_grad=True)
    assert [n.kind for n in make_dot(leaf).model.nodes] == ["output"]


def test_files_are_written_atomically(tmp_path, monkeypatch):
    target = tmp_path / "graph.svg"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]
    monkeypatch.undo()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "g.svg", "x")


# *** viewing changes nothing and keeps nothing alive ***

def _all_nodes(root):
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(c for c, _ in node.next_functions if c is not None)
    return nodes


def test_drawing_changes_nothing_and_keeps_nothing_alive():
    loss, w, b = tutorial()
    # params given: no look at this frame's locals (a Python < 3.13 snapshot would hold `loss`)
    g = make_dot(loss, params={"w": w, "b": b}, show_saved=True, show_attrs=True)
    g.svg()
    untouched = [node._hooks is None for node in _all_nodes(loss.grad_fn)]
    assert all(untouched)
    loss.backward()
    plain_loss, plain_w, _ = tutorial()
    plain_loss.backward()
    assert np.array_equal(w.grad.numpy(), plain_w.grad.numpy())
    fn_ref = weakref.ref(loss.grad_fn)
    del loss
    gc.collect()
    assert fn_ref() is None, "the drawing keeps the graph alive"
    assert "w" in {n.name for n in g.model.nodes}


def test_graph_helpers():
    assert _graph.size_to_str((2, 3)) == "(2, 3)" and _graph.size_to_str(()) == "()"
    assert _graph.format_norm(None) == "-" and _graph.format_norm(float("nan")) == "nan"
    assert _graph.format_norm(1234.5678) == "1235"
