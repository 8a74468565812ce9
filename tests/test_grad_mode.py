"""Grad modes as context managers and decorators, nesting, detach and .data."""
import pytest

import ndgrad


def test_no_grad_nesting_and_enable_grad():
    x = ndgrad.ones(2, requires_grad=True)
    with ndgrad.no_grad():
        assert not (x * 2).requires_grad
        with ndgrad.enable_grad():
            assert (x * 2).requires_grad
        assert not ndgrad.is_grad_enabled()
    assert ndgrad.is_grad_enabled()


def test_decorators():
    x = ndgrad.ones(2, requires_grad=True)

    @ndgrad.no_grad()
    def f():
        return x * 2

    @ndgrad.enable_grad()
    def g():
        return x * 2

    assert not f().requires_grad
    with ndgrad.no_grad():
        assert g().requires_grad


def test_set_grad_enabled_function_and_context():
    x = ndgrad.ones(1, requires_grad=True)
    ndgrad.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    ndgrad.set_grad_enabled(True)
    with ndgrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @ndgrad.set_grad_enabled(False)
    def f():
        return x * 2

    assert ndgrad.is_grad_enabled()
    assert not f().requires_grad


def test_inference_mode():
    x = ndgrad.ones(1, requires_grad=True)
    with ndgrad.inference_mode():
        assert not (x * 2).requires_grad
        assert ndgrad.is_inference_mode_enabled()
    assert (x * 2).requires_grad

    @ndgrad.inference_mode()
    def f():
        return x * 2

    assert not f().requires_grad


def test_exceptions_restore_mode():
    with pytest.raises(ValueError):
        with ndgrad.no_grad():
            raise ValueError
    assert ndgrad.is_grad_enabled()


def test_detach_shares_data_and_version():
    x = ndgrad.ones(3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    with ndgrad.no_grad():
        d.mul_(2)
    assert x.tolist() == [2.0, 2.0, 2.0]
    assert x._version == d._version == 1


def test_data_shares_storage_without_graph():
    x = ndgrad.ones(3, requires_grad=True)
    x.data.mul_(3)
    assert x.tolist() == [3.0, 3.0, 3.0] and x.requires_grad
    x.data = ndgrad.zeros(3)
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_detach_in_place_and_requires_grad_():
    x = ndgrad.ones(2, requires_grad=True)
    y = x * 2
    y.detach_()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    z = ndgrad.ones(2).requires_grad_()
    assert z.requires_grad
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        (z * 2).requires_grad_(False)
