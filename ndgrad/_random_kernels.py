"""The arithmetic of ATen's CPU sampling kernels in NumPy, and the CPU facts that select it: the
dispatch level torch picks (ATEN_CPU_CAPABILITY), fused multiply-add, and the C library's libm."""
from __future__ import annotations

import math
import os
import platform
import warnings
from typing import Optional

import numpy as np
from numpy.typing import ArrayLike

CAPABILITIES = ("default", "avx2", "avx512")
_X86 = {"x86_64", "amd64", "i386", "i686", "x86"}
_f = np.float32


# *** which kernel torch runs on this machine ***

def _cpu_flags() -> Optional[set]:
    """x86 feature flags as /proc/cpuinfo names them (the kernel lists only what the OS enables,
    as cpuinfo's checks do); elsewhere NumPy's own cpuid + xgetbv probe. None if unknown."""
    try:
        with open("/proc/cpuinfo") as fh:
            line = next((ln for ln in fh if ln.startswith("flags")), None)
        if line is not None:
            return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as feats
        except ImportError:
            return None
    names = {"AVX2": "avx2", "FMA3": "fma", "AVX512VL": "avx512vl", "AVX512BW": "avx512bw",
             "AVX512DQ": "avx512dq"}
    return {names[k] for k, on in feats.items() if on and k in names}


def detect_cpu_capability(env: Optional[str] = None, flags: Optional[set] = None,
                          machine: Optional[str] = None) -> str:
    """ATen's CPU dispatch level, decided as DispatchStub's compute_cpu_capability does.

    A valid ATEN_CPU_CAPABILITY ("default", "avx2", "avx512", exact spelling) wins, as in torch,
    whatever the CPU; an invalid one is ignored with torch's warning. Otherwise "avx512" needs
    AVX512 VL+BW+DQ and FMA, "avx2" needs AVX2 and FMA. Non-x86 machines run torch's "default"
    (generic C++) kernels, which is the answer there.

    Example::
        >>> detect_cpu_capability(env="avx2")
        'avx2'
    """
    machine = (platform.machine() if machine is None else machine).lower()
    x86 = machine in _X86
    if env is not None:
        if env in CAPABILITIES and (x86 or env == "default"):
            return env
        warnings.warn(f"ignoring invalid value for ATEN_CPU_CAPABILITY: {env}", UserWarning,
                      stacklevel=2)
    if not x86:
        return "default"
    flags = _cpu_flags() if flags is None else flags
    if flags is None:
        return "default"
    if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags:
        return "avx512"
    return "avx2" if {"avx2", "fma"} <= flags else "default"


CPU_CAPABILITY = detect_cpu_capability(os.environ.get("ATEN_CPU_CAPABILITY"))


def contracts_fma() -> bool:
    """Whether gcc fused `a*b + c` into one FMA in the kernels torch runs here: yes in the avx2 and
    avx512 builds (-mfma), no in x86's "default" build; ARM compilers fuse by default."""
    return CPU_CAPABILITY != "default" or platform.machine().lower() in ("aarch64", "arm64")


# glibc's float32 logf/sinf/cosf are emulated bit for bit below; another libm (macOS, musl) gets
# the correctly rounded value, within 1 ulp of it
LIBM_IS_GLIBC = platform.libc_ver()[0] == "glibc"


# *** exact fused multiply-add (vectorised) ***

def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = a + b
    return s, (a - (s - (s - a))) + (b - (s - a))


