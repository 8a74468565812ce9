"""Compare ndgrad._printing.format_tensor with real torch ``repr`` output."""

import os

import numpy as np
import pytest

if os.environ.get("NDGRAD_REQUIRE_TORCH") == "1":
    import torch
else:
    torch = pytest.importorskip("torch")

import torch._tensor_str as torch_tensor_str

from ndgrad._printing import format_tensor, get_printoptions, set_printoptions

nan, inf = float("nan"), float("inf")


def _name(dtype):
    return str(dtype).removeprefix("torch.")


def _grad_suffixes(t):
    if t.grad_fn is not None:
        return [f"grad_fn=<{type(t.grad_fn).__name__}>"]
    return ["requires_grad=True"] if t.requires_grad else []


def ours(t):
    return format_tensor(
        t.detach().numpy(), _name(t.dtype), _name(torch.get_default_dtype()), _grad_suffixes(t)
    )


def assert_same(t):
    expected = repr(t)
    assert ours(t) == expected, f"\nexpected:\n{expected}\ngot:\n{ours(t)}"


@pytest.fixture(autouse=True)
def _restore_state():
    old_default = torch.get_default_dtype()
    yield
    torch.set_default_dtype(old_default)
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")


def T(values, dtype=None, **kw):
    return lambda: torch.tensor(values, dtype=dtype, **kw)


def _rng(seed):
    return np.random.default_rng(seed)


