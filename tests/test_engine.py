"""The backward engine: graph shapes, accumulation, retain/create_graph, inputs=, allow_unused,
deep chains, freeing, hooks."""
import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import ndgrad
from ndgrad import autograd


def leaf(*vals, dtype=ndgrad.float64):
    return ndgrad.tensor(list(vals), dtype=dtype, requires_grad=True)


def test_diamond_and_shared_subexpression():
    x = leaf(1.0, 2.0)
    a = x * 3
    b = a.exp()
    c = a.sin() if hasattr(a, "sin") else a * a
    (b + c).sum().backward()
    av = 3 * np.array([1.0, 2.0])
    expected = 3 * np.exp(av) + 3 * (np.cos(av) if hasattr(a, "sin") else 2 * av)
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_same_tensor_used_twice_in_one_op():
    x = leaf(3.0)
    (x * x).backward(ndgrad.ones(1, dtype=ndgrad.float64))
    assert x.grad.item() == 6.0


def test_gradients_accumulate_across_backward_calls():
    x = leaf(1.0, 2.0)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])
    g = x.grad
    (x * 1).sum().backward()
    assert x.grad is g  # accumulated in place, as torch does


def test_grad_of_two_leaves_from_one_add_are_independent():
    x, y = leaf(1.0), leaf(2.0)
    (x + y).sum().backward()
    (x * 1).sum().backward()
    assert x.grad.item() == 2.0 and y.grad.item() == 1.0


def test_user_gradient_is_not_aliased_into_grad():
    x = leaf(1.0, 2.0)
    g = ndgrad.ones(2, dtype=ndgrad.float64)
    (x + 0).backward(g)
    with ndgrad.no_grad():
        x.grad.mul_(5)
    assert g.tolist() == [1.0, 1.0]


def test_retain_graph_then_error():
    x = leaf(1.0)
    y = (x.exp() * 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(4 * np.e)
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        y.backward()


def test_graph_without_saved_tensors_can_backward_twice():
    x = leaf(1.0, 2.0)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_create_graph_hessian_vector_product(torch):
    a = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, 0.5, -0.25])

    def hvp(lib):
        x = lib.tensor(a, requires_grad=True)
        f = (x ** 3).sum() + (x[0] * x[1] * x[2])
        (g,) = lib.autograd.grad(f, x, create_graph=True)
        (h,) = lib.autograd.grad(g, x, lib.tensor(v))
        return h.detach().numpy()

    np.testing.assert_allclose(hvp(ndgrad), hvp(torch))


def test_gradient_penalty_backward_through_grad(torch):
    w0 = np.array([[0.3, -0.2], [0.1, 0.4]])
    x0 = np.array([[1.0, 2.0], [0.5, -1.0]])

    def run(lib):
        w = lib.tensor(w0, requires_grad=True)
        x = lib.tensor(x0, requires_grad=True)
        out = (x @ w).tanh().sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        penalty = ((gx * gx).sum(1).sqrt() - 1).pow(2).mean()
        penalty.backward()
        return w.grad.numpy()

    np.testing.assert_allclose(run(ndgrad), run(torch), rtol=1e-10)


def test_third_order_derivative():
    x = leaf(2.0)
    y = (x ** 4).sum()
    (g1,) = autograd.grad(y, x, create_graph=True)
    (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = autograd.grad(g2.sum(), x)
    assert g3.item() == pytest.approx(24 * 2.0)


def test_grad_does_not_touch_dot_grad():
    x = leaf(1.0, 2.0)
    (g,) = autograd.grad((x * x).sum(), x)
    assert x.grad is None
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])


def test_grad_of_non_leaf_input():
    x = leaf(1.0, 2.0)
    h = x * 3
    (g,) = autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(g.numpy(), [6.0, 12.0])


def test_allow_unused_and_materialize_grads():
    x, y = leaf(1.0), leaf(2.0)
    out = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        autograd.grad(out, [x, y], retain_graph=True)
    gx, gy = autograd.grad(out, [x, y], allow_unused=True, retain_graph=True)
    assert gy is None and gx.item() == 2.0
    gx, gy = autograd.grad(out, [x, y], materialize_grads=True)
    assert gy.tolist() == [0.0]


def test_grad_input_not_requiring_grad():
    x = leaf(1.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2).sum(), ndgrad.ones(1))


def test_backward_inputs_only_accumulates_there():
    x, y = leaf(1.0), leaf(2.0)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.item() == 2.0 and y.grad is None


def test_backward_inputs_non_leaf():
    x = leaf(1.0, 2.0)
    h = x * 2
    (h * h).sum().backward(inputs=[h])
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 8.0])
    assert x.grad is None


def test_autograd_backward_multiple_roots():
    x = leaf(1.0, 2.0)
    a, b = (x * 2).sum(), (x * x).sum()
    autograd.backward([a, b])
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0])


