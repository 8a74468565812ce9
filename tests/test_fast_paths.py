"""The fast kernels and lean paths of training steps give torch's exact bits: signed zeros, NaN
and infinity included (relu's branchless backward, mean's backward of a 0-d gradient, the
optimizer's in-place update), and keep the graph torch builds."""
import numpy as np
import pytest

import ndgrad
from ndgrad._ops.pointwise_backward import threshold_backward

NAN, INF = float("nan"), float("inf")


def _bits(a):
    a = np.ascontiguousarray(np.atleast_1d(a))
    return a.view(np.uint8)


def _special(rng, shape, dtype):
    """Random values with NaN, ±inf, ±0 and the threshold itself planted in them."""
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    if x.size >= 6:
        x.flat[:4] = [NAN, 0.0, -0.0, 0.5]
        g.flat[:6] = [NAN, INF, -0.0, -INF, -0.0, 0.0]
    return x, g


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 5)])
@pytest.mark.parametrize("threshold", [0, 0.5, -1.0, NAN])
def test_threshold_backward_bits(torch, rng, dtype, shape, threshold):
    x, g = _special(rng, shape, dtype)
    ours = threshold_backward(ndgrad.tensor(g), ndgrad.tensor(x), threshold=threshold)._data
    theirs = torch.ops.aten.threshold_backward(torch.tensor(g), torch.tensor(x), threshold)
    assert ours.dtype == theirs.numpy().dtype and ours.shape == theirs.shape
    assert np.array_equal(_bits(ours), _bits(theirs.numpy()))


def test_threshold_backward_strided_and_broadcast(torch, rng):
    g = rng.standard_normal((4, 6)).astype(np.float32).T  # a transposed gradient
    x = rng.standard_normal((6, 4)).astype(np.float32)
    for gg, xx in ((g, x), (g[:, :1], x), (g, x[:1])):  # broadcast: the general kernel
        ours = threshold_backward(ndgrad.tensor(gg), ndgrad.tensor(xx), threshold=0)._data
        theirs = torch.ops.aten.threshold_backward(torch.tensor(gg), torch.tensor(xx), 0).numpy()
        assert np.array_equal(_bits(ours), _bits(theirs))


def test_relu_backward_special_gradients(torch):
    x = np.array([NAN, -1.0, 0.0, -0.0, 2.0, 3.0, INF, -INF], np.float32)
    g = np.array([1.0, NAN, INF, -INF, -0.0, NAN, -INF, 5.0], np.float32)
    grads = []
    for lib in (ndgrad, torch):
        t = lib.tensor(x, requires_grad=True)
        t.relu().backward(lib.tensor(g))
        grads.append(t.grad.numpy())
    assert np.array_equal(_bits(grads[0]), _bits(grads[1]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, dim, keepdim", [((7,), None, False), ((64, 10), None, True),
                                                 ((3, 4, 5), (0, 2), False), ((3, 4), 1, True),
                                                 ((), None, False)])
def test_mean_is_numpys_mean_bit_for_bit(rng, dtype, shape, dim, keepdim):
    x = (rng.standard_normal(shape) * 1e3).astype(dtype)
    ours = ndgrad.tensor(x).mean(dim, keepdim=keepdim) if dim is not None else \
        ndgrad.tensor(x).mean(keepdim=keepdim) if keepdim else ndgrad.tensor(x).mean()
    axis = dim if dim is None or isinstance(dim, tuple) else (dim,)
    theirs = np.asarray(np.mean(x, axis=axis, keepdims=keepdim), dtype=dtype)
    assert ours._data.dtype == theirs.dtype and ours._data.shape == theirs.shape
    assert np.array_equal(_bits(ours._data), _bits(theirs))


def test_sgd_update_in_place_outside_autograd(torch):
    values = np.array([1.0, -2.0, 0.5, NAN], np.float32)
    grads = np.array([0.25, INF, -0.0, 1.0], np.float32)
    results = []
    for lib in (ndgrad, torch):
        p = lib.tensor(values.copy(), requires_grad=True)
        p.grad = lib.tensor(grads.copy())
        storage = p.detach()
        before = p._version
        with lib.no_grad():
            p -= 0.01 * p.grad
            p += 1
            p *= 0.5
        assert p._version == before + 3
        assert storage.data_ptr() == p.data_ptr()  # written in place
        results.append(p.detach().numpy())
    assert np.array_equal(_bits(results[0]), _bits(results[1]))


def test_in_place_update_refusals_kept(torch):
    for lib in (ndgrad, torch):
        x = lib.arange(6.0)
        with pytest.raises(RuntimeError, match="single memory location"):
            x[1:].sub_(x[:-1])  # partial overlap: refused outside autograd too
        e = lib.ones(1).expand(3)
        with pytest.raises(RuntimeError, match="single memory location"):
            e.add_(1.0)  # an expanded tensor
        x.sub_(x)  # the same memory exactly: allowed
        assert float(x.abs().sum()) == 0.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf, as torch computes it
@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "complex64"])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_binary_ufunc_path_matches_torch(torch, rng, op, dtype, requires_grad):
    """add/sub/mul call their declared ufunc directly for real floating operands at default
    attributes; every other case (alpha, ints, complex, numbers) keeps the forward's rules."""
    x = np.array([1.5, -0.0, INF, NAN, -2.0, 3.0]).astype(dtype)
    y = np.array([-1.5, 0.0, -INF, 1.0, 0.5, 7.0]).astype(dtype)
    floating = dtype[0] in "fc"
    for other, kwargs in ((y, {}), (y, {"alpha": 2}), (2.5, {}), (3, {}), (0.5, {"alpha": -1})):
        if op == "mul" and kwargs:
            continue
        outs = []
        for lib in (ndgrad, torch):
            a = lib.tensor(x, requires_grad=requires_grad and floating)
            b = lib.tensor(other) if isinstance(other, np.ndarray) else other
            out = getattr(lib, op)(a, b, **kwargs)
            outs.append((out.detach().numpy(), type(out.grad_fn).__name__ if out.grad_fn else None))
        assert outs[0][1] == outs[1][1]
        assert outs[0][0].dtype == outs[1][0].dtype
        np.testing.assert_array_equal(outs[0][0], outs[1][0])
