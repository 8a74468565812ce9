"""Bit-exact NumPy re-implementation of PyTorch's CPU random streams (mt19937 engine + ATen CPU samplers).

Verified against torch 2.13 (CPU build); the few CPU-capability-dependent paths are described at CPU_CAPABILITY."""
from __future__ import annotations

import math
import os
from typing import Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "CPU_CAPABILITY"]

DEFAULT_SEED = 67280421310721          # c10's default_rng_seed_val
_U64 = (1 << 64) - 1
_N = 624                                # MERSENNE_STATE_N
Shape = Sequence[int]


def _cpu_capability() -> str:
    """ATen's kernel dispatch level ("default" / "avx2" / "avx512"), ATEN_CPU_CAPABILITY may lower it."""
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as fh:
            flags = set(next((ln for ln in fh if ln.startswith("flags")), ":").split(":", 1)[1].split())
    except OSError:
        pass
    order = ["default", "avx2", "avx512"]
    cap = 2 if {"avx512vl", "avx512bw", "avx512dq", "fma"} <= flags else 1 if {"avx2", "fma"} <= flags else 0
    env = os.environ.get("ATEN_CPU_CAPABILITY", "").lower()
    return order[min(cap, order.index(env))] if env in order else order[cap]


# CPU_CAPABILITY decides (a) whether gcc contracted `a*b+c` to an FMA in ATen's samplers (avx2/avx512: yes, default:
# no; emulated exactly either way) and (b) torch.randn's kernel for float32 tensors of >= 16 elements: avx2 uses
# avx_mathfun.h polynomials (emulated bit for bit); default (glibc logf/cosf/sinf) and avx512 (vectorised log/sincos)
# are approximated by float64 NumPy rounded to float32 (mostly bitwise, a few ulp at worst). All else is bitwise.
CPU_CAPABILITY = _cpu_capability()


def _numpy_is_libm() -> bool:
    """torch calls glibc's double log/log1p/sin/cos; NumPy may use its own SIMD versions (e.g. on AVX512)."""
    x = np.random.default_rng(1).random(1024)
    return all(np.array_equal(f(v), np.array([g(t) for t in v.tolist()])) for f, g, v in (
        (np.log, math.log, 1.0 - x), (np.log1p, math.log1p, -x), (np.sin, math.sin, 7 * x), (np.cos, math.cos, 7 * x)))


_NUMPY_IS_LIBM = _numpy_is_libm()


def _libm(name: str, x: np.ndarray) -> np.ndarray:
    """glibc's result for math.<name> on float64 x (vectorised NumPy when it agrees with glibc)."""
    if _NUMPY_IS_LIBM:
        return getattr(np, name)(x)
    return np.frompyfunc(getattr(math, name), 1, 1)(x).astype(np.float64)


# byte layout of torch's CPUGeneratorImplState (what torch.get_rng_state() returns), 5056 bytes
_STATE = np.dtype({"names": ["seed", "left", "seeded", "next", "state", "normal_y", "normal_valid",
                             "next_float", "float_valid"],
                   "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", _N), "<f8", "<i4", "<f4", "u1"],
                   "offsets": [0, 8, 12, 16, 24, 5024, 5040, 5048, 5052], "itemsize": 5056})


# ---------------------------------------------------------------- exact fused multiply-add (vectorised)
def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = a + b
    return s, (a - (s - (s - a))) + (b - (s - a))


