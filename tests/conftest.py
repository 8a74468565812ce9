"""Shared fixtures: the torch oracle (a hard failure instead of a skip when CI requires it)."""
import os

import numpy as np
import pytest

import ndgrad

REQUIRE_TORCH = os.environ.get("NDGRAD_REQUIRE_TORCH") == "1"
# the conformance harness is imported by test_conformance_*.py; collecting it for doctests
# would import torch's test databases
collect_ignore = ["conformance"]


def import_torch():
    """Real torch, or a skip when it is absent (a failure under NDGRAD_REQUIRE_TORCH=1)."""
    if REQUIRE_TORCH:
        import torch  # noqa: F401  (ImportError fails the test)

        return torch
    return pytest.importorskip("torch")


@pytest.fixture
def torch():
    return import_torch()


@pytest.fixture(autouse=True)
def _restore_global_state():
    default = ndgrad.get_default_dtype()
    yield
    ndgrad.set_default_dtype(default)
    ndgrad.set_grad_enabled(True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)