def _add_round_odd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b rounded to odd (sticky last bit): a second rounding to a narrower format is exact."""
    s, e = _two_sum(a, b)
    fix = (e != 0) & ((s.view(np.int64) & 1) == 0) & np.isfinite(s)
    return np.where(fix, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)


def fma64(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> np.ndarray:
    """a*b + c in float64 with a single rounding (C's fma)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p = a * b
    sp = 134217729.0                                   # Veltkamp split -> exact product p + pe
    ta = sp * a; ah = ta - (ta - a); al = a - ah
    tb = sp * b; bh = tb - (tb - b); bl = b - bh
    pe = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s, se = _two_sum(c, p)
    out = s + _add_round_odd(se, pe)
    return np.where(np.isfinite(out), out, a * b + c)


def fma32(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> np.ndarray:
    """a*b + c in float32 with a single rounding (C's fmaf)."""
    # a*b is exact in float64; rounding p + c twice errs only on a float32 tie: redo those with
    # round-to-odd
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    p, c = np.broadcast_arrays(p, np.asarray(c, np.float64))
    s = np.asarray(p + c)
    out = np.array(s, np.float32)
    tie = (s.view(np.int64) & 0x1FFFFFFF) == 0x10000000
    if tie.any():
        out[tie] = _add_round_odd(p[tie], c[tie]).astype(np.float32)
    return out


def madd(x: np.ndarray, a: float, b: float, dt: np.dtype) -> np.ndarray:
    """x*a + b in dt as compiled in ATen's samplers (fused or not, see contracts_fma)."""
    if not contracts_fma():
        return (x * dt.type(a) + dt.type(b)).astype(dt)
    return fma64(x, a, b) if dt == np.float64 else fma32(x, dt.type(a), dt.type(b))


# *** the C library's double functions (what torch's kernels call) ***

_DOMAINS = {"log": (1e-9, 1.0), "log1p": (-1.0 + 1e-9, 0.0), "sin": (0.0, 7.0),
            "cos": (0.0, 7.0), "exp": (-8.0, 8.0), "tan": (-1.57, 1.57)}
_NUMPY_AGREES: dict = {}


def _numpy_agrees(name: str) -> bool:
    """Does np.<name> return libm's bits? (NumPy has its own SIMD loops on some CPUs)"""
    if name not in _NUMPY_AGREES:
        lo, hi = _DOMAINS[name]
        x = lo + (hi - lo) * np.random.default_rng(1).random(2048)
        ref = np.array([getattr(math, name)(t) for t in x.tolist()])
        _NUMPY_AGREES[name] = bool(np.array_equal(getattr(np, name)(x), ref))
    return _NUMPY_AGREES[name]


def libm(name: str, x: np.ndarray) -> np.ndarray:
    """The C library's double <name>(x), elementwise (vectorised NumPy where it agrees)."""
    if _numpy_agrees(name):
        return getattr(np, name)(x)
    return np.frompyfunc(getattr(math, name), 1, 1)(x).astype(np.float64)


# *** glibc's float32 logf, sinf, cosf (the "default" kernel's std::log/cos/sin on float) ***
# The same algorithm (in double, then rounded) as glibc >= 2.28; checked against glibc on every
# input torch can pass here (all 2**24 values of 1 - u and of float(2*pi*u)), with and without FMA.

def _hexes(text: str) -> np.ndarray:
    return np.array([float.fromhex(s) for s in text.split()])


_LOGF_INVC = _hexes("""0x1.661ec79f8f3bep+0 0x1.571ed4aaf883dp+0 0x1.49539f0f010bp+0
    0x1.3c995b0b80385p+0 0x1.30d190c8864a5p+0 0x1.25e227b0b8eap+0 0x1.1bb4a4a1a343fp+0
    0x1.12358f08ae5bap+0 0x1.0953f419900a7p+0 0x1p+0 0x1.e608cfd9a47acp-1 0x1.ca4b31f026aap-1
    0x1.b2036576afce6p-1 0x1.9c2d163a1aa2dp-1 0x1.886e6037841edp-1 0x1.767dcf5534862p-1""")
_LOGF_LOGC = _hexes("""-0x1.57bf7808caadep-2 -0x1.2bef0a7c06ddbp-2 -0x1.01eae7f513a67p-2
    -0x1.b31d8a68224e9p-3 -0x1.6574f0ac07758p-3 -0x1.1aa2bc79c81p-3 -0x1.a4e76ce8c0e5ep-4
    -0x1.1973c5a611cccp-4 -0x1.252f438e10c1ep-5 0x0p+0 0x1.aa5aa5df25984p-5 0x1.c5e53aa362eb4p-4
    0x1.526e57720db08p-3 0x1.bc2860d22477p-3 0x1.1058bc8a07ee1p-2 0x1.4043057b6ee09p-2""")
_LOGF_POLY = _hexes("-0x1.00ea348b88334p-2 0x1.5575b0be00b6ap-2 -0x1.ffffef20a4123p-2")
_LN2 = float.fromhex("0x1.62e42fefa39efp-1")


def _glibc_logf(x: np.ndarray) -> np.ndarray:
    # x = 2^k z with z in [0x3f330000, 2 * 0x3f330000); log x = log1p(z/c - 1) + log c + k ln2
    ix = x.view(np.uint32).astype(np.int64)
    tmp = (ix - 0x3F330000) & 0xFFFFFFFF
    i = (tmp >> 19) & 15
    k = ((tmp ^ 0x80000000) - 0x80000000) >> 23
    z = (ix - (tmp & 0xFF800000)).astype(np.uint32).view(np.float32).astype(np.float64)
    r = z * _LOGF_INVC[i] - 1.0
    y0 = _LOGF_LOGC[i] + k * _LN2
    r2 = r * r
    a0, a1, a2 = _LOGF_POLY
    y = (a0 * r2 + (a1 * r + a2)) * r2 + (y0 + r)
    return np.where(ix == 0x3F800000, _f(0), y.astype(np.float32))


def logf(x: np.ndarray) -> np.ndarray:
    """The C library's logf on float32 x > 0 (normal numbers)."""
    x = np.asarray(x, np.float32)
    if LIBM_IS_GLIBC:
        return _glibc_logf(x)
    return np.log(x.astype(np.float64)).astype(np.float32)


_HPI_INV = float.fromhex("0x1.45F306DC9C883p+23")   # 2/pi * 2^24 (glibc's reduce_fast on x86)
_HPI = float.fromhex("0x1.921FB54442D18p0")
_COS = _hexes("0x1p0 -0x1.ffffffd0c621cp-2 0x1.55553e1068f19p-5 -0x1.6c087e89a359dp-10 "
              "0x1.99343027bf8c3p-16")
_SIN = _hexes("-0x1.555545995a603p-3 0x1.1107605230bc4p-7 -0x1.994eb3774cf24p-13")


def _sincos_poly(x: np.ndarray, x2: np.ndarray, negate_cos: np.ndarray) -> tuple:
    x3 = x * x2
    s = (x + x3 * _SIN[0]) + (x3 * x2) * (_SIN[1] + x2 * _SIN[2])
    c0, c1, c2, c3, c4 = (np.where(negate_cos, -v, v) for v in _COS)
    x4 = x2 * x2
    c = ((c0 + x2 * c1) + x4 * c2) + (x4 * x2) * (c3 + x2 * c4)
    return s, c


def _glibc_sincosf(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # |y| < 0.75: polynomials on y itself; below 120: y - n*pi/2 by one multiply-subtract, the
    # quadrant n picking polynomial and sign (glibc's sinf/cosf share this; y >= 0 here)
    top = (y.view(np.uint32) >> 20) & 0x7FF
    x = y.astype(np.float64)
    n = ((x * _HPI_INV).astype(np.int32) + 0x800000) >> 24
    xr = x - n * _HPI
    small = top < 0x3F4
    n = np.where(small, 0, n)
    sign = np.where(((n & 3) == 1) | ((n & 3) == 2), -1.0, 1.0)
    s, c = _sincos_poly(np.where(small, x, xr * sign), np.where(small, x * x, xr * xr),
                        (n & 2) != 0)
    odd = (n & 1) == 1
    sin, cos = np.where(odd, c, s).astype(np.float32), np.where(odd, s, c).astype(np.float32)
    tiny = top < 0x398                                          # |y| < 2**-12
    return np.where(tiny, y, sin), np.where(tiny, _f(1), cos)


def sincosf(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The C library's (sinf(y), cosf(y)) for float32 y in [0, 120)."""
    y = np.asarray(y, np.float32)
    if LIBM_IS_GLIBC:
        return _glibc_sincosf(y)
    y64 = y.astype(np.float64)
    return np.sin(y64).astype(np.float32), np.cos(y64).astype(np.float32)


# *** avx_mathfun.h (log256_ps / sincos256_ps): torch's AVX2 Box-Muller for float ***
# Emulated in float32 with exactly the FMA contractions gcc emitted for NormalFill16<float>.
_LOGP = [7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
         -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1]


def _log256(x: np.ndarray) -> np.ndarray:
    invalid = x <= 0
    bits = np.maximum(x, _f(1.17549435e-38)).view(np.int32)
    x = ((bits & ~0x7F800000) | 0x3F000000).view(np.float32)
    small = x < _f(0.707106781186547524)
    e = (((bits >> 23) - 0x7F).astype(np.float32) + _f(1)) - small.astype(np.float32)
    x = (x + _f(-1)) + np.where(small, x, _f(0))
    z = x * x
    y = np.full_like(x, _f(_LOGP[0]))
    for p in _LOGP[1:]:
        y = fma32(y, x, _f(p))
    y = fma32(y * x, z, e * _f(-2.12194440e-4))
    x = x + (y - z * _f(0.5))
    return np.where(invalid, _f(np.nan), fma32(e, _f(0.693359375), x))


def _sincos256(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    neg_sin = np.signbit(x)
    x = np.abs(x)
    j = ((x * _f(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = j.astype(np.float32)
    neg_sin ^= (j & 4) != 0
    poly = (j & 2) == 0
    neg_cos = (~(j - 2) & 4) != 0
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = fma32(y, _f(dp), x)
    z = x * x
    yc = fma32(np.full_like(x, _f(2.443315711809948E-005)), z, _f(-1.388731625493765E-003))
    yc = fma32(yc, z, _f(4.166664568298827E-002)) * z
    yc = fma32(yc, z, -(z * _f(0.5))) + _f(1)
    ys = fma32(np.full_like(x, _f(-1.9515295891E-4)), z, _f(8.3321608736E-3))
    ys = fma32(x, fma32(ys, z, _f(-1.6666654611E-1)) * z, x)
    s, c = np.where(poly, ys, yc), np.where(poly, yc, ys)
    return np.where(neg_sin, -s, s), np.where(neg_cos, -c, c)


# *** NormalFill16: Box-Muller on rows of 16 uniforms, (1-u[:8]) -> radius, u[8:] -> angle ***

def normal_fill16(d: np.ndarray, mean: float, std: float) -> np.ndarray:
    """torch.randn's kernel for contiguous tensors of >= 16 elements, on rows of 16 uniforms of
    the opmath dtype (float64, or float32 also for float16 tensors).

    float64 and the avx2/avx512 float32 kernel (avx_mathfun.h; torch registers no AVX512 normal
    kernel, so avx512 runs the AVX2 one) are emulated bit for bit; so is the "default" float32
    kernel (scalar std::log/cos/sin) where the C library is glibc, elsewhere it is within 1 ulp.
    """
    if d.dtype == np.float64:
        rad = np.sqrt(-2.0 * libm("log", 1.0 - d[:, :8]))
        th = (2.0 * math.pi) * d[:, 8:]
        return np.concatenate([fma64(rad * libm("cos", th), std, mean),
                               fma64(rad * libm("sin", th), std, mean)], 1)
    u1 = _f(1) - d[:, :8]
    if CPU_CAPABILITY == "default":     # the angle is a double product rounded to float
        rad = np.sqrt(_f(-2) * logf(u1))
        s, c = sincosf(((2.0 * math.pi) * d[:, 8:].astype(np.float64)).astype(np.float32))
    else:
        rad = np.sqrt(_f(-2) * _log256(u1))
        s, c = _sincos256(_f(2.0 * math.pi) * d[:, 8:])
    return np.concatenate([fma32(rad * c, _f(std), _f(mean)), fma32(rad * s, _f(std), _f(mean))], 1)


# *** randperm ***

def small_perm(n: int, w: np.ndarray) -> np.ndarray:
    """Result of `for i in range(n-1): swap(r[i], r[w[i]])` (w[i] >= i) on r = arange(n), without
    a Python loop.

    r[i] is the value at position w[i] just before step i; tracing that backwards only ever needs
    "the last earlier step with the same target" (prev) and "the last step targeting position k"
    (last)."""
    if n == 0:
        return np.zeros(0, np.int64)
    w = np.append(w.astype(np.int64), n - 1)
    order = np.argsort(w, kind="stable")
    ws = w[order]
    same, prev, last = ws[1:] == ws[:-1], np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    prev[order[1:][same]] = order[:-1][same]
    ends = np.append(~same, True)
    last[ws[ends]] = order[ends]
    step = np.where(w == np.arange(n), prev, last)
    out, cur = w.copy(), prev.copy()
    act = np.nonzero(cur >= 0)[0]
    while act.size:
        c = cur[act]
        done = (nxt := step[c]) < 0
        out[act[done]] = c[done]
        act = act[~done]
        cur[act] = nxt[~done]
    return out


def inside_out_perm(z: np.ndarray) -> np.ndarray:
    """Result of `for i in range(n): r[i] = r[z[i]]; r[z[i]] = i` (z[i] <= i). Those swaps run
    backwards are the inverse permutation, and in reversed coordinates they are a forward
    shuffle, which small_perm resolves."""
    n = len(z)
    inv = (n - 1 - small_perm(n, (n - 1 - z[::-1])[:-1]))[::-1]
    out = np.empty(n, np.int64)
    out[inv] = np.arange(n)
    return out