def _add_round_odd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b rounded to odd (sticky last bit), so that a second rounding to a narrower format is exact."""
    s, e = _two_sum(a, b)
    fix = (e != 0) & ((s.view(np.int64) & 1) == 0) & np.isfinite(s)
    return np.where(fix, np.nextafter(s, np.where(e > 0, np.inf, -np.inf)), s)


def _fma64(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> np.ndarray:
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p = a * b
    sp = 134217729.0                                   # Veltkamp split -> exact product p + pe
    ta = sp * a; ah = ta - (ta - a); al = a - ah
    tb = sp * b; bh = tb - (tb - b); bl = b - bh
    pe = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    s, se = _two_sum(c, p)
    out = s + _add_round_odd(se, pe)
    return np.where(np.isfinite(out), out, a * b + c)


def _fma32(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> np.ndarray:
    # a*b is exact in float64; rounding p + c twice errs only on a float32 tie: redo those with round-to-odd
    p, c = np.broadcast_arrays(np.asarray(a, np.float64) * np.asarray(b, np.float64), np.asarray(c, np.float64))
    s = np.asarray(p + c)
    out = np.array(s, np.float32)
    tie = (s.view(np.int64) & 0x1FFFFFFF) == 0x10000000
    if tie.any():
        out[tie] = _add_round_odd(p[tie], c[tie]).astype(np.float32)
    return out


def _madd(x: np.ndarray, a: float, b: float, dt: np.dtype) -> np.ndarray:
    """x*a + b as compiled in ATen: contracted to an FMA in the avx2/avx512 kernels, plain in 'default'."""
    if CPU_CAPABILITY == "default":
        return (x * dt.type(a) + dt.type(b)).astype(dt)
    return _fma64(x, a, b) if dt == np.float64 else _fma32(x, dt.type(a), dt.type(b))


# ---------------------------------------------------------------- avx_mathfun.h (log256_ps / sincos256_ps)
# Emulated in float32 with exactly the FMA contractions gcc emitted for torch's AVX2 NormalFill16<float>.
_LOGP = [7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
         -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1]
_f = np.float32


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
        y = _fma32(y, x, _f(p))
    y = _fma32(y * x, z, e * _f(-2.12194440e-4))
    x = x + (y - z * _f(0.5))
    return np.where(invalid, _f(np.nan), _fma32(e, _f(0.693359375), x))


def _sincos256(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    neg_sin = np.signbit(x)
    x = np.abs(x)
    j = ((x * _f(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = j.astype(np.float32)
    neg_sin ^= (j & 4) != 0
    poly = (j & 2) == 0
    neg_cos = (~(j - 2) & 4) != 0
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = _fma32(y, _f(dp), x)
    z = x * x
    yc = _fma32(np.full_like(x, _f(2.443315711809948E-005)), z, _f(-1.388731625493765E-003))
    yc = _fma32(yc, z, _f(4.166664568298827E-002)) * z
    yc = _fma32(yc, z, -(z * _f(0.5))) + _f(1)
    ys = _fma32(np.full_like(x, _f(-1.9515295891E-4)), z, _f(8.3321608736E-3))
    ys = _fma32(x, _fma32(ys, z, _f(-1.6666654611E-1)) * z, x)
    s, c = np.where(poly, ys, yc), np.where(poly, yc, ys)
    return np.where(neg_sin, -s, s), np.where(neg_cos, -c, c)


def _box_muller16(d: np.ndarray, mean: float, std: float) -> np.ndarray:
    """ATen NormalFill16 on rows of 16 uniforms: (1-u[:8]) -> radius, u[8:] -> angle."""
    if d.dtype == np.float64:
        rad = np.sqrt(-2.0 * _libm("log", 1.0 - d[:, :8]))
        th = (2.0 * math.pi) * d[:, 8:]
        return np.concatenate([_fma64(rad * _libm("cos", th), std, mean),
                               _fma64(rad * _libm("sin", th), std, mean)], 1)
    u1 = _f(1) - d[:, :8]
    if CPU_CAPABILITY == "avx2":
        rad = np.sqrt(_f(-2) * _log256(u1))
        s, c = _sincos256(_f(2.0 * math.pi) * d[:, 8:])
    else:   # approximation (see CPU_CAPABILITY); the angle is a float32 product only in the vector kernel
        rad = np.sqrt(_f(-2) * np.log(u1.astype(np.float64)).astype(np.float32))
        th = (_f(2.0 * math.pi) * d[:, 8:] if CPU_CAPABILITY == "avx512" else
              ((2.0 * math.pi) * d[:, 8:].astype(np.float64)).astype(np.float32)).astype(np.float64)
        s, c = np.sin(th).astype(np.float32), np.cos(th).astype(np.float32)
    return np.concatenate([_fma32(rad * c, _f(std), _f(mean)), _fma32(rad * s, _f(std), _f(mean))], 1)


# ---------------------------------------------------------------- randperm helpers
def _small_perm(n: int, w: np.ndarray) -> np.ndarray:
    """Result of `for i in range(n-1): swap(r[i], r[w[i]])` (w[i] >= i) on r = arange(n), without a Python loop.

    r[i] is the value at position w[i] just before step i; tracing that backwards only ever needs "the last
    earlier step with the same target" (prev) and "the last step targeting position k" (last)."""
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


