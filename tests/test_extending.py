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


# *** defects found as a new user (issue 10, part 5), each against torch ***

def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # the exception type and message are what is compared
        return (type(e).__name__, str(e))


def _plain(v):
    """Tensors -> nested lists, so results of both libraries compare with =="""
    if hasattr(v, "detach"):
        return np.round(np.asarray(v.detach().tolist(), dtype=float), 5).tolist()
    if isinstance(v, (list, tuple)):
        return type(v)(_plain(x) for x in v)
    return v


def _make_once_exp(L):
    class OnceExp(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            r = x.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        @L.autograd.function.once_differentiable
        def backward(ctx, g):
            (r,) = ctx.saved_tensors
            return g * r

    return OnceExp


ONCE = {
    "double_backward": lambda L, f, x: L.autograd.grad(
        (f.apply(x) ** 2).sum(), x, create_graph=True)[0].sum().backward(),
    "grad_fn": lambda L, f, x: (lambda g: (g.grad_fn.name(), g.requires_grad, g.is_leaf))(
        L.autograd.grad((f.apply(x) ** 2).sum(), x, create_graph=True)[0]),
    "unused_path": lambda L, f, x: L.autograd.grad(L.autograd.grad(
        f.apply(x), x, L.ones(4, requires_grad=True), create_graph=True)[0].sum(), x),
    "first_order": lambda L, f, x: L.autograd.grad(f.apply(x).sum(), x)[0],
    "constant_grad_output": lambda L, f, x: (lambda g: (g.requires_grad, g.grad_fn))(
        L.autograd.grad(f.apply(x).sum(), x, create_graph=True)[0]),
    "gradgradcheck": lambda L, f, x: L.autograd.gradgradcheck(
        f.apply, (x.detach().double().requires_grad_(),), raise_exception=False),
}


@pytest.mark.parametrize("case", ONCE)
def test_once_differentiable_like_torch(torch, case):
    def run(L):
        return _plain(ONCE[case](L, _make_once_exp(L), L.tensor(X, requires_grad=True)))

    assert _outcome(lambda: run(ndgrad)) == _outcome(lambda: run(torch))


def _multi(L, mode, graph, kinds):
    a = L.tensor(X, requires_grad=True)
    b = L.tensor(X[:2] * 2, requires_grad=kinds != "b_plain")
    tensors = {"leaves": (a, b), "nonleaf": (a * 1.5, b * 2.0), "leaf_child": (a, a * 2),
               "b_plain": (a, b)}[kinds]
    seen = []

    def hook(g):
        seen.append(_plain(list(g)) if mode == "all" else _plain(g))
        seen.append(None if a.grad is None else _plain(a.grad))  # when the hook ran

    handle = _outcome(lambda: L.autograd.graph.register_multi_grad_hook(tensors, hook, mode=mode))
    if handle[0] != "ok":
        return handle
    x, y = tensors
    ys = y if y.shape == x.shape else y.sum()
    out = {"sum": lambda: (x * 3).sum() + (ys * 5).sum(), "only_x": lambda: (x * 3).sum(),
           "product": lambda: (x * ys).exp().sum()}[graph]()
    out.backward(retain_graph=True)
    out.backward(inputs=[a])
    return seen, _plain(a.grad)


@pytest.mark.parametrize("kinds", ["leaves", "nonleaf", "leaf_child", "b_plain"])
@pytest.mark.parametrize("graph", ["sum", "only_x", "product"])
@pytest.mark.parametrize("mode", ["all", "any"])
def test_multi_grad_hook_like_torch(torch, mode, graph, kinds):
    assert _outcome(lambda: _multi(ndgrad, mode, graph, kinds)) == _outcome(
        lambda: _multi(torch, mode, graph, kinds))


def test_hooked_gradient_is_not_changed_by_later_accumulation(torch):
    def run(L):
        a = L.tensor(X, requires_grad=True)
        b = L.tensor(X, requires_grad=True)
        kept, kept_any, kept_node = [], [], []
        a.register_hook(kept.append)
        L.autograd.graph.register_multi_grad_hook((a, b), kept_any.append, mode="any")
        y = a + b
        y.grad_fn.register_hook(lambda gi, go: kept_node.append(gi))
        for _ in range(2):
            (y * 3).sum().backward(retain_graph=True)
        return _plain([kept, kept_any, kept_node, a.grad, b.grad])

    assert run(ndgrad) == run(torch)


GRADIENT_EDGES = {
    "grad_wrt_nonleaf_edge": lambda L, a, h, e: L.autograd.grad((h ** 2).sum(), e),
    "grad_wrt_leaf_edge_and_leaf": lambda L, a, h, e: L.autograd.grad(
        (a ** 2).sum(), (L.autograd.graph.get_gradient_edge(a), a)),
    "grad_of_edge_output": lambda L, a, h, e: L.autograd.grad(e, a, grad_outputs=L.ones(4)),
    "grad_of_leaf_edge_output": lambda L, a, h, e: L.autograd.grad(
        L.autograd.graph.get_gradient_edge(a), a, grad_outputs=L.ones(4)),
    "backward_inputs_edge": lambda L, a, h, e: ((h ** 2).sum().backward(inputs=[e]), a.grad),
    "backward_inputs_leaf_edge": lambda L, a, h, e: (
        (h ** 2).sum().backward(inputs=[L.autograd.graph.get_gradient_edge(a)]), a.grad),
    "materialize_edge": lambda L, a, h, e: L.autograd.grad(
        (a * 2).sum(), [e], materialize_grads=True),
    "unused_edge": lambda L, a, h, e: L.autograd.grad((a * 2).sum(), [e]),
    "dict_inputs": lambda L, a, h, e: sorted(L.autograd.grad((h * a).sum(), {"h": h, "a": a})),
    "empty_inputs": lambda L, a, h, e: L.autograd.grad((h * a).sum(), []),
    "backward_empty_inputs": lambda L, a, h, e: (h * a).sum().backward(inputs=[]),
    "materialize_unused": lambda L, a, h, e: L.autograd.grad(
        (a * 2).sum(), [a, L.ones(2, requires_grad=True)], materialize_grads=True),
    "materialize_allow_unused_false": lambda L, a, h, e: L.autograd.grad(
        (a * 2).sum(), [a], materialize_grads=True, allow_unused=False),
}


@pytest.mark.parametrize("case", GRADIENT_EDGES)
def test_gradient_edges_and_grad_inputs_like_torch(torch, case):
    def run(L):
        a = L.tensor(X, requires_grad=True)
        h = a * 2
        return _plain(GRADIENT_EDGES[case](L, a, h, L.autograd.graph.get_gradient_edge(h)))

    assert _outcome(lambda: run(ndgrad)) == _outcome(lambda: run(torch))


def _make_bad_cube(L, wrong):
    class Cube(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            if wrong == "second":  # right values, but not differentiable in x
                return g * 3 * x.detach() ** 2
            if wrong == "first":
                return g * 3.3 * x ** 2
            return g * 3 * x ** 2

    return Cube


@pytest.mark.parametrize("wrong", ["none", "first", "second"])
def test_gradcheck_and_gradgradcheck_verdicts_like_torch(torch, wrong):
    def run(L):
        f = _make_bad_cube(L, wrong).apply
        x = L.tensor(X, dtype=L.float64, requires_grad=True)
        return (L.autograd.gradcheck(f, (x,), raise_exception=False),
                L.autograd.gradgradcheck(f, (x,), raise_exception=False),
                _outcome(lambda: L.autograd.gradgradcheck(f, (x,)))[0])

    assert run(ndgrad) == run(torch)


def test_gradcheck_without_differentiable_input_like_torch(torch):
    for L in (ndgrad, torch):
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            L.autograd.gradcheck(lambda t: t * 2, (L.ones(2, dtype=L.float64),))


def _jvp_functions(L):
    class SaveForForward(L.autograd.Function):
        @staticmethod
        def forward(x):
            return x.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(inputs[0])
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos()

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return t * x.cos()

    class TwoInputs(L.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_forward(x, y)
            ctx.k = k
            return x * y * k, x + y

        @staticmethod
        def jvp(ctx, xt, yt, kt):
            x, y = ctx.saved_tensors
            return (xt * y + x * yt) * ctx.k, xt + yt

        @staticmethod
        def backward(ctx, a, b):
            return a, b, None

    class OnlyBackwardSaves(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def jvp(ctx, t):
            return t * 2 + len(ctx.saved_tensors)

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return SaveForForward, TwoInputs, OnlyBackwardSaves


JVPS = {
    "setup_context": lambda L, fns, d, p: fns[0].apply(d),
    "second_input_without_tangent": lambda L, fns, d, p: fns[1].apply(d, p, 3.0),
    "first_input_without_tangent": lambda L, fns, d, p: fns[1].apply(p, d, 3.0),
    "saved_for_backward_not_seen": lambda L, fns, d, p: fns[2].apply(d),
}


@pytest.mark.parametrize("case", JVPS)
def test_custom_function_jvp_like_torch(torch, case):
    def run(L):
        fwAD = L.autograd.forward_ad
        fns = _jvp_functions(L)
        with fwAD.dual_level():
            d = fwAD.make_dual(L.tensor(X), L.tensor([1.0, -1.0, 0.5, 2.0]))
            out = JVPS[case](L, fns, d, L.tensor(X[::-1].copy()))
            outs = out if isinstance(out, tuple) else (out,)
            return _plain([fwAD.unpack_dual(o).tangent for o in outs])

    assert _outcome(lambda: run(ndgrad)) == _outcome(lambda: run(torch))


def _make_dirty_double(L):
    class DoubleInPlace(L.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return DoubleInPlace


@pytest.mark.parametrize("target", ["nonleaf", "view_of_nonleaf", "leaf"])
def test_mark_dirty_like_torch(torch, target):
    def run(L):
        a = L.tensor(X, requires_grad=True)
        h = a * 1
        x = {"nonleaf": h, "view_of_nonleaf": h[1:3], "leaf": a}[target]
        y = _make_dirty_double(L).apply(x)
        (h * L.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        return (y is x, type(y.grad_fn).__name__, type(h.grad_fn).__name__, h._version,
                _plain(h), _plain(a.grad))

    assert _outcome(lambda: run(ndgrad)) == _outcome(lambda: run(torch))


CHECKPOINTS = {
    "grad": lambda L, cp, a: L.autograd.grad(cp(a).sum(), a)[0],
    "double_backward": lambda L, cp, a: L.autograd.grad(
        L.autograd.grad(cp(a).sum(), a, create_graph=True)[0].sum(), a)[0],
    "backward_create_graph": lambda L, cp, a: (cp(a).sum().backward(create_graph=True), a.grad)[1],
    "backward_inputs": lambda L, cp, a: (cp(a).sum().backward(inputs=[a]), a.grad)[1],
}


@pytest.mark.parametrize("reentrant", [False, True], ids=["nonreentrant", "reentrant"])
@pytest.mark.parametrize("case", CHECKPOINTS)
def test_checkpoint_like_torch(torch, case, reentrant):
    import warnings

    def run(L):
        import importlib

        checkpoint = importlib.import_module(L.__name__ + ".utils.checkpoint").checkpoint
        a = L.tensor(X, dtype=L.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # create_graph=True backward's reference-cycle note
            return _plain(CHECKPOINTS[case](
                L, lambda x: checkpoint(lambda t: (t.sin() * t).exp(), x,
                                        use_reentrant=reentrant), a))

    assert _outcome(lambda: run(ndgrad)) == _outcome(lambda: run(torch))


@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
def test_gradcheck_strided_inputs_and_outputs(torch, check):
    # inputs and outputs whose memory order is not C order (a transpose, and an op that keeps
    # its input's layout): every element must still be perturbed and seeded
    def run(L):
        x = L.tensor(np.arange(6.0).reshape(3, 2) / 5 - 0.4, dtype=L.float64).t().detach()
        x.requires_grad_()
        f = lambda t: (t.exp() * t.sin()).t()  # noqa: E731
        return getattr(L.autograd, check)(f, (x,), raise_exception=False)

    assert run(ndgrad) is True and run(torch) is True
