"""The PyTorch autograd tutorial (shared/seed.txt), step by step, against real torch."""
import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F

W = np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32)
B = np.random.default_rng(4).standard_normal(3).astype(np.float32)


def _tutorial(lib, w_val, b_val):
    x = lib.ones(5)
    y = lib.zeros(3)
    w = lib.tensor(w_val, requires_grad=True)
    b = lib.tensor(b_val, requires_grad=True)
    z = lib.matmul(x, w) + b
    loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
    return x, y, w, b, z, loss


def test_graph_nodes_are_named_like_torch(torch):
    *_, z, loss = _tutorial(ndgrad, W, B)
    *_, tz, tloss = _tutorial(torch, W, B)
    assert type(z.grad_fn).__name__ == type(tz.grad_fn).__name__ == "AddBackward0"
    assert type(loss.grad_fn).__name__ == type(tloss.grad_fn).__name__
    assert loss.grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
    assert str(z.grad_fn).startswith("<AddBackward0 object at 0x")
    names = [type(n).__name__ for n, _ in z.grad_fn.next_functions]
    tnames = [type(n).__name__ for n, _ in tz.grad_fn.next_functions]
    assert names == tnames == ["SqueezeBackward4", "AccumulateGrad"]


def test_backward_fills_leaf_grads_like_torch(torch):
    x, y, w, b, z, loss = _tutorial(ndgrad, W, B)
    tx, ty, tw, tb, tz, tloss = _tutorial(torch, W, B)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert repr(w.grad) == repr(tw.grad)
    assert repr(b.grad) == repr(tb.grad)
    assert repr(loss) == repr(tloss)
    assert x.grad is None and w.is_leaf and not z.is_leaf


def test_second_backward_raises_and_retain_graph_allows_it():
    *_, w, b, z, loss = _tutorial(ndgrad, W, B)
    loss.backward(retain_graph=True)
    first = w.grad.clone()
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()


def test_non_leaf_grad_is_none_with_warning():
    *_, z, loss = _tutorial(ndgrad, W, B)
    loss.backward()
    with pytest.warns(UserWarning, match="is not a leaf Tensor"):
        assert z.grad is None


def test_no_grad_and_detach():
    x, y, w, b, z, _ = _tutorial(ndgrad, W, B)
    assert z.requires_grad
    with ndgrad.no_grad():
        z2 = ndgrad.matmul(x, w) + b
    assert not z2.requires_grad and z2.grad_fn is None
    assert not z.detach().requires_grad
    assert z.detach().grad_fn is None


def test_printed_output_matches_torch_for_the_same_values(torch, capsys):
    def run(lib):
        *_, w, b, z, loss = _tutorial(lib, W, B)
        print(loss)
        loss.backward()
        print(w.grad)
        print(b.grad)
        print(z.requires_grad)
        with lib.no_grad():
            print((lib.matmul(lib.ones(5), w) + b).requires_grad)
        print(z.detach().requires_grad)

    run(ndgrad)
    ours = capsys.readouterr().out
    run(torch)
    theirs = capsys.readouterr().out
    assert ours == theirs


def test_manual_sgd_loop_matches_torch(torch):
    def train(lib):
        w = lib.tensor(W, requires_grad=True)
        b = lib.tensor(B, requires_grad=True)
        x, y = lib.ones(5), lib.zeros(3)
        losses = []
        for _ in range(20):
            loss = lib.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y)
            loss.backward()
            with lib.no_grad():
                w -= 0.5 * w.grad
                b.sub_(0.5 * b.grad)
                w.grad.zero_()
                b.grad.zero_()
            losses.append(loss.item())
        return losses, w.detach().numpy()

    l1, w1 = train(ndgrad)
    l2, w2 = train(torch)
    np.testing.assert_allclose(l1, l2, rtol=1e-5)
    np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6)


def test_leaf_in_place_update_refused_outside_no_grad():
    w = ndgrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        w -= 1
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.add_(1)


def test_chain_rule_over_a_graph_matches_torch(torch):
    def f(lib, a_val):
        a = lib.tensor(a_val, requires_grad=True)
        h = (a * 2).tanh()
        g = h.exp() * h.sigmoid() + (a.abs() + 1).log() / (h * h + 1).sqrt()
        out = (g @ g.t()).relu().mean() + g.sum(0).pow(2).sum()
        out.backward()
        return out.item(), a.grad.numpy()

    a_val = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    o1, g1 = f(ndgrad, a_val)
    o2, g2 = f(torch, a_val)
    assert o1 == pytest.approx(o2, rel=1e-5)
    np.testing.assert_allclose(g1, g2, rtol=1e-4, atol=1e-5)