def _inside_out_perm(z: np.ndarray) -> np.ndarray:
    """Result of `for i in range(n): r[i] = r[z[i]]; r[z[i]] = i` (z[i] <= i). Those swaps run backwards are the
    inverse permutation, and in reversed coordinates they are a forward shuffle, which _small_perm resolves."""
    n = len(z)
    inv = (n - 1 - _small_perm(n, (n - 1 - z[::-1])[:-1]))[::-1]
    out = np.empty(n, np.int64)
    out[inv] = np.arange(n)
    return out


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise TypeError(f"expected float32 or float64, got {dt}")
    return dt


class Generator:
    """torch.Generator(device='cpu'): mt19937 state plus the cached Box-Muller sample."""

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"only cpu generators are supported, got {device!r}")
        self.device = "cpu"
        self._bg = np.random.MT19937(0)
        self.manual_seed(DEFAULT_SEED)

    # ------------------------------------------------------------ seeding and state
    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise RuntimeError("Overflow when unpacking long long")
        self._seed = seed & _U64                       # torch keeps the 64-bit value ...
        self._bg._legacy_seeding(self._seed & 0xFFFFFFFF)   # ... but mt19937 only sees its low 32 bits
        self._fresh = True                             # torch's (left=1, next=0) just-seeded state
        self._next_double: Optional[float] = None
        self._next_float: Optional[float] = None
        return self

    def seed(self) -> int:
        """Re-seed from OS entropy (64 bits, like torch) and return the seed."""
        return self.manual_seed(int.from_bytes(os.urandom(8), "little"))._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> np.ndarray:
        st = np.zeros((), _STATE)
        pos = int(self._bg.state["state"]["pos"])
        st["seed"], st["seeded"] = self._seed, 1
        st["left"], st["next"] = (1, 0) if self._fresh else (_N + 1 - pos, pos)
        st["state"] = self._bg.state["state"]["key"]
        if self._next_double is not None:
            st["normal_y"], st["normal_valid"] = self._next_double, 1
        if self._next_float is not None:
            st["next_float"], st["float_valid"] = self._next_float, 1
        from ._tensor import Tensor

        return Tensor._make(st.reshape(1).view(np.uint8).copy())  # a ByteTensor, as torch

    def set_state(self, state: np.ndarray) -> "Generator":
        state = getattr(state, "_data", state)
        raw = np.ascontiguousarray(np.asarray(state), dtype=np.uint8).reshape(-1)
        if raw.size != _STATE.itemsize:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size 5056 but found {raw.size} bytes")
        st = raw.view(_STATE)[0]
        left, nxt = int(st["left"]), int(st["next"])
        if not (st["seeded"] and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": st["state"].astype(np.uint32),
                                                                "pos": _N if left == 1 else _N + 1 - left}}
        self._seed, self._fresh = int(st["seed"]), (left == 1 and nxt == 0)
        self._next_double = float(st["normal_y"]) if st["normal_valid"] else None
        self._next_float = float(st["next_float"]) if st["float_valid"] else None
        return self

    # ------------------------------------------------------------ raw engine draws
    def _raw(self, n: int) -> np.ndarray:
        """n consecutive 32-bit mt19937 outputs (CPUGeneratorImpl::random), as uint64."""
        if n <= 0:
            return np.zeros(0, np.uint64)
        self._fresh = False
        return self._bg.random_raw(n)

    def _raw64(self, n: int) -> np.ndarray:
        """CPUGeneratorImpl::random64: (first draw << 32) | second draw."""
        r = self._raw(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    def _unit(self, n: int, dt: np.dtype) -> np.ndarray:
        """uniform_real_distribution<T>(0, 1): 24 bits of random() (float) / 53 bits of random64() (double)."""
        if dt == np.float64:
            return (self._raw64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53
        return (self._raw(n) & np.uint64((1 << 24) - 1)).astype(np.float32) * _f(2.0 ** -24)

    # ------------------------------------------------------------ distributions
    def uniform(self, shape: Shape, dtype: DTypeLike, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        dt, shape = _float_dtype(dtype), tuple(shape)
        if not low <= high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={low} > to={high}")
        x = self._unit(math.prod(shape), dt)
        if (low, high) != (0.0, 1.0):
            lo, hi = dt.type(low), dt.type(high)
            x = _madd(x, hi - lo, lo, dt)
            x[x == hi] = lo                                # torch clamps a result rounded up to `to`
        return x.reshape(shape)

    def normal(self, shape: Shape, dtype: DTypeLike, mean: float = 0.0, std: float = 1.0,
               contiguous: bool = True) -> np.ndarray:
        """torch.randn / Tensor.normal_ / torch.normal(float, float, size). `contiguous=False` selects torch's
        per-element path used for non-contiguous tensors (values are then in the tensor's iteration order)."""
        dt, shape = _float_dtype(dtype), tuple(shape)
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        n = math.prod(shape)
        if n >= 16 and contiguous:                      # normal_fill: n uniforms, +16 for a ragged tail
            data, full = self._unit(n, dt), n - n % 16
            tail = self._unit(16, dt) if n % 16 else None
            data[:full] = _box_muller16(data[:full].reshape(-1, 16), mean, std).reshape(-1)
            if tail is not None:
                data[n - 16:] = _box_muller16(tail[None], mean, std)[0]
            return data.reshape(shape)
        # at::normal_distribution<double>: one pair per two samples, the sine half cached in the generator
        head = []
        if n and self._next_double is not None:
            head, self._next_double = [self._next_double], None
        m = n - len(head)
        u = self._unit(2 * ((m + 1) // 2), np.float64)
        r = np.sqrt(-2.0 * _libm("log1p", -u[1::2]))
        th = (2.0 * math.pi) * u[0::2]
        z = np.stack([r * _libm("cos", th), r * _libm("sin", th)], 1).reshape(-1)
        if m % 2:
            self._next_double, z = float(z[-1]), z[:-1]
        vals = np.concatenate([np.asarray(head, np.float64), z])
        return _madd(vals, std, mean, np.dtype(np.float64)).astype(dt).reshape(shape)

    def normal_tensor(self, mean: Union[np.ndarray, float], std: Union[np.ndarray, float],
                      dtype: DTypeLike) -> np.ndarray:
        """torch.normal with tensor mean and/or std. Pass Python floats for scalar arguments: torch computes
        normal(Tensor, float) as normal_(0, std) + mean but normal(float, Tensor) as normal_(0, 1) * std + mean."""
        dt = _float_dtype(dtype)
        if isinstance(std, np.ndarray):
            if np.any(std < 0):
                raise RuntimeError("normal expects all elements of std >= 0.0")
            out = self.normal(np.broadcast_shapes(np.shape(mean), std.shape), dt) * std.astype(dt)
        else:
            out = self.normal(np.shape(mean), dt, 0.0, float(std))
        return (out + np.asarray(mean).astype(dt)).astype(dt)

    def randint(self, low: int, high: int, shape: Shape, dtype: DTypeLike = np.int64) -> np.ndarray:
        """torch.randint / Tensor.random_(low, high): (draw % range) + low, 64-bit draws once range >= 2**28."""
        shape, low, high, dt = tuple(shape), int(low), int(high), np.dtype(dtype)
        if dt.kind == "f":              # torch moves bounds the float dtype cannot represent inwards
            up, down, mant = int(dt.type(low + 1)), int(dt.type(high - 1)), np.finfo(dt).nmant
            low = low if up >= low else up + (1 << (abs(low + 1).bit_length() - 1 - mant))
            high = high if down < high else down - (1 << (abs(high - 1).bit_length() - 1 - mant))
        rng = high - low
        if rng <= 0:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        n = math.prod(shape)
        v = self._raw64(n) if rng >= 1 << 28 else self._raw(n)
        v = (v % np.uint64(rng & _U64)) + np.uint64(low & _U64)
        return v.view(np.int64).astype(dt).reshape(shape)

    def random(self, shape: Shape, dtype: DTypeLike) -> np.ndarray:
        """Tensor.random_() without bounds: [0, 2**mantissa] for floats, [0, max] for integers."""
        dt, shape = np.dtype(dtype), tuple(shape)
        v = self._raw64(math.prod(shape)) if dt in (np.float64, np.int64) else self._raw(math.prod(shape))
        if dt == np.bool_:
            return (v & np.uint64(1)).astype(bool).reshape(shape)
        mod = (1 << np.finfo(dt).nmant + 1) + 1 if dt.kind == "f" else int(np.iinfo(dt).max) + 1
        return (v % np.uint64(mod)).astype(dt).reshape(shape)

    def randperm(self, n: int, dtype: DTypeLike = np.int64) -> np.ndarray:
        n = int(n)
        if n < 0:
            raise RuntimeError(f"n must be non-negative, got {n}")
        if n < 0xFFFFFFFF // 20:                         # Fisher-Yates: swap(r[i], r[i + random() % (n-i)])
            i = np.arange(max(n - 1, 0), dtype=np.int64)
            perm = _small_perm(n, i + (self._raw(n - 1) % (n - i).astype(np.uint64)).astype(np.int64))
        else:                                            # inside-out: swap(r[i], r[random64() % (i+1)])
            perm = _inside_out_perm((self._raw64(n) % np.arange(1, n + 1, dtype=np.uint64)).astype(np.int64))
        return perm.astype(dtype)

    def bernoulli(self, p: Union[np.ndarray, float], shape: Shape, dtype: DTypeLike) -> np.ndarray:
        """Array p (torch.bernoulli(p) / Tensor.bernoulli_(p_tensor), broadcast to shape): float64 p compares a
        53-bit uniform, other p dtypes a 24-bit float uniform. Python float p (Tensor.bernoulli_(p)): 53-bit."""
        shape = tuple(shape)
        n = math.prod(shape)        # one draw per element (two for 53-bit uniforms), in C order
        if isinstance(p, np.ndarray):
            pb = np.broadcast_to(p, shape).reshape(-1)
            wide = pb.dtype == np.float64
            res = self._unit(n, np.dtype(np.float64 if wide else np.float32)) < (pb if wide else pb.astype(_f))
        else:
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
            res = self._unit(n, np.dtype(np.float64)) < float(p)
        return res.astype(dtype).reshape(shape)

    def dropout_mask(self, shape: Shape, dtype: DTypeLike, p: float) -> np.ndarray:
        """The 0/1 mask of F.dropout(x, p, training=True) on CPU: `empty_like(x).bernoulli_(1 - p)`; torch draws
        nothing when p == 0, p == 1 or x is empty. Output is then x * (mask / (1 - p)), computed in x's dtype."""
        shape = tuple(shape)
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if p == 0 or p == 1 or math.prod(shape) == 0:
            return np.full(shape, 1 - p, dtype=dtype)
        return self.bernoulli(1.0 - p, shape, dtype)

    def exponential(self, shape: Shape, dtype: DTypeLike, lambd: float = 1.0) -> np.ndarray:
        """Tensor.exponential_: -1/lambda * log1p(-u) in double on a 53-bit uniform."""
        dt, shape = _float_dtype(dtype), tuple(shape)
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        u = self._unit(math.prod(shape), np.dtype(np.float64))
        return ((-1.0 / lambd) * _libm("log1p", -u)).astype(dt).reshape(shape)

    def multinomial(self, probs: np.ndarray, num_samples: int, replacement: bool = False) -> np.ndarray:
        """torch.multinomial (1-D or 2-D probs). Without replacement, or for a single sample, torch uses
        argmax/topk(p / Exp(1)); when zero-probability categories have to be returned their order follows
        topk's internal tie-breaking, which is not reproduced here (this returns them by ascending index)."""
        P = np.asarray(probs)
        dt = _float_dtype(P.dtype)
        if P.ndim not in (1, 2):
            raise RuntimeError("prob_dist must be 1 or 2 dim")
        k, rows = int(num_samples), P.reshape(-1, P.shape[-1])
        if k <= 0 or (not replacement and k > P.shape[-1]):
            raise RuntimeError(f"cannot sample n_sample={k} samples from {P.shape[-1]} categories "
                               f"({'with' if replacement else 'without'} replacement)")
        if not np.all(np.isfinite(P)) or np.any(P < 0) or np.any(rows.sum(-1) == 0):
            raise RuntimeError("invalid multinomial distribution (inf, nan, p < 0 or sum of probabilities <= 0)")
        if not replacement or k == 1:
            q = (rows / self.exponential(rows.shape, dt)).astype(dt)
            idx = np.argmax(q, -1)[:, None] if k == 1 else np.argsort(-q, -1, kind="stable")[:, :k]
            return idx.astype(np.int64).reshape(P.shape[:-1] + (k,))
        u = self._unit(rows.shape[0] * k, np.dtype(np.float64)).reshape(-1, k)
        cum = np.cumsum(rows, -1, dtype=dt)             # sequential float accumulation, as in the kernel
        cum = (cum / cum[:, -1:]).astype(np.float64)
        cum[:, -1] = 1.0
        out = np.array([np.searchsorted(c, ur, side="left") for c, ur in zip(cum, u)], np.int64)
        return out.reshape(P.shape[:-1] + (k,))


default_generator = Generator()

# torch.manual_seed / seed / initial_seed / get_rng_state / set_rng_state act on the default generator
manual_seed = default_generator.manual_seed
seed = default_generator.seed
initial_seed = default_generator.initial_seed
get_rng_state = default_generator.get_state


def set_rng_state(state: np.ndarray) -> None:
    default_generator.set_state(state)
