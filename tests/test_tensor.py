"""Tensor basics against torch: creation, dtypes and promotion, conversion, protocol, repr."""
import math

import numpy as np
import pytest

import ndgrad


def same(a, t):
    assert tuple(a.shape) == tuple(t.shape)
    assert str(a.dtype) == str(t.dtype)
    np.testing.assert_allclose(np.asarray(a.tolist(), dtype=float), np.asarray(t.tolist(), dtype=float))


CREATIONS = [
    lambda L: L.tensor([1, 2, 3]),
    lambda L: L.tensor([1.0, 2.5]),
    lambda L: L.tensor([[True, False]]),
    lambda L: L.tensor(3.5),
    lambda L: L.tensor([1, 2], dtype=L.float64),
    lambda L: L.tensor(np.array([1.0, 2.0])),
    lambda L: L.tensor(np.array([1, 2], dtype=np.int32)),
    lambda L: L.tensor([np.float64(1.0), 2.0]),
    lambda L: L.zeros(2, 3), lambda L: L.ones((2, 3)), lambda L: L.ones([2], dtype=L.int32),
    lambda L: L.full((2, 2), 7), lambda L: L.full((2,), 1.5), lambda L: L.full((2,), True),
    lambda L: L.arange(5), lambda L: L.arange(1, 4, 0.5), lambda L: L.arange(0, 1, 0.1),
    lambda L: L.arange(10, 0, -3), lambda L: L.arange(5.0),
    lambda L: L.linspace(0, 1, 5), lambda L: L.linspace(-3, 7, 11), lambda L: L.linspace(0, 1, 7),
    lambda L: L.linspace(2, 10, 1), lambda L: L.logspace(0, 3, 4), lambda L: L.logspace(0, 1, 3, base=2),
    lambda L: L.eye(3), lambda L: L.eye(2, 3), lambda L: L.zeros_like(L.ones(2, dtype=L.int64)),
    lambda L: L.ones_like(L.ones(2, 2)), lambda L: L.full_like(L.ones(3), 4.0),
    lambda L: L.empty(2, 3).zero_(),
]


@pytest.mark.parametrize("make", CREATIONS)
def test_creation_matches_torch(make, torch):
    a, t = make(ndgrad), make(torch)
    same(a, t)
    if a.dtype.is_floating_point:
        np.testing.assert_array_equal(a.numpy(), t.numpy())  # bit-exact values


def test_from_numpy_and_as_tensor_share_memory():
    arr = np.zeros(3)
    t = ndgrad.from_numpy(arr)
    u = ndgrad.as_tensor(arr)
    arr[0] = 5
    assert t[0].item() == 5 and u[0].item() == 5 and t.dtype == ndgrad.float64
    c = ndgrad.tensor(arr)
    arr[1] = 7
    assert c[1].item() == 0


PROMOTIONS = [
    lambda L: L.ones(2) + 1.5,
    lambda L: L.ones(2) * 2,
    lambda L: L.ones(2, dtype=L.int64) + 1.5,
    lambda L: L.ones(2, dtype=L.int64) / L.ones(2, dtype=L.int64),
    lambda L: L.ones(2, dtype=L.int32) + L.ones(2, dtype=L.int64),
    lambda L: L.ones(2, dtype=L.uint8) + L.ones(2, dtype=L.int8),
    lambda L: L.ones(2) + L.ones(2, dtype=L.float64),
    lambda L: L.ones(2) + L.tensor(1.0, dtype=L.float64),
    lambda L: L.ones(2, dtype=L.int64) + L.tensor(1.0, dtype=L.float64),
    lambda L: L.ones(2, dtype=L.int32) * L.tensor(3),
    lambda L: L.ones(2, dtype=L.bool) + L.ones(2, dtype=L.bool),
    lambda L: L.ones(2, dtype=L.bool) * 3,
    lambda L: L.ones(2, dtype=L.float16) * 3.5,
    lambda L: L.ones(2, dtype=L.int64) * True,
    lambda L: 2 ** L.ones(2, dtype=L.int64),
    lambda L: 2.5 ** L.ones(2, dtype=L.int64),
    lambda L: L.ones(2, dtype=L.int64) ** 2,
    lambda L: 3 - L.ones(2, dtype=L.int64),
    lambda L: 3 / L.ones(2, dtype=L.int64),
    lambda L: L.ones(2, dtype=L.int64) > 0.5,
    lambda L: L.ones(2, dtype=L.int64).sum(),
    lambda L: L.ones(2, dtype=L.bool).sum(),
    lambda L: L.exp(L.ones(2, dtype=L.int64)),
    lambda L: L.sqrt(L.tensor([4, 9])),
    lambda L: L.tensor([1, 2]).float().mean(),
]


