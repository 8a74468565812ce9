"""Every op in the table against PyTorch: values, dtypes, grad_fn names, gradients."""
import numpy as np
import pytest

import ndgrad
from conftest import import_torch
from op_db import SAMPLES, random_weights, real_loss, to_ndgrad, to_torch

TORCH_SAMPLES = [s for s in SAMPLES if "torch" not in s.skips]
DTYPES = ["float32", "float64"]


def _np(x):
    if hasattr(x, "resolve_conj"):
        x = x.resolve_conj()
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x._data)


def _run_both(sample, dtype_name):
    torch = import_torch()
    nd_args = to_ndgrad(sample, getattr(ndgrad, dtype_name))
    th_args = to_torch(torch, sample, getattr(torch, dtype_name))
    nd_out = sample.fn(*nd_args, **sample.attrs)
    th_out = sample.torch_fn(torch, *th_args, **sample.attrs)
    return torch, nd_args, th_args, nd_out, th_out


def _outs(o):
    return list(o) if isinstance(o, (tuple, list)) else [o]


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("sample", TORCH_SAMPLES, ids=lambda s: s.id)
def test_matches_torch(sample, dtype_name):
    if dtype_name == "float32" and "float32" in sample.skips:
        pytest.skip("declared skip: float32")
    torch, nd_args, th_args, nd_out, th_out = _run_both(sample, dtype_name)
    rtol, atol = (sample.rtol, sample.atol) if dtype_name == "float32" else (1e-7, 1e-9)
    nd_outs, th_outs = _outs(nd_out), _outs(th_out)
    assert len(nd_outs) == len(th_outs)
    for n, t in zip(nd_outs, th_outs):
        assert tuple(n.shape) == tuple(t.shape)
        assert str(n.dtype) == str(t.dtype), f"dtype {n.dtype} vs torch {t.dtype}"
        np.testing.assert_allclose(_np(n), _np(t), rtol=rtol, atol=atol)
        nd_name = type(n.grad_fn).__name__ if n.grad_fn is not None else None
        th_name = type(t.grad_fn).__name__ if t.grad_fn is not None else None
        assert nd_name == th_name, f"grad_fn {nd_name} vs torch {th_name}"
    if not (sample.differentiable and any(sample.diff_mask)):
        return
    # gradients for a random cotangent on every floating output
    rng = np.random.default_rng(7)
    nd_terms, th_terms = [], []
    for n, t in zip(nd_outs, th_outs):
        if n.requires_grad:
            w = random_weights(rng, tuple(n.shape), n.is_complex())
            nd_terms.append(real_loss(n, ndgrad.tensor(w, dtype=n.dtype)))
            th_terms.append(real_loss(t, torch.tensor(w, dtype=t.dtype)))
    sum(nd_terms).backward()
    sum(th_terms).backward()
    for a, b, m in zip(nd_args, th_args, sample.diff_mask):
        if m:
            assert a.grad is not None, "no gradient where torch has one"
            np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=rtol * 10, atol=atol * 10)
