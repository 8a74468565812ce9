"""The tensor-level random API draws torch's numbers: creation functions and in-place fills."""
import numpy as np
import pytest

import ndgrad

DRAWS = [
    lambda L: L.rand(5),
    lambda L: L.rand(4, 5, dtype=L.float64),
    lambda L: L.randn(17),
    lambda L: L.randn(3, 2, dtype=L.float64),
    lambda L: L.randint(0, 10, (6,)),
    lambda L: L.randint(5, (2, 3)),
    lambda L: L.randperm(7),
    lambda L: L.normal(2.0, 3.0, size=(5,)),
    lambda L: L.normal(L.zeros(4), L.ones(4)),
    lambda L: L.empty(5).uniform_(-1, 1),
    lambda L: L.empty(3, 4).normal_(2, 3),
    lambda L: L.empty(6).bernoulli_(0.3),
    lambda L: L.empty(4, dtype=L.int64).random_(10),
    lambda L: L.empty(4).exponential_(2.0),
    lambda L: L.bernoulli(L.full((5,), 0.5)),
    lambda L: L.rand_like(L.ones(2, 3)),
    lambda L: L.randn_like(L.ones(20)),
    lambda L: L.multinomial(L.tensor([0.1, 0.2, 0.7]), 5, replacement=True),
]


@pytest.mark.parametrize("seed", [0, 3, 2024])
@pytest.mark.parametrize("draw", DRAWS)
def test_same_numbers_as_torch(draw, seed, torch):
    ndgrad.manual_seed(seed)
    torch.manual_seed(seed)
    ours, theirs = draw(ndgrad), draw(torch)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())  # bit for bit