@pytest.mark.parametrize("expr", PROMOTIONS)
def test_type_promotion_matches_torch(expr, torch):
    same(expr(ndgrad), expr(torch))


def test_default_dtype():
    assert ndgrad.get_default_dtype() is ndgrad.float32
    ndgrad.set_default_dtype(ndgrad.float64)
    assert ndgrad.tensor([1.0]).dtype is ndgrad.float64
    assert (ndgrad.ones(2, dtype=ndgrad.int64) / 2).dtype is ndgrad.float64
    ndgrad.set_default_dtype(ndgrad.float32)
    with pytest.raises(TypeError):
        ndgrad.set_default_dtype(ndgrad.int64)


def test_dtype_objects():
    assert repr(ndgrad.float32) == "torch.float32"
    assert ndgrad.float is ndgrad.float32 and ndgrad.long is ndgrad.int64
    assert ndgrad.float64.is_floating_point and not ndgrad.int32.is_floating_point
    assert ndgrad.promote_types(ndgrad.int32, ndgrad.float16) is ndgrad.float16


def test_attributes(torch):
    for L in (ndgrad, torch):
        x = L.ones(2, 3)
        assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
        assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
        assert repr(x.shape) == "torch.Size([2, 3])"
        assert str(x.device) == "cpu" and repr(x.device) == "device(type='cpu')"
        assert x.is_leaf and x.grad is None and x.grad_fn is None
    assert ndgrad.ones(2, 3).stride() == torch.ones(2, 3).stride()
    assert ndgrad.ones(2, 3).t().stride() == torch.ones(2, 3).t().stride()


def test_conversions(torch):
    for L in (ndgrad, torch):
        x = L.tensor([1.5, -2.5])
        assert x.tolist() == [1.5, -2.5]
        assert x[0].item() == 1.5 and float(x[1]) == -2.5 and int(x[0]) == 1
        assert x.long().tolist() == [1, -2] and x.int().dtype == L.int32
        assert x.double().dtype == L.float64 and x.half().dtype == L.float16
        assert x.bool().tolist() == [True, True]
        assert x.to(L.float64).dtype == L.float64
        assert x.type_as(L.ones(1, dtype=L.int64)).dtype == L.int64
        assert x.to("cpu") is x and x.to(L.float32) is x and x.float() is x
        assert f"{x[0]:.2f}" == "1.50"
        assert x.numpy().dtype == np.float32
        assert np.asarray(x).tolist() == [1.5, -2.5]
        assert x.clone().tolist() == [1.5, -2.5]
        assert x.contiguous() is x
        assert [v.item() for v in x] == [1.5, -2.5]
        assert bool(L.tensor([1.0])) and not bool(L.tensor(0.0))
        assert math.isclose(L.tensor(2.0).__index__() if False else 2.0, 2.0)
        assert L.tensor(3).__index__() == 3
        assert x.type() == "torch.FloatTensor"


