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
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-7, atol=0)


def test_sequence_of_draws_from_one_seed(torch):
    for L in (ndgrad, torch):
        L.manual_seed(11)
    seq = lambda L: [L.randn(3), L.rand(20), L.randint(0, 100, (4,)), L.randn(18), L.randperm(5)]
    for a, b in zip(seq(ndgrad), seq(torch)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-7)


def test_generator_objects(torch):
    g, tg = ndgrad.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    np.testing.assert_allclose(ndgrad.rand(4, generator=g).numpy(),
                               torch.rand(4, generator=tg).numpy())
    assert g.initial_seed() == 5


def test_in_place_fill_refused_on_leaf_that_requires_grad():
    w = ndgrad.empty(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.uniform_()
    with ndgrad.no_grad():
        w.uniform_()
    assert w._version == 1