def test_sequence_of_draws_from_one_seed(torch):
    for L in (ndgrad, torch):
        L.manual_seed(11)
    seq = lambda L: [L.randn(3), L.rand(20), L.randint(0, 100, (4,)), L.randn(18), L.randperm(5)]
    for a, b in zip(seq(ndgrad), seq(torch)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_generator_objects(torch):
    g, tg = ndgrad.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    np.testing.assert_array_equal(ndgrad.rand(4, generator=g).numpy(),
                                  torch.rand(4, generator=tg).numpy())
    assert g.initial_seed() == 5


def test_in_place_fill_refused_on_leaf_that_requires_grad():
    w = ndgrad.empty(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.uniform_()
    with ndgrad.no_grad():
        w.uniform_()
    assert w._version == 1


# *** the in-place family: nodes, errors and keyword forms as torch's ***

FILLS = [
    ("normal_", lambda x: x.normal_(1.0, 2.0)),
    ("uniform_", lambda x: x.uniform_(-1, 2)),
    ("uniform_ from/to", lambda x: x.uniform_(**{"from": -1, "to": 2})),
    ("cauchy_", lambda x: x.cauchy_(median=0.5, sigma=2.0)),
    ("log_normal_", lambda x: x.log_normal_(mean=0.1, std=0.5)),
    ("exponential_", lambda x: x.exponential_(lambd=3.0)),
    ("geometric_", lambda x: x.geometric_(p=0.3)),
    ("random_(from, to)", lambda x: x.random_(2, 9)),
    ("random_(to)", lambda x: x.random_(to=9)),
    ("random_()", lambda x: x.random_()),
    ("random_(from, None)", lambda x: x.random_(**{"from": 3, "to": None})),
    ("bernoulli_(float)", lambda x: x.bernoulli_(p=0.3)),
    ("bernoulli_(tensor)", lambda x: x.bernoulli_(x.detach() * 0 + 0.5)),
]


@pytest.mark.parametrize("name,fill", FILLS, ids=[f[0] for f in FILLS])
def test_fill_records_torch_node_and_passes_zero_gradient(name, fill, torch):
    for L in (ndgrad, torch):
        L.manual_seed(1)
    results = []
    for L in (ndgrad, torch):
        a = L.ones(4, 5, requires_grad=True)
        y = a * 2
        out = fill(y)
        assert out is y and y._version == 1
        whole = a * 3
        fill(whole.t()[1:])                       # through a view: CopySlices on the base
        (y.sum() + whole.sum()).backward()
        results.append((type(y.grad_fn).__name__, type(whole.grad_fn).__name__, a.grad.numpy(),
                        y.detach().numpy(), whole.detach().numpy()))
    for ours, theirs in zip(*results):
        if isinstance(ours, str):
            assert ours == theirs
        else:
            np.testing.assert_array_equal(ours, theirs)


FUNCTIONAL = [
    ("normal(T, T)", lambda L, m, s: L.normal(m, s)),
    ("normal(T, float)", lambda L, m, s: L.normal(m, 1.5)),
    ("normal(float, T)", lambda L, m, s: L.normal(0.5, s)),
    ("normal(T, T no grad)", lambda L, m, s: L.normal(m, s.detach())),
    ("bernoulli(p)", lambda L, m, s: L.bernoulli(s * 0 + 0.5)),
]


@pytest.mark.parametrize("name,fn", FUNCTIONAL, ids=[f[0] for f in FUNCTIONAL])
def test_sampling_functions_record_torch_node(name, fn, torch):
    got = []
    for L in (ndgrad, torch):
        L.manual_seed(2)
        m = L.zeros(3, 4, requires_grad=True)
        s = L.ones(3, 4, requires_grad=True)
        y = fn(L, m, s)
        y.sum().backward()
        got.append((type(y.grad_fn).__name__, len(y.grad_fn.next_functions), y.detach().numpy(),
                    None if m.grad is None else m.grad.numpy(),
                    None if s.grad is None else s.grad.numpy()))
    for ours, theirs in zip(*got):
        if isinstance(ours, np.ndarray):
            np.testing.assert_array_equal(ours, theirs)
        else:
            assert ours == theirs


def test_bernoulli_with_p_has_torch_not_implemented_derivative(torch):
    for L in (ndgrad, torch):
        y = L.bernoulli(L.full((3,), 0.5, requires_grad=True), 0.3)
        assert type(y.grad_fn).__name__ == "NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not implemented"):
            y.sum().backward()


ERRORS = [
    lambda L: L.empty(3).normal_(0, -1),
    lambda L: L.empty(3).normal_(0, float("nan")),
    lambda L: L.empty(3, dtype=L.int64).normal_(),
    lambda L: L.empty(3).log_normal_(0, 0),
    lambda L: L.empty(3, dtype=L.int32).log_normal_(),
    lambda L: L.empty(3).cauchy_(0, -1),
    lambda L: L.empty(0, dtype=L.int16).cauchy_(),
    lambda L: L.empty(3, dtype=L.uint8).cauchy_(),
    lambda L: L.empty(3).exponential_(0),
    lambda L: L.empty(3, dtype=L.int8).exponential_(),
    lambda L: L.empty(3).geometric_(1),
    lambda L: L.empty(3).geometric_(float("nan")),
    lambda L: L.empty(3, dtype=L.bool).geometric_(0.5),
    lambda L: L.empty(3).uniform_(2, 1),
    lambda L: L.empty(3).uniform_(0, float("inf")),
    lambda L: L.empty(3, dtype=L.float16).uniform_(0, 1e6),
    lambda L: L.empty(3).uniform_(-3e38, 3e38),
    lambda L: L.empty(3, dtype=L.int64).uniform_(2, 1),
    lambda L: L.empty(3).bernoulli_(1.5),
    lambda L: L.empty(3).bernoulli_(L.tensor([0.5, 1.5, 0.2])),
    lambda L: L.empty(3).bernoulli_(L.tensor([0.5, 0.1])),
    lambda L: L.empty(3).bernoulli_(L.tensor([1, 0, 1])),
    lambda L: L.bernoulli(L.tensor([1, 0])),
    lambda L: L.empty(3).random_(5, 2),
    lambda L: L.empty(3, dtype=L.uint8).random_(0, 300),
    lambda L: L.empty(3, dtype=L.uint8).random_(-1, 3),
    lambda L: L.empty(3, dtype=L.bool).random_(0, 3),
    lambda L: L.empty(3, dtype=L.float16).random_(0, 70000),
    lambda L: L.empty(3, dtype=L.float32).random_(2**25, None),
    lambda L: L.empty(3, dtype=L.int8).random_(-2**63, None),
    lambda L: L.empty(3).random_(-2**63),
    lambda L: L.randint(3, 3, (3,)),
    lambda L: L.randint(0, 300, (3,), dtype=L.uint8),
    lambda L: L.normal(L.zeros(3), -1.0),
    lambda L: L.normal(L.zeros(3), L.tensor([1.0, -1.0, 1.0])),
    lambda L: L.normal(L.zeros(2), L.ones(3)),
    lambda L: L.normal(L.tensor([1, 2]), 1.0),
    lambda L: L.zeros(3, 1).expand(3, 4).normal_(),
    lambda L: L.ones(3, requires_grad=True).cauchy_(),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch_and_leave_the_same_stream(i, torch):
    raised = []
    for L in (ndgrad, torch):
        L.manual_seed(4)
        with pytest.raises(Exception) as info:
            ERRORS[i](L)
        raised.append((type(info.value).__name__, str(info.value).split("\n")[0],
                       L.get_rng_state().numpy().tobytes()))
    assert raised[0] == raised[1]


def test_keyword_forms_refused_as_torch(torch):
    for L in (ndgrad, torch):
        with pytest.raises(TypeError):
            L.empty(3).uniform_(a=0, b=2)
        with pytest.raises(TypeError):
            L.empty(3).random_(**{"from": 3})
        with pytest.raises(TypeError):
            L.empty(3).random_(1.5, 3)
