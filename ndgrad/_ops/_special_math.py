"""NumPy kernels torch computes its own way (so edge values match torch, not SciPy or NumPy): the
Hurwitz zeta function, trigamma and polygamma (float64 arithmetic, vectorized with per-element
masks), and complex log2/log10 as torch's vector and scalar kernels divide."""
from __future__ import annotations

import math

import numpy as np

from .._random_kernels import CPU_CAPABILITY

_MACHEP = 1.11022302462515654042e-16
# Euler-Maclaurin coefficients (2k)! / B_2k of the zeta tail
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)


def _negative_terms(x: np.ndarray, q: np.ndarray) -> tuple:
    """Σ_{j=1..J} (q + j)^-x over the J terms with q + j < 0 (q far below 0, x an integer), as
    (-1)^x (ζ(x, f) - ζ(x, f + J)) with f = -(q + J) in (0, 1]; the sum the direct loop would
    take millions of steps for. Returns the sum and the last a = q + J."""
    J = np.ceil(-q) - 1
    f = -(q + J)
    sign = np.where(np.fmod(x, 2) == 0, 1.0, -1.0)
    # the 64 largest terms directly; the rest as a difference of zetas unless it cannot matter
    # (huge x makes those terms 0 and the zetas' own tails overflow)
    head = np.sum(np.power(f[:, None] + np.arange(64.0), -x[:, None]), axis=1)
    rest = np.power(f + 64.0, -x)
    negligible = ~(rest > _MACHEP * head)
    with np.errstate(all="ignore"):
        tail = np.where(negligible, 0.0, zeta(x, f + 64.0) - zeta(x, f + J))
    return sign * (head + tail), q + J


def zeta(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The Hurwitz zeta function Σ_k (k + q)^-x, float64, broadcast; torch's edge values (inf at
    x == 1 and at non-positive integer q, nan for x < 1)."""
    x, q = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(q, np.float64))
    out = np.full(x.shape, np.nan)
    with np.errstate(all="ignore"):
        # torch's order of cases: x == 1, x < 1, then a non-positive q (nan x falls through)
        pole = x == 1
        out[pole] = np.inf
        rest = ~pole & ~(x < 1)
        pole_q = rest & (q <= 0) & (q == np.floor(q))
        out[pole_q] = np.inf
        work = rest & ~pole_q & ~((q <= 0) & (x != np.floor(x)))
        xs, qs = x[work], q[work]
        s = np.power(qs, -xs)
        a = qs.copy()
        b = np.zeros_like(s)
        done = np.zeros(s.shape, bool)
        far = (qs < -64) & (np.abs(qs) < 2.0 ** 52)  # the terms below 0 summed at once
        if far.any():
            extra, a[far] = _negative_terms(xs[far], qs[far])
            s[far] += extra
            b[far] = np.power(a[far], -xs[far])
        i = 0
        while True:  # direct sum until the terms vanish (at least 9 terms, and past q = 9)
            live = ~done & ((i < 9) | (a <= 9.0))
            if not live.any():
                break
            i += 1
            a[live] += 1.0
            b[live] = np.power(a[live], -xs[live])
            s[live] += b[live]
            done |= live & (-_MACHEP * s < b) & (b < _MACHEP * s)
        w = a
        tail = ~done
        s[tail] += b[tail] * w[tail] / (xs[tail] - 1.0) - 0.5 * b[tail]
        fa = np.ones_like(s)
        k = np.zeros_like(s)
        for coef in _ZETA_A:  # the Euler-Maclaurin correction terms
            live = tail.copy()
            fa[live] *= xs[live] + k[live]
            b[live] /= w[live]
            t = fa[live] * b[live] / coef
            s[live] += t
            tail[live] = ~(np.abs(t / s[live]) < _MACHEP)  # nan keeps going, as torch
            k[live] += 1.0
            fa[live] *= xs[live] + k[live]
            b[live] /= w[live]
            k[live] += 1.0
        out[work] = s
    return out


def trigamma(x: np.ndarray) -> np.ndarray:
    """ψ'(x) as torch computes it, step for step in x's dtype (half in float): reflection below
    1/2, six recurrence steps, then the asymptotic series. At poles and huge negative x this
    gives torch's finite values (sin(pi x) rounds off zero) and NaN at -inf."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return trigamma(x.astype(np.float32)).astype(np.float16)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    one, pi = x.dtype.type(1), x.dtype.type(math.pi)
    with np.errstate(all="ignore"):
        reflect = x < 0.5
        sin_pi_x = np.sin(pi * x)
        result = np.where(reflect, -(pi * pi) / (sin_pi_x * sin_pi_x), 0).astype(x.dtype)
        x = np.where(reflect, one - x, x)
        for _ in range(6):
            result += one / (x * x)
            x = x + one
        ixx = one / (x * x)
        series = ixx * (one / 6 - ixx * (one / 30 - ixx * (one / 42)))
        result += (one + one / (2 * x) + series) / x
    return np.where(reflect, -result, result)


def polygamma(n: int, x: np.ndarray, digamma: np.ndarray | None = None) -> np.ndarray:
    """ψ^(n)(x) for n >= 1 as torch computes it: trigamma, else (-1)^(n+1) n! ζ(n + 1, x)."""
    if n == 1:
        return trigamma(x)
    factor = (1.0 if n % 2 else -1.0) * math.exp(math.lgamma(n + 1.0))
    return factor * zeta(np.float64(n + 1), x)


def complex_log2(z: np.ndarray) -> np.ndarray:
    """torch's log2 of a complex array, for the CPU capability its kernels were chosen for."""
    if CPU_CAPABILITY == "default":
        return _complex_log2_scalar(z)
    return complex_log_base(z, 2.0)


def _complex_log2_scalar(z: np.ndarray) -> np.ndarray:
    """torch's log2 without vector kernels (ATEN_CPU_CAPABILITY=default): log(z) divided by the
    complex number (log 2, 0) with c10::complex's division, which multiplies by 1 / log 2 and
    makes the imaginary part of log2(0) NaN (the vector kernels divide each part: 0)."""
    out = np.asarray(np.log(z))
    a, b = out.real.copy(), out.imag.copy()
    zero = a.dtype.type(0)
    scale = a.dtype.type(1) / (a.dtype.type(math.log(2.0)) + zero * zero)
    with np.errstate(invalid="ignore"):
        out.real = (a + b * zero) * scale
        out.imag = (b - a * zero) * scale
    return out


def complex_log_base(z: np.ndarray, base: float) -> np.ndarray:
    """log(z) / log(base) with each part divided by the real log(base), as torch's complex
    kernel does (NumPy's complex division by it differs at infinities and in the last bit)."""
    out = np.asarray(np.log(z))  # 0-d: an array, not a read-only NumPy scalar
    scale = out.real.dtype.type(math.log(base))
    out.real /= scale
    out.imag /= scale
    return out
