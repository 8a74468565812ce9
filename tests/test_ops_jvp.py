"""Forward mode for every op in the table: the tangent of a dual input against central
differences (float64), and against torch's forward AD where torch implements it."""
import numpy as np
import pytest

import ndgrad
import ndgrad.autograd.forward_ad as fwAD
from conftest import import_torch
from op_db import SAMPLES, to_ndgrad, to_torch

JVP_SAMPLES = [s for s in SAMPLES if s.differentiable and any(s.diff_mask)
               and "jvp" not in s.skips and "grad" not in s.skips]


def _outs(o):
    return list(o) if isinstance(o, (tuple, list)) else [o]


def _tangents(sample, rng):
    return [(rng.standard_normal(a.shape) + (1j * rng.standard_normal(a.shape)
                                             if a.dtype.kind == "c" else 0)) if m else None
            for a, m in zip(sample.inputs, sample.diff_mask)]


def _inexact(o):
    return o.is_floating_point() or o.is_complex()


def _ndgrad_jvp(sample, tangents):
    args = to_ndgrad(sample, ndgrad.float64, requires_grad=False)
    with fwAD.dual_level():
        for i, t in enumerate(tangents):
            if t is not None:
                args[i] = fwAD.make_dual(args[i], ndgrad.tensor(t, dtype=args[i].dtype))
        outs = _outs(sample.fn(*args, **sample.attrs))
        res = []
        for o in outs:
            if not _inexact(o):
                continue
            t = fwAD.unpack_dual(o).tangent
            res.append(np.zeros(tuple(o.shape)) if t is None
                       else t.detach().resolve_conj().numpy().copy())
    return res


def _numeric_jvp(sample, tangents, eps=1e-6):
    def run(sign):
        args = []
        for a, t, m, im in zip(sample.inputs, tangents, sample.diff_mask,
                               sample.int_mask or [False] * len(sample.inputs)):
            if t is not None:
                a = np.asarray(a + sign * eps * t)
            args.append(a)
        shifted = type(sample)(**{**sample.__dict__, "inputs": args})
        outs = _outs(sample.fn(*to_ndgrad(shifted, ndgrad.float64, requires_grad=False),
                               **sample.attrs))
        return [o.resolve_conj().numpy().astype(np.complex128 if o.is_complex() else np.float64)
                for o in outs if _inexact(o)]

    plus, minus = run(1), run(-1)
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


@pytest.mark.parametrize("sample", JVP_SAMPLES, ids=lambda s: s.id)
def test_jvp_matches_finite_differences(sample):
    tangents = _tangents(sample, np.random.default_rng(3))
    ours = _ndgrad_jvp(sample, tangents)
    numeric = _numeric_jvp(sample, tangents)
    assert len(ours) == len(numeric)
    for a, n in zip(ours, numeric):
        np.testing.assert_allclose(a, n, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sample", [s for s in JVP_SAMPLES if "torch" not in s.skips
                                    and "jvp_torch" not in s.skips],
                         ids=lambda s: s.id)
def test_jvp_matches_torch_forward_ad(sample):
    torch = import_torch()
    tangents = _tangents(sample, np.random.default_rng(3))
    args = to_torch(torch, sample, torch.float64, requires_grad=False)
    tfw = torch.autograd.forward_ad
    try:
        with tfw.dual_level():
            for i, t in enumerate(tangents):
                if t is not None:
                    args[i] = tfw.make_dual(args[i], torch.tensor(t, dtype=args[i].dtype))
            outs = _outs(sample.torch_fn(torch, *args, **sample.attrs))
            theirs = [tfw.unpack_dual(o).tangent for o in outs if _inexact(o)]
    except (NotImplementedError, RuntimeError) as e:
        if "not implemented" in str(e).lower() or "forward AD" in str(e) or isinstance(
                e, NotImplementedError):
            pytest.skip(f"torch has no forward-mode formula here: {str(e)[:80]}")
        raise
    ours = _ndgrad_jvp(sample, tangents)
    for a, b in zip(ours, theirs):
        try:
            expected = np.zeros_like(a) if b is None else b.detach().resolve_conj().numpy()
        except RuntimeError:  # torch's ZeroTensor tangents refuse numpy()
            expected = np.zeros_like(a)
        np.testing.assert_allclose(a, expected, rtol=1e-6, atol=1e-8)
