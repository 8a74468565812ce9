"""Behaviour of the OpInfo-sweep ops that the OpInfo samples do not reach, against torch: NumPy
keyword names, keyword spellings, in-place view ops, storage views, operators, return types and
out-of-range dims."""
import numpy as np
import pytest

import ndgrad
from conftest import import_torch

X = np.arange(24.0).reshape(2, 3, 4) / 7 - 1


def _run(lib, fn):
    try:
        return fn(lib)
    except Exception as e:  # noqa: BLE001  (the exception type is what is compared)
        return type(e)


def _same(a, b):
    torch = import_torch()
    if isinstance(a, type) or isinstance(b, type):
        assert a == b, f"ndgrad {a} vs torch {b}"
    elif isinstance(b, torch.Tensor):
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(),
                                   rtol=1e-12, atol=1e-12)
    elif isinstance(b, (tuple, list)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _same(u, v)
    else:
        assert a == b


def _t(lib):
    return lib.tensor(X)


CASES = {
    # torch's argument parser takes NumPy's names
    "sum(axis, keepdims)": lambda L: _t(L).sum(axis=1, keepdims=True),
    "cumsum(axis)": lambda L: L.cumsum(_t(L), axis=2),
    "max(axis)": lambda L: tuple(_t(L).max(axis=0)),
    "median(axis)": lambda L: _t(L).median(axis=2).values,
    "std(axis)": lambda L: _t(L).std(axis=(0, 2), keepdims=True),
    "nansum(axis)": lambda L: _t(L).nansum(axis=0),
    "logsumexp(axis)": lambda L: _t(L).logsumexp(axis=1),
    "cat(axis)": lambda L: L.cat([_t(L), _t(L)], axis=1),
    "softmax(axis)": lambda L: _t(L).softmax(axis=-1),
    "cumsum without dim": lambda L: L.cumsum(_t(L)),
    # other keyword spellings
    "hsplit(sections=)": lambda L: L.hsplit(_t(L), sections=3),
    "vsplit(indices=)": lambda L: L.vsplit(_t(L), indices=[1]),
    "sum_to_size(size=)": lambda L: _t(L).sum_to_size(size=(3, 1)),
    "view(dtype=)": lambda L: _t(L).view(dtype=L.int64),
    "view(int32)": lambda L: _t(L).float().view(L.int32),
    "view(int16) on a transposed tensor": lambda L: _t(L).float().transpose(1, 2).view(L.int16),
    # out-of-range dims
    "cumsum dim 3": lambda L: _t(L).cumsum(3),
    "cumprod dim -4": lambda L: _t(L).cumprod(-4),
    "cummax dim 5": lambda L: _t(L).cummax(5),
    "logcumsumexp dim 3": lambda L: _t(L).logcumsumexp(3),
    "nanmedian dim 3": lambda L: _t(L).nanmedian(3),
    "aminmax dim 3": lambda L: _t(L).aminmax(dim=3),
    "unfold dim 3": lambda L: _t(L).unfold(3, 1, 1),
    "diff dim 3": lambda L: _t(L).diff(dim=3),
    # storage views: offsets count from the start of the storage
    "as_strided of a slice": lambda L: _t(L).reshape(-1)[5:15].as_strided((2, 2), (1, 2), 0),
    "as_strided_copy": lambda L: L.as_strided_copy(_t(L)[1], (3,), (5,), 1),
    "unfold": lambda L: _t(L).unfold(2, 2, 1),
    # operators
    "<<": lambda L: L.tensor([1, -3, 7]) << 2,
    ">> by a tensor": lambda L: L.tensor([64, -64]) >> L.tensor([3, 70]),
    "2 << t": lambda L: 2 << L.tensor([1, 2]),
    "float << 1": lambda L: L.tensor([1.0]) << 1,
    "__rdiv__": lambda L: L.tensor([2.0, 4.0]).__rdiv__(8),
    # named results
    "frexp fields": lambda L: (L.frexp(_t(L)).mantissa, L.frexp(_t(L)).exponent),
    "aminmax fields": lambda L: (_t(L).aminmax().min, _t(L).aminmax().max),
    "histogram fields": lambda L: tuple(L.histogram(_t(L), bins=4)),
    "nanmedian fields": lambda L: (_t(L).nanmedian(1).values, _t(L).nanmedian(1).indices),
    # randint keyword spellings
    "randint(low=, high=, size=)": lambda L: (L.manual_seed(3), L.randint(low=2, high=9,
                                                                           size=(5,)))[1],
    "randint(high=, size=)": lambda L: (L.manual_seed(3), L.randint(high=9, size=(5,)))[1],
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    torch = import_torch()
    _same(_run(ndgrad, CASES[name]), _run(torch, CASES[name]))


def _inplace_view(L, op):
    x = L.tensor(X[0:1, :, 0:1], requires_grad=True)
    y = x * 1
    out = op(y)
    assert out is y
    return type(y.grad_fn).__name__, tuple(y.shape), y._version


@pytest.mark.parametrize("op", [
    lambda y: y.t_() if y.dim() <= 2 else y.squeeze_(0).t_(),
    lambda y: y.squeeze_(), lambda y: y.squeeze_(0), lambda y: y.squeeze_((0, 2)),
    lambda y: y.unsqueeze_(1), lambda y: y.transpose_(0, 2), lambda y: y.swapdims_(0, 1),
    lambda y: y.swapaxes_(1, 2), lambda y: y.as_strided_((3,), (1,)), lambda y: y.cumsum_(1),
])
def test_inplace_view_ops_rename_the_node_and_bump_the_version(op):
    torch = import_torch()
    assert _inplace_view(ndgrad, op) == _inplace_view(torch, op)


def test_inplace_view_op_gradients():
    torch = import_torch()
    grads = []
    for L in (ndgrad, torch):
        x = L.tensor(X, requires_grad=True)
        y = x * 2
        y.transpose_(0, 2).unsqueeze_(1)
        (y * L.arange(24.0, dtype=L.float64).reshape(y.shape)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads)


def test_inplace_view_op_on_a_leaf_that_requires_grad_raises():
    x = ndgrad.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.t_()
    with ndgrad.no_grad():
        x.t_()
    assert x.shape == (3, 2)


def test_copy_variants_are_fresh_tensors_with_torchs_node_names():
    torch = import_torch()
    for name, fn in [("PermuteBackward0_copy", lambda L, x: L.permute_copy(x, (2, 0, 1))),
                     ("NarrowCopyBackward0", lambda L, x: L.narrow_copy(x, 1, 0, 2)),
                     ("UnsafeSplitBackward0", lambda L, x: L.unsafe_split(x, 1)[0]),
                     ("IndexReduceBackward0",
                      lambda L, x: x.index_reduce(0, L.tensor([1, 1]), x, "amax"))]:
        for L in (ndgrad, torch):
            x = L.tensor(X, requires_grad=True)
            out = fn(L, x)
            assert type(out.grad_fn).__name__ == name
    out = ndgrad.permute_copy(ndgrad.tensor(X), (2, 0, 1))
    out.add_(1)  # a copy: the source is untouched
    assert out._base is None and ndgrad.tensor(X).sum().item() == X.sum()


def test_as_strided_gradient_splits_over_overlapping_inputs():
    torch = import_torch()
    grads = []
    for L in (ndgrad, torch):
        x = L.tensor(X.reshape(-1)[:6], requires_grad=True)
        y = x.expand(2, 6).as_strided((3, 2), (1, 2), 1)
        (y * L.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=L.float64)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(*grads)


def test_as_strided_scatter_gradient_is_the_finite_difference_one():
    # torch's own gradient for `input` is wrong here (its OpInfo marks test_fn_grad as an
    # expected failure); ndgrad gives the mathematically correct one
    x = ndgrad.randn(3, 3, dtype=ndgrad.float64, requires_grad=True)
    src = ndgrad.randn(2, 2, dtype=ndgrad.float64, requires_grad=True)
    assert ndgrad.autograd.gradcheck(
        lambda a, b: ndgrad.as_strided_scatter(a, b, (2, 2), (1, 2), 1), (x, src))