# ---- fixed cases: (id, tensor factory) ---------------------------------------------------
F16, F32, F64 = torch.float16, torch.float32, torch.float64
FIXED = [
    # 0-d
    ("0d-int-valued", T(3.0)),
    ("0d-frac", T(1.5)),
    ("0d-neg-zero", T(-0.0)),
    ("0d-zero", T(0.0)),
    ("0d-nan", T(nan)),
    ("0d-neginf", T(-inf)),
    ("0d-small", T(1e-5)),
    ("0d-big", T(1e10)),
    ("0d-f64", T(2.5, F64)),
    ("0d-f16", T(2.5, F16)),
    ("0d-int64", T(5)),
    ("0d-int32", T(-5, torch.int32)),
    ("0d-uint8", T(200, torch.uint8)),
    ("0d-bool", T(True)),
    # 1-d floats
    ("ints-as-float", T([1.0, 2.0])),
    ("fixed", T([1.5, -2.25, 3.0])),
    ("zeros", T([0.0, 0.0])),
    ("neg-zero", T([-0.0])),
    ("pos-neg-zero", T([0.0, -0.0, 1.0])),
    ("nonfinite-int", T([nan, 1.0, inf, -inf])),
    ("nonfinite-frac", T([nan, 1.5, inf, -inf, -0.0])),
    ("only-nonfinite", T([nan, inf, -inf])),
    ("tiny-ratio", T([1e-5, 1.0])),
    ("ratio-1000", T([1000.0, 1.0])),
    ("ratio-1001", T([1001.0, 1.0])),
    ("ratio-frac", T([0.1, 100.5])),
    ("big-1e8", T([1e8, 1.0])),
    ("bigger-1e8", T([100000008.0, 1.0e6])),
    ("min-1e-4", T([1e-4, 0.5])),
    ("round-up", T([9.99995, 1.5])),
    ("round-tiny", T([0.00005, 0.5])),
    ("neg-tiny-fixed", T([-0.00001, 1.0])),
    ("sci-neg", T([-1.5e-9, 2e10, 0.0, nan])),
    ("sci-e100", T([1e-100, 1e100], F64)),
    ("f32-rounding", T([0.1, 0.2, 0.3])),
    ("arange100", lambda: torch.arange(100.0)),
    ("arange-neg", lambda: torch.arange(-30.0, 30.0) / 7),
    # ints / bool
    ("int-arange", lambda: torch.arange(40)),
    ("int-neg", T([-1, 10, -100, 1000])),
    ("int64-extremes", T([-(2**63), 2**63 - 1])),
    ("int8", T([-128, 0, 127], torch.int8)),
    ("int16", T([-300, 7], torch.int16)),
    ("int32", T([1, 2, 3], torch.int32)),
    ("uint8", T([0, 255, 3], torch.uint8)),
    ("bool", T([True, False, True])),
    ("bool-long", lambda: torch.arange(30) % 3 == 0),
    ("f16", T([1.5, 2.0, -3.25], F16)),
    ("f16-int", T([1.0, 2048.0], F16)),
    ("f16-sci", T([0.001, 60000.0], F16)),
    ("f64", T([1.0, 2.0], F64)),
    ("f64-frac", T([1.0 / 3, 2.0], F64)),
    # 2-d .. 4-d
    ("2d", lambda: torch.arange(12.0).reshape(3, 4) / 3),
    ("2d-int", lambda: torch.arange(-6, 6).reshape(3, 4)),
    ("2d-bool", lambda: torch.eye(3, dtype=torch.bool)),
    ("2d-wide", lambda: torch.from_numpy(_rng(1).standard_normal((2, 30)).astype(np.float32))),
    ("2d-wide-int", lambda: torch.from_numpy(_rng(2).integers(-999, 999, (3, 25)))),
    ("3d", lambda: torch.from_numpy(_rng(3).standard_normal((2, 3, 4)).astype(np.float32))),
    ("4d", lambda: torch.arange(24.0).reshape(2, 2, 2, 3)),
    ("2d-one-row", lambda: torch.ones(1, 5)),
    ("2d-one-col", lambda: torch.ones(5, 1, dtype=F64)),
    # summarisation
    ("sum-1d-float", lambda: torch.arange(2000.0)),
    ("sum-1d-int", lambda: torch.arange(2000)),
    ("sum-1d-1001", lambda: torch.from_numpy(_rng(4).standard_normal(1001).astype(np.float32))),
    ("sum-2d", lambda: torch.from_numpy(_rng(5).standard_normal((40, 40)).astype(np.float32))),
    ("sum-2d-narrow", lambda: torch.ones(1001, 1)),
    ("sum-2d-long-rows", lambda: torch.arange(4000.0).reshape(2, 2000)),
    ("sum-3d", lambda: torch.from_numpy(_rng(6).standard_normal((10, 10, 20)).astype(np.float64))),
    ("sum-4d", lambda: torch.arange(1250).reshape(5, 5, 5, 10)),
    ("sum-hidden-big", lambda: torch.cat([torch.ones(5), torch.full((1000,), 1e9), torch.ones(5)])),
    # empty
    ("empty", T([])),
    ("empty-int64", lambda: torch.tensor([], dtype=torch.int64)),
    ("empty-bool", lambda: torch.tensor([], dtype=torch.bool)),
    ("empty-f64", lambda: torch.tensor([], dtype=F64)),
    ("empty-0x3", lambda: torch.zeros(0, 3)),
    ("empty-2x0x3-int", lambda: torch.zeros(2, 0, 3, dtype=torch.int32)),
    ("empty-3x0-bool", lambda: torch.zeros(3, 0, dtype=torch.bool)),
    # autograd suffixes
    ("leaf-rg", T([1.0, 2.0], requires_grad=True)),
    ("leaf-rg-0d", T(3.0, requires_grad=True)),
    ("leaf-rg-f64", T([1.0, 2.0], F64, requires_grad=True)),
    ("grad-fn-add", lambda: torch.tensor([1.0, 2.0], dtype=F64, requires_grad=True) + 1),
    ("grad-fn-sum", lambda: (torch.tensor([1.5, 2.0], requires_grad=True) * 2).sum()),
    ("empty-rg", lambda: torch.zeros(0, 2, dtype=F64, requires_grad=True)),
    ("wrap-suffix-2d", lambda: torch.arange(60.0, dtype=F64).reshape(5, 12).requires_grad_() * 1.5),
    ("wrap-suffix-1d", lambda: torch.arange(14.0, dtype=F64).requires_grad_() + 0.5),
    ("wrap-suffix-long", lambda: torch.arange(100.0, dtype=F16).requires_grad_() * 3),
]