def test_python_protocol_errors_match_torch(torch):
    cases = [
        lambda L: bool(L.ones(2)), lambda L: len(L.tensor(1.0)), lambda L: iter(L.tensor(1.0)),
        lambda L: L.ones(2).item(), lambda L: L.ones(2, 3) @ L.ones(2, 3),
        lambda L: L.ones(2, 3) + L.ones(4, 3), lambda L: L.ones(6).view(4, 2),
        lambda L: L.ones(3) @ L.ones(4), lambda L: L.ones(2, 3).mv(L.ones(4)),
        lambda L: L.ones(2, 3).t().view(6), lambda L: L.ones(2).sum(dim=3),
        lambda L: L.ones(2, dtype=L.int64).mean(), lambda L: L.ones(2, 3).t().t().t().view(-1, -1),
        lambda L: L.ones(2, dtype=L.int64).add_(1.5),
        lambda L: L.ones(2, 3).mm(L.ones(3, 2, dtype=L.float64)),
        lambda L: L.ones(3)[5],
    ]
    for case in cases:
        with pytest.raises(Exception) as ours:
            case(ndgrad)
        with pytest.raises(Exception) as theirs:
            case(torch)
        assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)


def test_repr_matches_torch(torch):
    for make in [
        lambda L: L.tensor([1.0, 2.0], requires_grad=True),
        lambda L: L.tensor([1.0, 2.0], requires_grad=True) * 2,
        lambda L: L.tensor([1, 2]),
        lambda L: L.tensor([1.0, 2.0], dtype=L.float64),
        lambda L: L.tensor([[1.5, -2.25], [1e-5, 3.0]]),
        lambda L: L.tensor(True),
        lambda L: L.zeros(0, 3),
    ]:
        assert repr(make(ndgrad)) == repr(make(torch))
        assert str(make(ndgrad)) == str(make(torch))


def test_operators_and_reflected(torch):
    a_np = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    exprs = [
        lambda a: a + 1, lambda a: 1 + a, lambda a: a - 1, lambda a: 1 - a, lambda a: a * 2,
        lambda a: 2 * a, lambda a: a / 2, lambda a: 2 / a, lambda a: a ** 2, lambda a: 2 ** a,
        lambda a: -a, lambda a: abs(-a), lambda a: a @ a, lambda a: a // 2, lambda a: a % 3,
        lambda a: a == 2, lambda a: a != 2, lambda a: a < 2, lambda a: a <= 2, lambda a: a > 2,
        lambda a: a >= 2, lambda a: (a > 1) & (a < 4), lambda a: (a > 1) | (a < 2),
        lambda a: ~(a > 1), lambda a: a[0], lambda a: a[:, 1], lambda a: a[a > 2],
        lambda a: a[[1, 0]], lambda a: a[None, ..., 0], lambda a: a.T, lambda a: a.mT,
        lambda a: np.float64(2.0) * a, lambda a: a * np.float32(2),
    ]
    for e in exprs:
        same(e(ndgrad.tensor(a_np)), e(torch.tensor(a_np)))


def test_augmented_assignment_and_matmul_rebinds():
    x = ndgrad.ones(2, 2)
    ref = x
    x += 1
    x *= 3
    x -= 1
    x /= 5
    assert x is ref and x.tolist() == [[1.0, 1.0], [1.0, 1.0]] and x._version == 4
    x @= ndgrad.ones(2, 2)
    assert x is not ref


def test_hash_and_identity():
    a, b = ndgrad.ones(1), ndgrad.ones(1)
    assert len({a, b}) == 2
    assert (a == None) is False  # noqa: E711


def test_legacy_constructor(torch):
    same(ndgrad.Tensor([1, 2]), torch.Tensor([1, 2]))
    assert ndgrad.Tensor(2, 3).shape == (2, 3)


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor",
                                  "BoolTensor", "ByteTensor"])
def test_legacy_typed_constructors(name, torch):
    same(getattr(ndgrad, name)([1, 0]), getattr(torch, name)([1, 0]))
    assert getattr(ndgrad, name)(2, 3).shape == getattr(torch, name)(2, 3).shape
