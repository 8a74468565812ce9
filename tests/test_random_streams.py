"""ndgrad._random against real torch: the same seeds must give the same random streams, bit for bit."""
import os
import warnings

import numpy as np
import pytest

if os.environ.get("NDGRAD_REQUIRE_TORCH") == "1":
    import torch
else:
    torch = pytest.importorskip("torch")

import ndgrad
from ndgrad import _random as R
from ndgrad import _random_kernels as K
from ndgrad._random import Generator, default_generator, manual_seed

SIZES = [0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 100, 1000]
SHAPES = [(3, 5), (4, 4), (2, 3, 6), (17, 1), (5, 0, 2)]
F32, F64 = np.float32, np.float64
TDT = {F32: torch.float32, F64: torch.float64, np.int64: torch.int64, np.int32: torch.int32,
       np.uint8: torch.uint8, np.int16: torch.int16, np.bool_: torch.bool}

# These run at the machine's own CPU capability (ndgrad picks the one torch picks); the same streams
# under each of ATEN_CPU_CAPABILITY=default/avx2/avx512 are checked in test_rng_capabilities.py.


def tgen(seed):
    return torch.Generator().manual_seed(seed)


def npy(t):
    return t.numpy()


def assert_same(ours, theirs):
    """Bitwise equal, same shape and dtype."""
    theirs = npy(theirs) if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours.shape, theirs.shape, ours.dtype)
    np.testing.assert_array_equal(np.ascontiguousarray(ours).view(np.uint8),
                                  np.ascontiguousarray(theirs).view(np.uint8))


def assert_stream_continues(g, tg):
    """Both generators are at the same point of the stream (state and cached normal)."""
    assert_same(g.get_state(), tg.get_state())
    assert_same(g.randint(0, 1000, (8,), np.int64), torch.randint(0, 1000, (8,), generator=tg))


# ---------------------------------------------------------------- seeding and state
@pytest.mark.parametrize("seed", [0, 1, 42, 2**32 - 1, 2**32 + 7, 2**63, 2**64 - 1, -1, -12345])
def test_seed_and_raw_state(seed):
    g, tg = Generator().manual_seed(seed), tgen(seed)
    assert g.initial_seed() == tg.initial_seed()
    assert_same(g.get_state(), tg.get_state())
    assert_stream_continues(g, tg)


def test_default_generator_and_module_functions():
    assert Generator().initial_seed() == torch.Generator().initial_seed() == R.DEFAULT_SEED
    assert manual_seed(5) is default_generator and R.initial_seed() == 5
    torch.manual_seed(5)
    assert_same(R.get_rng_state(), torch.get_rng_state())
    assert_same(default_generator.uniform((4,), F32), torch.rand(4))
    s = R.seed()
    assert R.initial_seed() == s and 0 <= s < 2**64
    with pytest.raises(RuntimeError):
        Generator().manual_seed(2**64)


@pytest.mark.parametrize("draws", [0, 3, 623, 624, 625, 1000, 1248])
def test_get_state_layout_and_round_trip(draws):
    g, tg = Generator().manual_seed(9), tgen(9)
    g.randint(0, 10, (draws,)), torch.randint(0, 10, (draws,), generator=tg)
    g.normal((3,), F64), torch.randn(3, dtype=torch.float64, generator=tg)   # leaves a cached normal
    st = g.get_state()
    assert st.dtype == ndgrad.uint8 and st.shape == (5056,)
    assert_same(st, tg.get_state())
    h = Generator().set_state(tg.get_state())                  # torch state -> ours
    assert_same(h.normal((5,), F32), torch.randn(5, generator=tg))
    t2 = torch.Generator()
    t2.set_state(torch.from_numpy(np.asarray(g.get_state())))              # ours -> torch
    assert_same(g.normal((5,), F64), torch.randn(5, dtype=torch.float64, generator=t2))
    assert_stream_continues(g, t2)


def test_set_rng_state_module_level_and_validation():
    torch.manual_seed(3)
    torch.rand(10)
    R.set_rng_state(torch.get_rng_state().numpy())
    assert_same(default_generator.uniform((6,), F64), torch.rand(6, dtype=torch.float64))
    with pytest.raises(RuntimeError):
        Generator().set_state(np.zeros(10, np.uint8))
    with pytest.raises(RuntimeError):
        Generator().set_state(np.zeros(5056, np.uint8))           # not seeded


# ---------------------------------------------------------------- uniform
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("size", SIZES + SHAPES)
def test_rand(dtype, size):
    shape = size if isinstance(size, tuple) else (size,)
    g, tg = Generator().manual_seed(11), tgen(11)
    assert_same(g.uniform(shape, dtype), torch.rand(shape, dtype=TDT[dtype], generator=tg))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("low,high", [(-1.7, 3.3), (2.0, 2.5), (-1e3, -1e-3), (1.0, 2.0), (0.0, 0.0)])
