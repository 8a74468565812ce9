"""ndgrad.testing: assert_close gives torch.testing.assert_close's verdicts and messages;
assert_matches_torch runs one function under both libraries and catches a wrong op."""
import warnings

import numpy as np
import pytest

import ndgrad
import ndgrad.nn.functional as F
from ndgrad.testing import assert_close, assert_matches_torch

NAN, INF = float("nan"), float("inf")

# (actual, expected, kwargs): values built for each library from these specs
CASES = [
    ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], {}),
    ([1.0, 2.0, 3.0], [1.0, 2.0 + 1e-7, 3.0], {}),
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]], {}),
    ([1.0, INF], [1.0, INF], {}),
    ([1.0, INF], [1.0, -INF], {}),
    ([NAN], [NAN], {}),
    ([NAN], [NAN], {"equal_nan": True}),
    ([0.0, 2.0], [1e-9, 2.0], {}),
    ([1.0, 2.0], [1.0, 2.1], {"rtol": 0, "atol": 0}),
    ([1.0, 2.0], [1.0, 2.1], {"rtol": 0.1, "atol": 0}),
    ([1.0, 2.0], [1.0, 2.5], {"msg": "custom"}),
    (3.0, 4.0, {}),  # 0-dim tensors
]
DTYPED = [  # (actual dtype, expected dtype, kwargs)
    ("float32", "float64", {}),
    ("float32", "float64", {"check_dtype": False}),
    ("int64", "int64", {}),
    ("float16", "float16", {}),
]
PLAIN = [  # python values, identical in both libraries
    (1.0, 1.5, {}),
    (1, 1.0, {}),
    (None, 1, {}),
    (True, False, {}),
    ([1, 2], [1, 2, 3], {}),
    ({"a": 1}, {"b": 1}, {}),
    ("a", "a", {}),
]


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the verdict is what is compared
        return type(e), str(e)
    return None, ""


@pytest.mark.parametrize("actual, expected, kw", CASES)
def test_tensor_verdicts_and_messages_match_torch(actual, expected, kw, torch):
    ours = _outcome(lambda: assert_close(ndgrad.tensor(actual), ndgrad.tensor(expected), **kw))
    theirs = _outcome(lambda: torch.testing.assert_close(torch.tensor(actual),
                                                         torch.tensor(expected), **kw))
    assert ours == theirs


@pytest.mark.parametrize("a_dt, e_dt, kw", DTYPED)
def test_dtype_handling_matches_torch(a_dt, e_dt, kw, torch):
    a, e = [1.0, 2.0, 3.0], [1.0, 2.0, 3.001]
    ours = _outcome(lambda: assert_close(ndgrad.tensor(a, dtype=getattr(ndgrad, a_dt)),
                                         ndgrad.tensor(e, dtype=getattr(ndgrad, e_dt)), **kw))
    theirs = _outcome(lambda: torch.testing.assert_close(
        torch.tensor(a, dtype=getattr(torch, a_dt)), torch.tensor(e, dtype=getattr(torch, e_dt)),
        **kw))
    assert ours == theirs


@pytest.mark.parametrize("actual, expected, kw", PLAIN)
def test_python_values_match_torch(actual, expected, kw, torch):
    assert _outcome(lambda: assert_close(actual, expected, **kw)) == _outcome(
        lambda: torch.testing.assert_close(actual, expected, **kw))


def test_nested_and_tolerance_arguments(torch):
    a = [ndgrad.tensor([1.0, 2.0])]
    e = [ndgrad.tensor([1.0, 2.1])]
    with pytest.raises(AssertionError, match=r"The failure occurred for item \[0\]"):
        assert_close(a, e)
    with pytest.raises(AssertionError, match="^wrapped: Tensor-likes"):
        assert_close(a, e, msg=lambda m: "wrapped: " + m)
    with pytest.raises(ValueError, match="but got no atol"):
        assert_close(a, e, rtol=1e-3)
    # an ndgrad result against a torch result: the comparison users want
    assert_close(ndgrad.tensor([1.0, 2.0]).exp(), torch.tensor([1.0, 2.0]).exp())
    assert_close(ndgrad.ones(2), np.ones(2, dtype=np.float32))


# *** assert_matches_torch ***

def tanh_layer(x, w):
    return ndgrad.tanh(x @ w).sum(dim=0)


def softmax_and_loss(torch, x, w, target):
    logits = x @ w
    return F.softmax(logits, dim=1), torch.nn.functional.cross_entropy(logits, target)


def test_matching_functions_pass(torch):
    ndgrad.manual_seed(0)
    x, w = ndgrad.randn(4, 3), ndgrad.randn(3, 2, requires_grad=True)
    assert_matches_torch(tanh_layer, x, w)
    assert_matches_torch(softmax_and_loss, x, w, ndgrad.tensor([0, 1, 1, 0]))
    assert_matches_torch(lambda a, b: {"sum": (a * b).sum(), "parts": [a - b, 2.0]},
                         ndgrad.randn(3, requires_grad=True), np.arange(3.0))


def test_a_wrong_forward_is_caught(torch, monkeypatch):
    x = ndgrad.randn(3, requires_grad=True)
    monkeypatch.setattr(ndgrad, "tanh", ndgrad.sigmoid)
    with pytest.raises(AssertionError, match="outputs of tanh_layer differ"):
        assert_matches_torch(tanh_layer, x.reshape(1, 3), ndgrad.ones(3, 2))


def test_a_wrong_gradient_is_caught(torch, monkeypatch):
    real = ndgrad.tanh

    def tanh_with_identity_gradient(t):  # right values, gradient 1 instead of 1 - tanh^2
        return real(t).detach() + t - t.detach()

    monkeypatch.setattr(ndgrad, "tanh", tanh_with_identity_gradient)
    with pytest.raises(AssertionError, match="gradient of input 0 .* differs"):
        assert_matches_torch(tanh_layer, ndgrad.randn(2, 3), ndgrad.randn(3, 2,
                                                                          requires_grad=True))


def test_without_torch_gradients_are_checked_by_finite_differences(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    w = ndgrad.randn(3, 2, requires_grad=True)
    with pytest.warns(UserWarning, match="finite differences"):
        assert_matches_torch(tanh_layer, ndgrad.randn(2, 3), w)
    real = ndgrad.tanh
    monkeypatch.setattr(ndgrad, "tanh", lambda t: real(t).detach() + t - t.detach())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception, match="Jacobian mismatch|gradcheck|numerical"):
            assert_matches_torch(tanh_layer, ndgrad.randn(2, 3), w)
