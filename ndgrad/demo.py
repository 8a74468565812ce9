"""`python -m ndgrad.demo`: the PyTorch autograd tutorial, step by step, on ndgrad."""
from __future__ import annotations

import os

import ndgrad as torch


def step(title: str) -> None:
    print(f"\n== {title} ==")


def tutorial() -> None:
    """The seed tutorial (pytorch.org autogradqs), unchanged but for the import."""
    torch.manual_seed(0)
    step("1. Tensors, Functions and the computational graph")
    x = torch.ones(5)  # input tensor
    y = torch.zeros(3)  # expected output
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    print(f"Gradient function for z = {z.grad_fn}")
    print(f"Gradient function for loss = {loss.grad_fn}")
    print("loss =", loss)

    step("2. Computing gradients")
    loss.backward()
    print("w.grad =", w.grad)
    print("b.grad =", b.grad)
    try:
        loss.backward()
    except RuntimeError as e:
        print("a second backward raises RuntimeError:", str(e).split(".")[0] + ".")

    step("3. Disabling gradient tracking")
    z = torch.matmul(x, w) + b
    print("z.requires_grad =", z.requires_grad)
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    print("under no_grad: z.requires_grad =", z.requires_grad)
    z = torch.matmul(x, w) + b
    z_det = z.detach()
    print("z.detach().requires_grad =", z_det.requires_grad)

    step("4. The graph, walked backwards from loss")
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    stack, seen = [(loss.grad_fn, 0)], set()
    while stack:
        node, depth = stack.pop()
        print("  " * depth + node.name())
        for child, _ in reversed(node.next_functions):
            if child is not None and child not in seen:
                seen.add(child)
                stack.append((child, depth + 1))

    step("5. Gradients accumulate; retain_graph keeps the graph")
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    print("first call\n", inp.grad)
    out.backward(torch.ones_like(out), retain_graph=True)
    print("second call\n", inp.grad)
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    print("call after zeroing gradients\n", inp.grad)


def see_autograd(out_dir: str = ".") -> tuple[str, str]:
    """The tutorial's graph and its backward pass drawn by ndgrad.viz: an SVG of the graph and a
    step-through page; returns their paths."""
    from ndgrad import viz

    step("7. See the graph, and what backward() did node by node (ndgrad.viz)")
    torch.manual_seed(0)
    with viz.record() as rec:  # captures where every node is created, and the engine's order
        x = torch.ones(5)  # input tensor
        y = torch.zeros(3)  # expected output
        w = torch.randn(5, 3, requires_grad=True)
        b = torch.randn(3, requires_grad=True)
        z = torch.matmul(x, w) + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
        loss.backward()
    print(rec.trace)
    graph_path = os.path.join(out_dir, "tutorial_graph.svg")
    page_path = os.path.join(out_dir, "tutorial_backward.html")
    viz.make_dot(loss).render(outfile=graph_path, cleanup=True)
    rec.trace.to_html(page_path, title="The tutorial's backward(), step by step")
    print(f"\nthe graph (no Graphviz needed): {graph_path}")
    print(f"the step-through page: {page_path}  (open file://{os.path.abspath(page_path)} in a "
          "browser: Next / Play, or the arrow keys)")
    return graph_path, page_path


def _load_example() -> object | None:
    """examples/train_digits.py from the source tree (the demo runs from a clone)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "train_digits.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("ndgrad_example_train_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def training() -> None:
    """Train an MLP and a CNN on scikit-learn's bundled 8x8 digits; plot the loss curves."""
    step("6. Training on the 8x8 digits (examples/train_digits.py)")
    example = _load_example()
    if example is None:
        print("examples/train_digits.py not found (run the demo from a clone of the repository)")
        return
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("scikit-learn is not installed: pip install -e '.[demo]' to train on the digits")
        return
    import ndgrad.utils.data  # noqa: F401

    curves = {}
    for name in ("mlp", "cnn"):
        result = example.train(torch, name, progress=True)
        curves[name] = result["losses"]
        print(f"{name.upper()}: final training loss {result['losses'][-1]:.4f}, "
              f"test accuracy {result['accuracy']:.2%}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the loss-curve plot")
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, losses in curves.items():
        ax.plot(losses, label=name.upper(), linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_yscale("log")
    ax.set_title("ndgrad on scikit-learn digits")
    ax.legend()
    fig.tight_layout()
    fig.savefig("ndgrad_digits_loss.png", dpi=120)
    print("loss curves written to ndgrad_digits_loss.png")


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ndgrad.demo", description=__doc__)
    parser.add_argument("--out", default=".", help="where the tutorial's graph and step page go")
    parser.add_argument("--viz-only", action="store_true",
                        help="only draw the tutorial (regenerates docs/: --viz-only --out docs)")
    opts = parser.parse_args(argv)
    if not opts.viz_only:
        tutorial()
    see_autograd(opts.out)
    if not opts.viz_only:
        training()


if __name__ == "__main__":
    main()