def test_uniform_range(dtype, low, high):
    for seed in range(3):
        g, tg = Generator().manual_seed(seed), tgen(seed)
        assert_same(g.uniform((257,), dtype, low, high),
                    torch.empty(257, dtype=TDT[dtype]).uniform_(low, high, generator=tg))


@pytest.mark.skipif(tuple(int(v) for v in torch.__version__.split(".")[:2]) < (2, 13),
                    reason="torch < 2.13 returned `high` here (no clamp)")
def test_uniform_result_rounded_up_to_high_is_clamped():
    seed, hit = 80, 10849                      # draw #hit after manual_seed(80) has low 24 bits all set
    assert Generator().manual_seed(seed)._raw(hit + 1)[hit] & 0xFFFFFF == 0xFFFFFF
    g, tg = Generator().manual_seed(seed), tgen(seed)
    ours = g.uniform((hit + 1,), F32, 1.0, 2.0)                 # 1 + (1 - 2**-24) rounds to 2.0 -> torch gives 1.0
    assert ours[hit] == 1.0
    assert_same(ours, torch.empty(hit + 1).uniform_(1.0, 2.0, generator=tg))


# ---------------------------------------------------------------- normal
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("size", SIZES + SHAPES)
def test_randn(dtype, size):
    shape = size if isinstance(size, tuple) else (size,)
    g, tg = Generator().manual_seed(12), tgen(12)
    for _ in range(2):      # the second call starts from a cached Box-Muller sample for odd small sizes
        assert_same(g.normal(shape, dtype), torch.randn(shape, dtype=TDT[dtype], generator=tg))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("size", [1, 3, 15, 16, 17, 100])
def test_normal_mean_std(dtype, size):
    g, tg = Generator().manual_seed(13), tgen(13)
    for mean, std in [(0.5, 2.5), (-3.0, 0.1), (1e3, 7.0), (2.0, 0.0)]:
        assert_same(g.normal((size,), dtype, mean, std),
                    torch.empty(size, dtype=TDT[dtype]).normal_(mean, std, generator=tg))
        assert_same(g.normal((size,), dtype, mean, std),
                    torch.normal(mean, std, (size,), dtype=TDT[dtype], generator=tg))


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("mshape,sshape", [((5,), (5,)), ((3, 1), (1, 20)), ((40,), (40,)), ((2, 9), (9,))])
def test_normal_tensor(dtype, mshape, sshape):
    rng = np.random.default_rng(0)
    mean, std = rng.normal(size=mshape).astype(dtype), rng.random(sshape).astype(dtype) + 0.5
    g, tg = Generator().manual_seed(14), tgen(14)
    tm, ts = torch.from_numpy(mean), torch.from_numpy(std)
    assert_same(g.normal_tensor(mean, std, dtype), torch.normal(tm, ts, generator=tg))
    assert_same(g.normal_tensor(mean, 1.7, dtype), torch.normal(tm, 1.7, generator=tg))
    assert_same(g.normal_tensor(0.3, std, dtype), torch.normal(0.3, ts, generator=tg))
    assert_stream_continues(g, tg)


def test_normal_non_contiguous_path_and_cache():
    g, tg = Generator().manual_seed(15), tgen(15)
    t = torch.empty(6, 5, dtype=torch.float64).t().normal_(generator=tg)   # per-element (cached) path
    assert_same(g.normal((30,), F64, contiguous=False), t.t().contiguous().reshape(-1))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("seed", [0, 7, 123])
def test_mixed_call_sequence(seed):
    g, tg = Generator().manual_seed(seed), tgen(seed)
    assert_same(g.normal((3,), F32), torch.randn(3, generator=tg))
    assert_same(g.uniform((2, 2), F32), torch.rand(2, 2, generator=tg))
    assert_same(g.randint(-5, 5, (7,)), torch.randint(-5, 5, (7,), generator=tg))
    assert_same(g.normal((1,), F64), torch.randn(1, dtype=torch.float64, generator=tg))   # uses the cache
    assert_same(g.normal((20,), F32), torch.randn(20, generator=tg))
    assert_same(g.randperm(9), torch.randperm(9, generator=tg))
    assert_same(g.normal((5,), F32), torch.randn(5, generator=tg))
    assert_same(g.uniform((33,), F64), torch.rand(33, dtype=torch.float64, generator=tg))
    assert_stream_continues(g, tg)


