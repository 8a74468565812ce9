"""The libm arithmetic of torch's "default" float32 Box-Muller kernel: glibc's logf/sinf/cosf,
emulated in NumPy, against the C library itself; and the bound of the fallback used elsewhere."""
import ctypes
import ctypes.util
import math

import numpy as np
import pytest

from ndgrad import _random_kernels as K

F32 = np.float32
# every input the kernel can pass: 1 - u and float(2*pi*u) for u = k * 2**-24
K_ALL = np.arange(2**24, dtype=np.int64)


def _inputs(step: int) -> tuple[np.ndarray, np.ndarray]:
    k = np.concatenate([K_ALL[::step], [0, 1, 2, 2**23, 2**24 - 1],
                        np.random.default_rng(3).integers(0, 2**24, 4000)])
    u = (k * 2.0**-24).astype(F32)
    return F32(1) - u, ((2.0 * math.pi) * u.astype(np.float64)).astype(F32)


def _libm():
    if not K.LIBM_IS_GLIBC:
        pytest.skip("the glibc emulation is used only where the C library is glibc")
    lib = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    fns = {}
    for name in ("logf", "sinf", "cosf"):
        f = getattr(lib, name)
        f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
        fns[name] = np.frompyfunc(f, 1, 1)
    return fns


def test_glibc_logf_sinf_cosf_emulation_is_bit_exact():
    libm = _libm()
    x, theta = _inputs(1999)
    np.testing.assert_array_equal(K._glibc_logf(x), libm["logf"](x).astype(F32))
    sin, cos = K._glibc_sincosf(theta)
    np.testing.assert_array_equal(sin, libm["sinf"](theta).astype(F32))
    np.testing.assert_array_equal(cos, libm["cosf"](theta).astype(F32))


def _ulps(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b) / np.spacing(np.abs(b).astype(F32))))


def test_fallback_libm_is_within_one_ulp():
    x, theta = _inputs(997)
    assert _ulps(np.log(x.astype(np.float64)).astype(F32), K._glibc_logf(x)) <= 1
    sin, cos = K._glibc_sincosf(theta)
    t64 = theta.astype(np.float64)
    assert _ulps(np.sin(t64).astype(F32), sin) <= 1
    assert _ulps(np.cos(t64).astype(F32), cos) <= 1


@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.5, 2.5), (-3.0, 0.1)])
def test_fallback_normal_fill_is_within_a_few_ulp(monkeypatch, mean, std):
    # the README's bound for C libraries other than glibc: |difference| <= 4 ulp of |z * std|
    monkeypatch.setattr(K, "CPU_CAPABILITY", "default")
    rows = (np.random.default_rng(1).integers(0, 2**24, (20000, 16)) * 2.0**-24).astype(F32)
    monkeypatch.setattr(K, "LIBM_IS_GLIBC", True)
    exact = K.normal_fill16(rows, mean, std)
    monkeypatch.setattr(K, "LIBM_IS_GLIBC", False)
    approx = K.normal_fill16(rows, mean, std)
    scale = np.spacing((np.abs(exact.astype(np.float64) - mean) + abs(mean)).astype(F32))
    assert np.max(np.abs(approx.astype(np.float64) - exact) / scale) <= 4


def test_fused_multiply_add_follows_the_capability(monkeypatch):
    x = np.array([1 + 2.0**-30, 3.0])
    for cap, fused in [("default", False), ("avx2", True), ("avx512", True)]:
        monkeypatch.setattr(K, "CPU_CAPABILITY", cap)
        monkeypatch.setattr(K.platform, "machine", lambda: "x86_64")
        got = K.madd(x, 1 - 2.0**-30, -1.0, np.dtype(np.float64))
        want = K.fma64(x, 1 - 2.0**-30, -1.0) if fused else x * (1 - 2.0**-30) - 1.0
        np.testing.assert_array_equal(got, want)
    assert K.fma64(1 + 2.0**-30, 1 - 2.0**-30, -1.0) != (1 + 2.0**-30) * (1 - 2.0**-30) - 1.0
