"""Every op in the table: forward runs, gradients match central differences (float64) to
first and second order."""
import numpy as np
import pytest

import ndgrad
from ndgrad.autograd import gradcheck, gradgradcheck
from op_db import SAMPLES, random_weights, real_loss, to_ndgrad

GRAD_SAMPLES = [s for s in SAMPLES if s.differentiable and any(s.diff_mask)]


def test_every_registered_op_has_samples():
    from ndgrad._ops._registry import REGISTRY

    covered = {s.name for s in SAMPLES}
    missing = sorted(n for n in REGISTRY if n not in covered)
    assert not missing, f"ops without test samples: {missing}"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.id)
def test_forward_runs(sample):
    out = sample.fn(*to_ndgrad(sample, ndgrad.float64, requires_grad=False), **sample.attrs)
    outs = out if isinstance(out, tuple) else (out,)
    for o in outs:
        assert isinstance(o, ndgrad.Tensor)
        assert not o.requires_grad


def _func(sample):
    positions = [i for i, m in enumerate(sample.diff_mask) if m]

    def f(*diff):
        args = to_ndgrad(sample, ndgrad.float64, requires_grad=False)
        for p, d in zip(positions, diff):
            args[p] = d
        return sample.fn(*args, **sample.attrs)

    return f, positions


@pytest.mark.parametrize("sample", [s for s in GRAD_SAMPLES if "grad" not in s.skips],
                         ids=lambda s: s.id)
def test_gradcheck(sample):
    f, positions = _func(sample)
    args = to_ndgrad(sample, ndgrad.float64)
    assert gradcheck(f, tuple(args[p] for p in positions))


@pytest.mark.parametrize("sample", [s for s in GRAD_SAMPLES if "gradgrad" not in s.skips],
                         ids=lambda s: s.id)
def test_gradgradcheck(sample):
    f, positions = _func(sample)
    args = to_ndgrad(sample, ndgrad.float64)
    assert gradgradcheck(f, tuple(args[p] for p in positions))


@pytest.mark.parametrize("sample", GRAD_SAMPLES, ids=lambda s: s.id)
def test_grad_dtype_and_shape_match_input(sample):
    args = to_ndgrad(sample, ndgrad.float32)
    out = sample.fn(*args, **sample.attrs)
    out = out[0] if isinstance(out, tuple) else out
    w = random_weights(np.random.default_rng(0), tuple(out.shape), out.is_complex())
    real_loss(out, ndgrad.tensor(w, dtype=out.dtype)).backward()
    for a, m in zip(args, sample.diff_mask):
        if m:
            assert a.grad is not None and a.grad.shape == a.shape and a.grad.dtype == a.dtype