# ---------------------------------------------------------------- integers
RANGES = [(0, 10), (-7, 3), (0, 2**28 - 1), (0, 2**28), (-2**27, 2**27), (5, 2**31), (0, 2**32),
          (-2**40, 2**41 + 3), (-2**62, 2**62)]


@pytest.mark.parametrize("low,high,dtype", [(lo, hi, dt) for lo, hi in RANGES
                                            for dt in (np.int64, np.int32, F32, F64)
                                            if dt != np.int32 or -2**31 <= lo < hi <= 2**31])
def test_randint(low, high, dtype):
    g, tg = Generator().manual_seed(16), tgen(16)
    with np.errstate(all="ignore"):
        ours = g.randint(low, high, (3, 37), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                         # torch warns about float precision
        assert_same(ours, torch.randint(low, high, (3, 37), dtype=TDT[dtype], generator=tg))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("dtype,low,high", [(np.uint8, 0, 256), (np.uint8, 3, 9), (np.int16, -300, 300),
                                            (np.bool_, 0, 2)])
def test_randint_small_dtypes(dtype, low, high):
    g, tg = Generator().manual_seed(17), tgen(17)
    assert_same(g.randint(low, high, (100,), dtype),
                torch.randint(low, high, (100,), dtype=TDT[dtype], generator=tg))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int16, np.bool_, F32, F64])
def test_random_unbounded(dtype):
    g, tg = Generator().manual_seed(18), tgen(18)
    assert_same(g.random((50,), dtype), torch.empty(50, dtype=TDT[dtype]).random_(generator=tg))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 17, 100, 10000])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, F32])
def test_randperm(n, dtype):
    g, tg = Generator().manual_seed(19), tgen(19)
    assert_same(g.randperm(n, dtype), torch.randperm(n, dtype=TDT[dtype], generator=tg))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 3000])
def test_randperm_large_n_algorithm(n):
    # torch switches to an inside-out shuffle with random64() for n >= 2**32 // 20 (too big to compare here);
    # check our vectorised version against a literal loop over the same draws
    z = (Generator().manual_seed(20)._raw64(n) % np.arange(1, n + 1, dtype=np.uint64)).astype(np.int64)
    ref = list(range(n))
    for i in range(n):
        ref[i], ref[z[i]] = ref[z[i]], i
    np.testing.assert_array_equal(K.inside_out_perm(z), np.array(ref, np.int64))


# ---------------------------------------------------------------- bernoulli / dropout
@pytest.mark.parametrize("pdtype", [F32, F64])
@pytest.mark.parametrize("size", [1, 7, 16, 33, 1000])
def test_bernoulli_tensor_p(pdtype, size):
    p = np.random.default_rng(size).random(size).astype(pdtype)
    g, tg = Generator().manual_seed(21), tgen(21)
    assert_same(g.bernoulli(p, p.shape, pdtype), torch.bernoulli(torch.from_numpy(p), generator=tg))
    out = torch.empty(4, size, dtype=torch.int64).bernoulli_(torch.from_numpy(p), generator=tg)  # broadcast p
    assert_same(g.bernoulli(p, (4, size), np.int64), out)
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("dtype", [F32, F64, np.int64, np.bool_])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_bernoulli_scalar_p(dtype, p):
    g, tg = Generator().manual_seed(22), tgen(22)
    assert_same(g.bernoulli(p, (5, 41), dtype), torch.empty(5, 41, dtype=TDT[dtype]).bernoulli_(p, generator=tg))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("shape", [(1,), (17,), (4, 33), (0, 3)])
def test_dropout_mask(dtype, p, shape):
    x = torch.randn(shape, dtype=TDT[dtype]) + 3.0
    torch.manual_seed(23)
    y = torch.nn.functional.dropout(x, p, training=True)
    manual_seed(23)
    mask = default_generator.dropout_mask(shape, dtype, p)
    assert mask.dtype == dtype and set(np.unique(mask)) <= {0, 1}
    ref = npy(x) * 0 if p == 1 else npy(x) * (mask / dtype(1 - p))
    assert_same(ref.astype(dtype), y)
    assert_same(default_generator.get_state(), torch.get_rng_state())


# ---------------------------------------------------------------- multinomial / exponential
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shape", [(10,), (3, 7), (2, 1000)])
@pytest.mark.parametrize("k,replacement", [(1, True), (1, False), (4, True), (4, False), (7, False), (25, True)])
def test_multinomial(dtype, shape, k, replacement):
    probs = np.random.default_rng(1).random(shape).astype(dtype)
    probs[..., 2] = 0                                           # a zero-probability category
    if not replacement:
        k = min(k, shape[-1] - 1)                               # only nonzero categories: no topk ties
    g, tg = Generator().manual_seed(24), tgen(24)
    assert_same(g.multinomial(probs, k, replacement),
                torch.multinomial(torch.from_numpy(probs), k, replacement, generator=tg))
    assert_stream_continues(g, tg)


