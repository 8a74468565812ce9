"""Extending and inspecting autograd, against torch: custom Functions, hooks, gradcheck,
anomaly mode, checkpointing, saved-tensor hooks, the graph summary."""
import numpy as np
import pytest

import ndgrad

X = np.array([0.3, -0.7, 1.1, 0.2])


def both(fn, torch):
    return fn(ndgrad), fn(torch)


def close(a, b, **kw):
    np.testing.assert_allclose(np.asarray(a.detach().tolist() if hasattr(a, "detach") else a),
                               np.asarray(b.detach().tolist() if hasattr(b, "detach") else b),
                               rtol=1e-6, atol=1e-7, **kw)


def make_exp(L):
    class Exp(L.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    return Exp


def test_custom_exp_like_torch(torch):
    def run(L):
        x = L.tensor(X, requires_grad=True)
        y = make_exp(L).apply(x)
        (y * y).sum().backward()
        return type(y.grad_fn).__name__, x.grad

    (n1, g1), (n2, g2) = both(run, torch)
    assert n1 == n2 == "ExpBackward"
    close(g1, g2)


def test_custom_function_double_backward(torch):
    def run(L):
        class Cube(L.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x * x * g

        x = L.tensor(X, requires_grad=True)
        (g,) = L.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        (gg,) = L.autograd.grad(g.sum(), x)
        return gg

    close(*both(run, torch))


def test_custom_function_saved_tensor_modified_raises(torch):
    def run(L):
        x = L.tensor(X, requires_grad=True)
        h = x * 1
        y = make_exp(L).apply(h)
        y.mul_(2)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return str(e).split("\n")[0]

    a, b = both(run, torch)
    assert a == b and "modified by an inplace operation" in a


def test_gradient_clipping_hooks(torch):
    def run(L):
        w = L.tensor(X, requires_grad=True)
        w.register_hook(lambda g: g.clamp(-0.5, 0.5))
        h = w * 3
        seen = []
        h.register_hook(lambda g: seen.append(g.tolist()))
        (h * h).sum().backward()
        return w.grad, seen

    (g1, s1), (g2, s2) = both(run, torch)
    close(g1, g2)
    assert np.allclose(s1, s2)


def test_hook_order_and_node_hooks(torch):
    def run(L):
        order = []
        x = L.tensor(X, requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: order.append("tensor1"))
        y.register_hook(lambda g: order.append("tensor2"))
        y.retain_grad()
        y.grad_fn.register_prehook(lambda go: order.append("node_pre"))
        y.grad_fn.register_hook(lambda gi, go: order.append("node_post"))
        x.register_hook(lambda g: order.append("leaf"))
        x.register_post_accumulate_grad_hook(lambda t: order.append("post_acc"))
        y.sum().backward()
        return order

    a, b = both(run, torch)
    assert a == b


def test_hook_handles_remove(torch):
    def run(L):
        x = L.tensor(X, requires_grad=True)
        h = x.register_hook(lambda g: g * 100)
        h.remove()
        (x * 2).sum().backward()
        return x.grad

    close(*both(run, torch))


def test_multi_grad_hook(torch):
    def run(L):
        a = L.tensor(X, requires_grad=True)
        b = L.tensor(X * 2, requires_grad=True)
        calls = []
        L.autograd.graph.register_multi_grad_hook(
            (a, b), lambda grads: calls.append([g is None for g in grads]))
        (a * 3).sum().backward()
        (a * b).sum().backward()
        return calls

    a, b = both(run, torch)
    assert a == b


def test_saved_attributes(torch):
    def run(L):
        x = L.tensor(X, requires_grad=True)
        y = L.tensor(X * 2, requires_grad=True)
        m = x * y
        e = x.exp()
        return (m.grad_fn._saved_self, m.grad_fn._saved_other, e.grad_fn._saved_result)

    (a1, b1, c1), (a2, b2, c2) = both(run, torch)
    close(a1, a2), close(b1, b2), close(c1, c2)


def test_gradient_edge(torch):
    for L in (ndgrad, torch):
        x = L.tensor(X, requires_grad=True)
        y = x * 2
        edge = L.autograd.graph.get_gradient_edge(y)
        assert edge.node is y.grad_fn and edge.output_nr == 0
        assert isinstance(y.grad_fn, L.autograd.graph.Node)


def test_pack_unpack_hooks(torch):
    def run(L):
        packed = []

        def pack(t):
            packed.append(tuple(t.shape))
            return t * 1

        x = L.tensor(X, requires_grad=True)
        with L.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = (x.exp() * x).sum()
        y.backward()
        return x.grad, sorted(packed)

    (g1, p1), (g2, p2) = both(run, torch)
    close(g1, g2)
    assert p1 == p2


def test_save_on_cpu_and_disable(torch):
    def run(L):
        x = L.tensor(X, requires_grad=True)
        with L.autograd.graph.save_on_cpu():
            y = (x.sin() * x).sum()
        y.backward()
        err = None
        with L.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            try:
                with L.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
            except RuntimeError as e:
                err = str(e)
        return x.grad, err

    (g1, e1), (g2, e2) = both(run, torch)
    close(g1, g2)
    assert e1 == e2 == "no hooks here"


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_block_with_dropout_same_grads(use_reentrant, torch):
    def run(L):
        L.manual_seed(0)
        w = L.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True, dtype=L.float32)
        x = L.tensor(np.linspace(0, 1, 8).reshape(2, 4), dtype=L.float32, requires_grad=True)

        def block(t):
            h = (t @ w).tanh()
            return h * (L.rand(h.shape) > 0.3)  # randomness replayed in recomputation

        from_ck = L.utils.checkpoint.checkpoint(block, x, use_reentrant=use_reentrant)
        (from_ck ** 2).sum().backward()
        return L.cat([w.grad.flatten(), x.grad.flatten()])

    import ndgrad.utils.checkpoint  # noqa: F401
    import torch.utils.checkpoint  # noqa: F401

    close(*both(run, torch))


def test_checkpoint_saves_less_memory():
    from ndgrad.autograd.graph import summary
    from ndgrad.utils.checkpoint import checkpoint

    x = ndgrad.randn(1000, requires_grad=True)

    def block(t):
        return (t.exp() * t).sin().tanh()

    plain = summary(block(x)).saved_bytes
    ck = summary(checkpoint(block, x, use_reentrant=False)).saved_bytes
    assert plain >= 4 * 4000 and ck == 0
    y = checkpoint(block, x, use_reentrant=False)
    y.sum().backward()
    g = x.grad.clone()
    x.grad = None
    block(x).sum().backward()
    np.testing.assert_allclose(g.numpy(), x.grad.numpy())


def test_summary_reports_nodes_and_bytes():
    from ndgrad.autograd.graph import summary

    x = ndgrad.ones(100, requires_grad=True)
    rep = summary((x.exp() * x).sum())
    names = [r[0] for r in rep.rows]
    assert {"SumBackward0", "MulBackward0", "ExpBackward0"} <= set(names)
    assert rep.saved_bytes == 2 * 400 and rep.freed_by_backward == rep.saved_bytes
    assert "backward() frees" in str(rep)


def test_anomaly_mode_attaches_forward_traceback():
    x = ndgrad.zeros(1, requires_grad=True)
    with pytest.warns(UserWarning):
        with ndgrad.autograd.detect_anomaly():
            y = x.sqrt()  # FORWARD_LINE
            with pytest.raises(RuntimeError, match="returned nan values in its 0th output") as info:
                (y * 0).sum().backward()
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "FORWARD_LINE" in notes


def test_anomaly_mode_error_in_custom_backward_has_traceback():
    class Boom(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom")

    x = ndgrad.ones(2, requires_grad=True)
    with pytest.warns(UserWarning):
        with ndgrad.autograd.set_detect_anomaly(True):
            y = Boom.apply(x)  # BOOM_LINE
            with pytest.raises(ValueError) as info:
                y.sum().backward()
    assert "BOOM_LINE" in "".join(info.value.__notes__)


def test_gradcheck_catches_wrong_backward_and_names_it(torch):
    class BadExp(ndgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y * 1.1

    x = ndgrad.tensor(X, requires_grad=True, dtype=ndgrad.float64)
    with pytest.raises(ndgrad.autograd.GradcheckError) as info:
        ndgrad.autograd.gradcheck(lambda t: (BadExp.apply(t.sin()) * 2).sum(), (x,))
    msg = str(info.value)
    assert "BadExpBackward" in msg and "analytic" in msg and "numeric" in msg
    assert not ndgrad.autograd.gradcheck(lambda t: BadExp.apply(t), (x,), raise_exception=False)
    # torch's gradcheck rejects the same kind of function
    tx = torch.tensor(X, requires_grad=True, dtype=torch.float64)

    class TBadExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y * 1.1

    assert not torch.autograd.gradcheck(TBadExp.apply, (tx,), raise_exception=False)


def test_gradcheck_accepts_correct_functions():
    x = ndgrad.tensor(X, requires_grad=True, dtype=ndgrad.float64)
    assert ndgrad.autograd.gradcheck(lambda t: make_exp(ndgrad).apply(t), (x,))
    assert ndgrad.autograd.gradgradcheck(lambda t: (t.exp() * t.sin()).sum(), (x,))
