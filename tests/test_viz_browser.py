"""The generated pages in a real browser: headless Chromium (the system's, through Playwright)
opens them over file://; screenshots go to test-artifacts/ (looked at, never pixel-compared).

A missing Playwright or Chromium skips these tests, or fails them under NDGRAD_REQUIRE_BROWSER=1
(CI sets it, as NDGRAD_REQUIRE_TORCH for the torch oracle)."""
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F
from ndgrad.viz import make_dot, record

pytestmark = pytest.mark.browser
REQUIRE = os.environ.get("NDGRAD_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CANDIDATES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")


def _missing(why):
    if REQUIRE:
        pytest.fail(f"{why} (NDGRAD_REQUIRE_BROWSER=1 requires the browser tests to run)")
    pytest.skip(why)


def _chromium():
    explicit = os.environ.get("NDGRAD_CHROMIUM")
    if explicit:
        return explicit
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    exe = _chromium()
    if exe is None:
        _missing("no Chromium found (apt-get install chromium-headless-shell, or set "
                 "NDGRAD_CHROMIUM)")
    with sync_playwright() as p:  # launch() gives Chromium a fresh, empty profile directory
        b = p.chromium.launch(executable_path=exe, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    problems = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
          if m.type in ("error", "warning") else None)
    pg.problems = problems
    yield pg
    context.close()
    assert not problems, problems


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    out = tmp_path_factory.mktemp("pages")
    ndgrad.manual_seed(0)
    with record() as rec:
        x = ndgrad.ones(5)
        y = ndgrad.zeros(3)
        w = ndgrad.randn(5, 3, requires_grad=True)
        b = ndgrad.randn(3, requires_grad=True)
        z = ndgrad.matmul(x, w) + b
        loss = F.binary_cross_entropy_with_logits(z, y)
        loss.backward()
    graph = make_dot(loss, params={"w": w, "b": b}, show_saved=True)
    graph_page = graph.render(outfile=str(out / "tutorial_graph.html"), cleanup=True)
    step_page = rec.trace.to_html(str(out / "tutorial_backward.html"))
    assert step_page
    return {"graph": Path(graph_page), "steps": out / "tutorial_backward.html",
            "trace": rec.trace, "graph_obj": graph}


def _shot(pg, name):
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _boxes(pg):
    return pg.eval_on_selector_all(
        "svg g.node rect",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })")


def _assert_no_overlap(boxes):
    for i, (l1, t1, r1, b1) in enumerate(boxes):
        assert r1 > l1 and b1 > t1
        for l2, t2, r2, b2 in boxes[i + 1:]:
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, "node boxes overlap"


def test_graph_page_nodes_layout_and_click(page, files):
    page.goto(files["graph"].as_uri())
    nodes = page.locator("svg g.node")
    assert nodes.count() == len(files["graph_obj"].model.nodes)
    _assert_no_overlap(_boxes(page))
    page.locator('svg g.node[data-name="MmBackward0"]').click()
    assert "MmBackward0" in page.inner_text("#panel")
    page.locator('svg g.node[data-name="w"]').click()
    panel = page.inner_text("#panel")
    assert "(5, 3)" in panel and "leaf" in panel
    _shot(page, "tutorial_graph.png")


def test_step_page_follows_the_trace(page, files):
    page.goto(files["steps"].as_uri())
    trace = files["trace"]
    assert page.locator("svg g.node").count() == len(page.eval_on_selector_all(
        "svg g.node", "els => els.map(e => e.dataset.id)"))
    _assert_no_overlap(_boxes(page))
    assert page.inner_text("#counter") == f"step 0 / {len(trace)}"
    assert page.is_disabled("#prev")
    for k, row in enumerate(trace.rows, 1):
        page.keyboard.press("ArrowRight")
        assert page.inner_text("#counter") == f"step {k} / {len(trace)}"
        active = page.locator("svg g.node.active")
        assert active.count() == 1
        assert active.get_attribute("data-name") == row["node"]
        assert page.locator("svg g.node.done").count() == k - 1
        assert f"step {k} / {len(trace)}: {row['node']}" in page.inner_text("#panel h2")
        if row["to"] or row["kind"] == "accumulate":
            assert page.locator("svg g.edge.used").count() >= 1
            assert page.locator("svg .edge-label").count() >= 1
        if k == 2:
            _shot(page, "tutorial_backward_step2.png")
    assert page.is_disabled("#next")
    page.keyboard.press("ArrowLeft")
    assert page.inner_text("#counter") == f"step {len(trace) - 1} / {len(trace)}"
    page.keyboard.press("Home")
    assert page.inner_text("#counter") == f"step 0 / {len(trace)}"
    page.locator('svg g.node[data-name="AddBackward0"]').click()
    assert "z = ndgrad.matmul(x, w) + b" in page.inner_text("#panel")
    _shot(page, "tutorial_backward_clicked.png")


def test_play_advances_under_a_controlled_clock(page, files):
    page.clock.install()
    page.goto(files["steps"].as_uri())
    interval = page.evaluate("JSON.parse(document.getElementById('ndgrad-data').textContent)"
                             ".interval")
    page.click("#play")
    assert "Pause" in page.inner_text("#play")
    page.clock.run_for(interval * 2 + interval // 2)
    n = len(files["trace"])
    assert page.inner_text("#counter") == f"step 2 / {n}"
    page.clock.run_for(interval * (n + 2))
    assert page.inner_text("#counter") == f"step {n} / {n}"
    assert "Play" in page.inner_text("#play")  # stopped at the end


def test_reduced_motion_and_flagged_gradients(browser, tmp_path):
    context = browser.new_context(reduced_motion="reduce")
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    v = ndgrad.tensor([-1.0, 4.0], requires_grad=True)
    with record() as rec, np.errstate(all="ignore"):
        v.sqrt().sum().backward()
    path = tmp_path / "nan.html"
    rec.trace.to_html(str(path))
    pg.goto(path.as_uri())
    pg.keyboard.press("End")
    assert pg.locator("svg g.node.flagged").count() >= 1
    pg.keyboard.press("Home")
    pg.keyboard.press("ArrowRight")
    pg.keyboard.press("ArrowRight")
    assert "gradient flagged: nan" in pg.inner_text("#panel")
    transition = pg.eval_on_selector("svg g.node rect",
                                     "e => getComputedStyle(e).transitionDuration")
    assert transition in ("0s", "")
    _shot(pg, "nan_gradient_step.png")
    context.close()
    assert not errors