def test_root_that_is_also_an_intermediate():
    x = leaf(1.0)
    h = x * 2
    out = (h * 3).sum()
    autograd.backward([out, h], [ndgrad.tensor(1.0, dtype=ndgrad.float64),
                                 ndgrad.ones(1, dtype=ndgrad.float64)])
    assert x.grad.item() == 8.0


def test_errors_match_torch(torch):
    cases = [
        lambda lib: lib.ones(2).sum().backward(),
        lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(),
        lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3)),
        lambda lib: lib.ones(2, dtype=lib.int64, requires_grad=True),
        lambda lib: lib.ones(2, requires_grad=True).numpy(),
        lambda lib: (lib.ones(2, requires_grad=True) * 2).requires_grad_(False),
        lambda lib: lib.ones(2).retain_grad(),
        lambda lib: setattr(lib.ones(2, requires_grad=True), "grad", lib.ones(3)),
    ]
    for case in cases:
        with pytest.raises(Exception) as ours:
            case(ndgrad)
        with pytest.raises(Exception) as theirs:
            case(torch)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value).split(" (Triggered")[0]


def test_retain_grad_on_non_leaf():
    x = leaf(1.0, 2.0)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 8.0])
    assert h.retains_grad


def test_tensor_hooks_replace_grad_and_remove():
    x = leaf(1.0, 2.0)
    seen = []
    handle = x.register_hook(lambda g: g * 10)
    h = x * 2
    h.register_hook(lambda g: seen.append(g.tolist()))
    h.sum().backward()
    assert seen == [[1.0, 1.0]]
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_next_functions_and_accumulate_grad_identity():
    x = leaf(1.0)
    y = x * 2 + x
    add = y.grad_fn
    mul, _ = add.next_functions[0]
    acc1, _ = mul.next_functions[0]
    acc2, _ = add.next_functions[1]
    assert acc1 is acc2 and acc1.variable is x
    assert acc1.name() == "torch::autograd::AccumulateGrad"
    assert add.metadata == {}


def _chain(n):
    x = ndgrad.ones(2, requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0
    return x, y


@pytest.mark.slow
def test_million_node_chain_backward_and_collection():
    limit = sys.getrecursionlimit()
    x, y = _chain(1_000_000)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None
    assert sys.getrecursionlimit() == limit


def test_100k_chain_forward_backward_and_free_without_backward():
    x, y = _chain(100_000)
    ref = weakref.ref(y.grad_fn)
    del y  # never backpropagated: deallocating the graph must not recurse either
    gc.collect()
    assert ref() is None
    x, y = _chain(100_000)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_saved_arrays_are_freed_after_backward():
    x = ndgrad.randn(4, requires_grad=True)
    h = x.exp()  # saves its result
    arr_ref = weakref.ref(h._data)
    h2 = h * x  # saves h and x
    loss = h2.sum()
    del h
    loss.backward()
    gc.collect()
    assert arr_ref() is None, "the saved exp result is still alive after backward"


def test_retain_graph_keeps_saved_arrays():
    x = ndgrad.randn(4, requires_grad=True)
    h = x.exp()
    arr_ref = weakref.ref(h._data)
    loss = (h * x).sum()
    del h
    loss.backward(retain_graph=True)
    gc.collect()
    assert arr_ref() is not None


def test_no_reference_cycle_keeps_graph_alive():
    gc.collect()
    gc.disable()
    try:
        x = ndgrad.randn(3, requires_grad=True)
        y = (x.exp() * x).sigmoid().sum()
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_grad_mode_is_thread_local():
    results = {}

    def worker():
        results["enabled"] = ndgrad.is_grad_enabled()
        x = ndgrad.ones(1, requires_grad=True)
        results["requires"] = (x * 2).requires_grad

    with ndgrad.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not ndgrad.is_grad_enabled()
    assert results == {"enabled": True, "requires": True}


def test_backward_in_threads_concurrently():
    errors = []

    def worker(seed):
        try:
            x = ndgrad.tensor([float(seed)], requires_grad=True)
            for _ in range(50):
                (x * x).sum().backward()
            assert x.grad.item() == pytest.approx(100.0 * seed)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_mixed_dtype_grads_are_cast_to_input_dtype():
    x = ndgrad.ones(2, dtype=ndgrad.float32, requires_grad=True)
    y = ndgrad.ones(2, dtype=ndgrad.float64, requires_grad=True)
    (x * y).sum().backward()
    assert x.grad.dtype == ndgrad.float32 and y.grad.dtype == ndgrad.float64


def test_broadcast_gradients_are_summed():
    x = ndgrad.ones(3, 1, requires_grad=True)
    y = ndgrad.ones(4, requires_grad=True)
    (x * y).sum().backward()
    assert x.grad.shape == (3, 1) and x.grad.tolist() == [[4.0]] * 3
    assert y.grad.tolist() == [3.0] * 4