@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("lambd", [1.0, 0.5, 3.0])
@pytest.mark.parametrize("size", [1, 16, 1000])
def test_exponential(dtype, lambd, size):
    g, tg = Generator().manual_seed(25), tgen(25)
    assert_same(g.exponential((size,), dtype, lambd),
                torch.empty(size, dtype=TDT[dtype]).exponential_(lambd, generator=tg))
    assert_stream_continues(g, tg)


def test_independent_generators_and_errors():
    a, b = Generator().manual_seed(1), Generator().manual_seed(1)
    a.uniform((10,), F32)
    assert not np.array_equal(a.get_state(), b.get_state())
    with pytest.raises(RuntimeError):
        a.randint(3, 3, (2,))
    with pytest.raises(RuntimeError):
        a.bernoulli(1.5, (2,), F32)
    with pytest.raises(RuntimeError):
        a.multinomial(np.zeros(3, F32), 1)
    with pytest.raises(ValueError):
        Generator("cuda")


def test_fma_emulation_is_correctly_rounded():
    from fractions import Fraction as Fr
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=300), rng.normal(size=300)
    c = rng.normal(size=300) * rng.choice([1e-30, 1e-9, 1.0, 1e9], 300)
    got = K.fma64(a, b, c)
    for x, y, z, r in zip(a, b, c, got):
        assert r == float(Fr(x) * Fr(y) + Fr(z))
    a32, b32, c32 = a.astype(F32), b.astype(F32), (c * 1e-3).astype(F32)
    got = K.fma32(a32, b32, c32)
    for x, y, z, r in zip(a32, b32, c32, got):
        exact = Fr(float(x)) * Fr(float(y)) + Fr(float(z))
        lo = F32(float(exact))                                   # neighbours of the exact value
        cands = [lo, np.nextafter(lo, F32(np.inf)), np.nextafter(lo, F32(-np.inf))]
        best = min(cands, key=lambda v: (abs(Fr(float(v)) - exact), int(np.array(v).view(np.int32)) & 1))
        assert r == best
    x = F32(1 + 2.0**-12)                  # x*x + 2**-60: the float64 sum is a float32 tie; exact is just above
    assert K.fma32(x, x, F32(2.0**-60)) == F32(1 + 2.0**-11 + 2.0**-23)
    assert K.fma32(x, x, F32(-2.0**-60)) == F32(1 + 2.0**-11)


# ---------------------------------------------------------------- bigger sweeps
@pytest.mark.slow
@pytest.mark.parametrize("dtype", [F32, F64])
def test_sweep_many_seeds(dtype):
    for seed in range(40):
        g, tg = Generator().manual_seed(seed * 7919), tgen(seed * 7919)
        for n in (5, 16, 1000, 4099):
            assert_same(g.normal((n,), dtype), torch.randn(n, dtype=TDT[dtype], generator=tg))
            assert_same(g.uniform((n,), dtype), torch.rand(n, dtype=TDT[dtype], generator=tg))
            assert_same(g.randint(-9, 2**33, (n,)), torch.randint(-9, 2**33, (n,), generator=tg))
        assert_stream_continues(g, tg)


@pytest.mark.slow
def test_big_tensors():
    g, tg = Generator().manual_seed(99), tgen(99)
    assert_same(g.normal((1000, 1003), F32), torch.randn(1000, 1003, generator=tg))
    assert_same(g.normal((300, 1001), F64), torch.randn(300, 1001, dtype=torch.float64, generator=tg))
    assert_same(g.randperm(1_000_000), torch.randperm(1_000_000, generator=tg))
    assert_same(g.multinomial(np.ones((4, 5000), F32), 300, True),
                torch.multinomial(torch.ones(4, 5000), 300, True, generator=tg))
    assert_stream_continues(g, tg)


def test_libm_fallback_matches(monkeypatch):
    # where NumPy's float64 log/sin/cos are not the C library's (e.g. its AVX512 SVML loops) we call math.*
    monkeypatch.setattr(K, "_NUMPY_AGREES", dict.fromkeys(K._DOMAINS, False))
    g, tg = Generator().manual_seed(26), tgen(26)
    assert_same(g.normal((7,), F64), torch.randn(7, dtype=torch.float64, generator=tg))
    assert_same(g.normal((2, 50), F64, 1.5, 2.0),
                torch.empty(2, 50, dtype=torch.float64).normal_(1.5, 2.0, generator=tg))
    assert_same(g.exponential((40,), F64), torch.empty(40, dtype=torch.float64).exponential_(generator=tg))
    assert_stream_continues(g, tg)