def _random_cases():
    """Random tensors over several seeds, magnitudes 1e-8..1e8, signs and roundings."""
    cases = []
    for seed in range(5):
        for exp in (-8, -5, -4, -2, 0, 2, 3, 4, 6, 8):
            for shape in ((7,), (3, 5)):
                x = _rng(seed * 100 + exp + 50).standard_normal(shape) * 10.0**exp
                cases.append((f"rand-s{seed}-e{exp}-{len(shape)}d", x.astype(np.float32)))
        rng = _rng(1000 + seed)
        mixed = rng.standard_normal(9) * 10.0 ** rng.integers(-8, 9, 9)
        cases.append((f"mixed-s{seed}", mixed.astype(np.float32)))
        cases.append((f"mixed-f64-s{seed}", mixed.reshape(3, 3)))
        cases.append((f"rounded-s{seed}", np.round(rng.standard_normal(8) * 50, seed)))
        cases.append((f"int-valued-s{seed}", np.round(rng.standard_normal(8) * 10.0 ** (seed * 2))))
        cases.append((f"f16-s{seed}", (rng.standard_normal(6) * 10.0 ** (seed - 2)).astype(np.float16)))
        with_nan = rng.standard_normal(6).astype(np.float32)
        with_nan[seed % 6] = [nan, inf, -inf, -0.0, 0.0, nan][seed]
        cases.append((f"nonfinite-s{seed}", with_nan))
    return [(name, (lambda a=a: torch.from_numpy(a.copy()))) for name, a in cases]


CASES = FIXED + _random_cases()


@pytest.mark.parametrize("default", [F32, F64], ids=["default-f32", "default-f64"])
@pytest.mark.parametrize("make", [m for _, m in CASES], ids=[n for n, _ in CASES])
def test_repr_matches_torch(make, default):
    torch.set_default_dtype(default)
    assert_same(make())


# ---- print options -------------------------------------------------------------------------
OPTION_SETS = [
    dict(precision=2),
    dict(precision=0),
    dict(precision=8),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(precision=2, sci_mode=True),
    dict(profile="full"),
    dict(profile="short"),
    dict(profile="full", linewidth=120),
    dict(linewidth=40),
    dict(linewidth=20),
    dict(threshold=5, edgeitems=1),
    dict(threshold=10, edgeitems=0),
    dict(profile="no-such-profile", precision=3),
]


def _option_tensors():
    rng = _rng(7)
    return [
        torch.tensor(3.14159),
        torch.tensor([1.0, 2.0]),
        torch.tensor([1.123456789, -2.5, 1000.0]),
        torch.tensor([1e-6, 1.0, nan, -inf]),
        torch.tensor([1e10, 1.0]),
        torch.tensor([12345678.0, 1.0], dtype=F64),
        torch.tensor([0.5, 0.25], dtype=F16),
        torch.arange(25),
        torch.arange(1500.0),
        torch.tensor([True, False] * 8),
        torch.from_numpy(rng.standard_normal((4, 9)).astype(np.float32)),
        torch.from_numpy(rng.standard_normal((3, 4, 5)) * 1e-3),
        torch.from_numpy(rng.standard_normal((30, 40)).astype(np.float32)),
        torch.tensor([], dtype=torch.int64),
        torch.zeros(0, 4),
        torch.arange(30.0, dtype=F64).requires_grad_() * 2,
        torch.tensor([1.5, 2.5], requires_grad=True),
    ]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_printoptions_match_torch(options):
    torch.set_printoptions(**options)
    set_printoptions(**options)
    assert get_printoptions() == torch_tensor_str.get_printoptions()
    for t in _option_tensors():
        assert_same(t)
    # profile='default' restores everything, including sci_mode=None.
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    assert get_printoptions() == torch_tensor_str.get_printoptions()
    for t in _option_tensors():
        assert_same(t)


def test_options_are_sticky_except_sci_mode():
    for opts in (dict(precision=2, sci_mode=True), dict(linewidth=50), dict(sci_mode=False), dict()):
        torch.set_printoptions(**opts)
        set_printoptions(**opts)
        assert get_printoptions() == torch_tensor_str.get_printoptions()
        assert_same(torch.tensor([1.123456, 2e-5, 300.0]))
