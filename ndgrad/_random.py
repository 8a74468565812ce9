"""torch's CPU random streams in NumPy: the mt19937 engine and its state layout, and ATen's CPU
samplers on top of it (their arithmetic, which follows torch's CPU kernel choice, lives in
_random_kernels). Verified bit for bit against torch 2.13; see README "Random numbers"."""
from __future__ import annotations

import math
import os
from typing import Optional, Sequence, Union

import numpy as np
from numpy.typing import DTypeLike

from . import _random_kernels as K
from ._dtype import SCALAR_TYPE_NAMES
from ._random_kernels import CPU_CAPABILITY  # noqa: F401  (re-exported)
from ._tensor import Tensor

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "CPU_CAPABILITY"]

DEFAULT_SEED = 67280421310721          # c10's default_rng_seed_val
_U64 = (1 << 64) - 1
_N = 624                                # MERSENNE_STATE_N
Shape = Sequence[int]
_f = np.float32
_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)

# byte layout of torch's CPUGeneratorImplState (what torch.get_rng_state() returns), 5056 bytes
_STATE = np.dtype({"names": ["seed", "left", "seeded", "next", "state", "normal_y", "normal_valid",
                             "next_float", "float_valid"],
                   "formats": ["<u8", "<i4", "<i4", "<u8", ("<u8", _N), "<f8", "<i4", "<f4", "u1"],
                   "offsets": [0, 8, 12, 16, 24, 5024, 5040, 5048, 5052], "itemsize": 5056})

# torch's names for dtypes in messages: ScalarType (kernel dispatch) and C++ type (bounds checks)
_C_NAME = {"float16": "c10::Half", "float32": "float", "float64": "double", "int64": "long int",
           "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
           "bool": "bool"}


def _num(x: float) -> str:
    """A number as C++'s ostream prints a double (torch's messages)."""
    return format(x, "g")


def _not_implemented(kernel: str, dt: np.dtype) -> NotImplementedError:
    name = SCALAR_TYPE_NAMES.get(dt.name, dt.name)
    return NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


def _floating(dtype: DTypeLike, kernel: str) -> np.dtype:
    """dtype, which torch's sampler `kernel` must dispatch on (float16/32/64)."""
    dt = np.dtype(dtype)
    if dt not in (_F16, _F32, _F64):
        raise _not_implemented(kernel, dt)
    return dt


def _opmath(dt: np.dtype) -> np.dtype:
    """The dtype ATen samples in: double for double, float for float and half."""
    return _F64 if dt == _F64 else _F32


def _from_double(x: np.ndarray, dt: np.dtype) -> np.ndarray:
    """static_cast<scalar_t>(double): a half goes through float, as c10::Half(float) does."""
    return x.astype(_F32).astype(_F16) if dt == _F16 else x.astype(dt)


def _bounds(dt: np.dtype) -> tuple[float, float]:
    if dt.kind == "f":
        return float(np.finfo(dt).min), float(np.finfo(dt).max)
    if dt == np.bool_:
        return 0, 1
    return int(np.iinfo(dt).min), int(np.iinfo(dt).max)


def _check_in_range(value: float, what: str, dt: np.dtype) -> None:
    lo, hi = _bounds(dt)
    if not lo <= value <= hi:
        raise RuntimeError(f"{what} is out of bounds for {_C_NAME.get(dt.name, dt.name)}")


def _update_from(low: int, dt: np.dtype) -> int:
    """torch's update_from: a lower bound the float dtype rounds down moves one step up."""
    up = _as_int(dt.type(low + 1))
    if up >= low:
        return low
    return up + (1 << (abs(low + 1).bit_length() - 1 - np.finfo(dt).nmant))


def _update_to(high: int, dt: np.dtype) -> int:
    """torch's update_to: an upper bound the float dtype rounds up moves one step down."""
    down = _as_int(dt.type(high - 1))
    if down < high:
        return high
    return down - (1 << (abs(high - 1).bit_length() - 1 - np.finfo(dt).nmant))


def _as_int(x: np.floating) -> int:
    """static_cast<int64_t>(float) as x86 does it: out of range (or inf) gives INT64_MIN."""
    return int(x) if np.isfinite(x) and abs(float(x)) < 2.0 ** 63 else -(1 << 63)


class Generator:
    """torch.Generator(device='cpu'): mt19937 state plus the cached Box-Muller sample."""

    def __repr__(self) -> str:  # torch's class lives in torch._C
        return f"<ndgrad._C.Generator object at {id(self):#x}>"

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
        self._bg._legacy_seeding(self._seed & 0xFFFFFFFF)   # ... mt19937 sees its low 32 bits
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
        return Tensor._make(st.reshape(1).view(np.uint8).copy())  # a ByteTensor, as torch

    def set_state(self, state: np.ndarray) -> "Generator":
        state = getattr(state, "_data", state)
        raw = np.ascontiguousarray(np.asarray(state), dtype=np.uint8).reshape(-1)
        if raw.size != _STATE.itemsize:
            raise RuntimeError("Expected a CPUGeneratorImplState of size 5056 but found "
                               f"{raw.size} bytes")
        st = raw.view(_STATE)[0]
        left, nxt = int(st["left"]), int(st["next"])
        if not (st["seeded"] and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        pos = _N if left == 1 else _N + 1 - left
        self._bg.state = {"bit_generator": "MT19937",
                          "state": {"key": st["state"].astype(np.uint32), "pos": pos}}
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
        """uniform_real_distribution<T>(0, 1): 24 bits of random() (float) or 53 bits of
        random64() (double)."""
        if dt == np.float64:
            return (self._raw64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53
        return (self._raw(n) & np.uint64((1 << 24) - 1)).astype(np.float32) * _f(2.0 ** -24)

    # ------------------------------------------------------------ floating distributions
    def uniform(self, shape: Shape, dtype: DTypeLike, low: float = 0.0,
                high: float = 1.0) -> np.ndarray:
        """Tensor.uniform_(low, high) / torch.rand: x*(high-low) + low in the sampling dtype on a
        24-bit (float, half) or 53-bit (double) uniform; a result rounded up to high becomes low."""
        dt, shape = _floating(dtype, "check_uniform_bounds"), tuple(shape)
        low, high = float(low), float(high)
        _check_in_range(low, "from", dt)
        _check_in_range(high, "to", dt)
        if not low <= high:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                               f"from={_num(low)} > to={_num(high)}")
        if high - low > np.finfo(dt).max:
            raise RuntimeError(
                f"uniform_ expects to-from <= std::numeric_limits<{SCALAR_TYPE_NAMES[dt.name]}>::max(), "
                f"but found to={_num(high)} and from={_num(low)} which result in to-from to "
                "exceed the limit")
        op = _opmath(dt)
        lo, hi = op.type(low), op.type(high)
        x = K.madd(self._unit(math.prod(shape), op), hi - lo, lo, op).astype(dt)
        x[x == dt.type(high)] = dt.type(low)
        return x.reshape(shape)

    def normal(self, shape: Shape, dtype: DTypeLike, mean: float = 0.0, std: float = 1.0,
               contiguous: bool = True) -> np.ndarray:
        """torch.randn / Tensor.normal_ / torch.normal(float, float, size). A contiguous tensor of
        16 or more elements takes torch's Box-Muller fill (K.normal_fill16); others, and
        `contiguous=False`, the per-element sampler (values then in the tensor's memory order)."""
        mean, std = float(mean), float(std)
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_num(std)}")
        shape, n = tuple(shape), math.prod(shape)
        dt = _floating(dtype, "normal_kernel_cpu") if n else np.dtype(dtype)
        if n < 16 or not contiguous:
            return _from_double(self._normal_doubles(n, mean, std), dt).reshape(shape)
        # n uniforms (a half tensor: whole rows of 16 only), then 16 more for a ragged tail
        op, full = _opmath(dt), n - n % 16
        data = self._unit(n, op) if dt != _F16 else np.append(self._unit(full, op),
                                                              np.zeros(n - full, op))
        tail = self._unit(16, op) if n % 16 else None
        data[:full] = K.normal_fill16(data[:full].reshape(-1, 16), mean, std).reshape(-1)
        if tail is not None:
            data[n - 16:] = K.normal_fill16(tail[None], mean, std)[0]
        return data.astype(dt).reshape(shape)

    def _normal_doubles(self, n: int, mean: float, std: float) -> np.ndarray:
        """n draws of at::normal_distribution<double>: one Box-Muller pair per two samples, the
        sine half cached in the generator (shared with log_normal_)."""
        head = []
        if n and self._next_double is not None:
            head, self._next_double = [self._next_double], None
        m = n - len(head)
        u = self._unit(2 * ((m + 1) // 2), _F64)
        r = np.sqrt(-2.0 * K.libm("log1p", -u[1::2]))
        th = (2.0 * math.pi) * u[0::2]
        z = np.stack([r * K.libm("cos", th), r * K.libm("sin", th)], 1).reshape(-1)
        if m % 2:
            self._next_double, z = float(z[-1]), z[:-1]
        return K.madd(np.concatenate([np.asarray(head, np.float64), z]), std, mean, _F64)

    def normal_tensor(self, mean: Union[np.ndarray, float], std: Union[np.ndarray, float],
                      dtype: DTypeLike) -> np.ndarray:
        """torch.normal with tensor mean and/or std (dtype: mean's, else std's). Pass Python
        floats for scalar arguments: torch computes normal(Tensor, float) as
        normal_(0, std) + mean but normal(float, Tensor) as normal_(0, 1) * std + mean."""
        dt = _floating(dtype, "normal_kernel_cpu")
        if isinstance(std, np.ndarray):
            if np.any(~(std >= 0)):
                raise RuntimeError("normal expects all elements of std >= 0.0")
            out = self.normal(np.broadcast_shapes(np.shape(mean), std.shape), dt)
            prod = np.result_type(dt, std.dtype)   # out.mul_(std) computes in the common dtype
            out = (out.astype(prod) * std.astype(prod)).astype(dt)
        else:
            out = self.normal(np.shape(mean), dt, 0.0, float(std))
        return (out + np.asarray(mean).astype(dt)).astype(dt)

    def log_normal(self, shape: Shape, dtype: DTypeLike, mean: float = 1.0,
                   std: float = 2.0) -> np.ndarray:
        """Tensor.log_normal_: exp of at::normal_distribution<double>(mean, std)."""
        mean, std = float(mean), float(std)
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_num(std)}")
        shape, n = tuple(shape), math.prod(shape)
        dt = _floating(dtype, "log_normal_cpu") if n else np.dtype(dtype)
        return _from_double(K.libm("exp", self._normal_doubles(n, mean, std)), dt).reshape(shape)

    def cauchy(self, shape: Shape, dtype: DTypeLike, median: float = 0.0,
               sigma: float = 1.0) -> np.ndarray:
        """Tensor.cauchy_: median + sigma * tan(pi * (u - 1/2)) in double on a 53-bit uniform."""
        median, sigma = float(median), float(sigma)
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_num(sigma)}")
        dt = np.dtype(dtype)
        if dt not in (_F16, _F32, _F64):
            raise RuntimeError("Cauchy distribution is a continuous probability distribution. "
                               "dtype must be a floating point but you specified "
                               f"{_C_NAME[dt.name]}")
        u = self._unit(math.prod(shape), _F64)
        t = K.libm("tan", math.pi * (u - 0.5))
        return _from_double(K.madd(t, sigma, median, _F64), dt).reshape(tuple(shape))

    def exponential(self, shape: Shape, dtype: DTypeLike, lambd: float = 1.0) -> np.ndarray:
        """Tensor.exponential_: -1/lambda * log1p(-u) in double on a 53-bit uniform."""
        lambd = float(lambd)
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_num(lambd)}")
        shape, n, dt = tuple(shape), math.prod(shape), np.dtype(dtype)
        if n and dt not in (_F16, _F32, _F64):
            raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                               f"dtype must be a floating point but you specified "
                               f"{SCALAR_TYPE_NAMES[dt.name]}")
        u = self._unit(n, _F64)
        return _from_double((-1.0 / lambd) * K.libm("log1p", -u), dt).reshape(shape)

    def geometric(self, shape: Shape, dtype: DTypeLike, p: float) -> np.ndarray:
        """Tensor.geometric_: ceil(log(u) / log1p(-p)) in double on a 53-bit uniform (any dtype
        but bool)."""
        p = float(p)
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_num(p)}")
        shape, n, dt = tuple(shape), math.prod(shape), np.dtype(dtype)
        if n and dt == np.bool_:
            raise _not_implemented("geometric_cpu", dt)
        u = self._unit(n, _F64)
        log_u = np.where(u > 0, K.libm("log", np.where(u > 0, u, 1.0)), -np.inf)
        v = np.ceil(log_u / math.log1p(-p))
        if dt.kind == "f":
            return _from_double(v, dt).reshape(shape)
        # double -> integer as x86 converts: out of range gives INT64_MIN, then C's truncation
        v = np.where(np.abs(v) < 2.0 ** 63, v, -(2.0 ** 63)).astype(np.int64)
        return v.astype(dt).reshape(shape)

    # ------------------------------------------------------------ integers
    def randint(self, low: int, high: int, shape: Shape, dtype: DTypeLike = np.int64) -> np.ndarray:
        """torch.randint / Tensor.random_(low, high): (draw % range) + low, 64-bit draws once
        range >= 2**28."""
        shape, low, high, dt = tuple(shape), int(low), int(high), np.dtype(dtype)
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                               f">= to={high}")
        if dt.kind == "f":      # torch moves bounds the float dtype cannot represent inwards
            low, high = _update_from(low, dt), _update_to(high, dt)
            if low >= high:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' "
                                   f"casted to dtype, but got from={low} >= to={high}")
        _check_in_range(low, "from", dt)
        _check_in_range(high - 1, "to - 1", dt)
        return self._int_range(high - low, low, shape, dt)

    def random_from(self, low: int, shape: Shape, dtype: DTypeLike) -> np.ndarray:
        """Tensor.random_(low, None): integers on [low, dtype's max] (2**mantissa for floats);
        low = -2**63 draws the full 64-bit range."""
        shape, low, dt = tuple(shape), int(low), np.dtype(dtype)
        if low == -(1 << 63):
            if dt not in (np.int64, _F32, _F64):
                raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                                   "double, float and bfloat16")
            return self._raw64(math.prod(shape)).view(np.int64).astype(dt).reshape(shape)
        if dt.kind == "f":
            top = 1 << (np.finfo(dt).nmant + 1)
            low = _update_from(low, dt)
            if low >= top:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or "
                                   "equal to 'to_inc' casted to dtype, but got from="
                                   f"{low} > to_inc={top}")
        else:
            top = _bounds(dt)[1]
        _check_in_range(low, "from", dt)
        _check_in_range(top, "to - 1", dt)
        return self._int_range(top - low + 1, low, shape, dt)

    def _int_range(self, rng: int, low: int, shape: tuple, dt: np.dtype) -> np.ndarray:
        n = math.prod(shape)
        v = self._raw64(n) if rng >= 1 << 28 else self._raw(n)
        v = (v % np.uint64(rng & _U64)) + np.uint64(low & _U64)
        return v.view(np.int64).astype(dt).reshape(shape)

    def random(self, shape: Shape, dtype: DTypeLike) -> np.ndarray:
        """Tensor.random_() without bounds: [0, 2**mantissa] for floats, [0, max] for integers."""
        dt, shape = np.dtype(dtype), tuple(shape)
        v = self._raw64(math.prod(shape)) if dt in (_F64, np.int64) else self._raw(math.prod(shape))
        if dt == np.bool_:
            return (v & np.uint64(1)).astype(bool).reshape(shape)
        mod = (1 << np.finfo(dt).nmant + 1) + 1 if dt.kind == "f" else int(np.iinfo(dt).max) + 1
        return (v % np.uint64(mod)).astype(dt).reshape(shape)

    def randperm(self, n: int, dtype: DTypeLike = np.int64) -> np.ndarray:
        n = int(n)
        if n < 0:
            raise RuntimeError(f"n must be non-negative, got {n}")
        if n < 0xFFFFFFFF // 20:    # Fisher-Yates: swap(r[i], r[i + random() % (n-i)])
            i = np.arange(max(n - 1, 0), dtype=np.int64)
            steps = (self._raw(n - 1) % (n - i).astype(np.uint64)).astype(np.int64)
            perm = K.small_perm(n, i + steps)
        else:                       # inside-out: swap(r[i], r[random64() % (i+1)])
            steps = self._raw64(n) % np.arange(1, n + 1, dtype=np.uint64)
            perm = K.inside_out_perm(steps.astype(np.int64))
        return perm.astype(dtype)

    # ------------------------------------------------------------ Bernoulli and friends
    def bernoulli(self, p: Union[np.ndarray, float], shape: Shape, dtype: DTypeLike) -> np.ndarray:
        """Array p (torch.bernoulli(p) / Tensor.bernoulli_(p_tensor), broadcast to shape): float64
        p compares a 53-bit uniform, other p dtypes a 24-bit float uniform. Python float p
        (Tensor.bernoulli_(p)): 53-bit."""
        shape = tuple(shape)
        n = math.prod(shape)        # one draw per element (two for 53-bit uniforms), in C order
        if isinstance(p, np.ndarray):
            if p.dtype.kind != "f":
                raise _not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
            pb = np.broadcast_to(p, shape).reshape(-1)
            wide = pb.dtype == np.float64
            bad = ~((pb >= 0) & (pb <= 1))
            if bad.any():      # torch checks each p as it draws: the earlier draws happen
                self._unit(int(np.argmax(bad)), _F64 if wide else _F32)
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                                   "(Could this error message be improved?  If so, please report "
                                   "an enhancement request to PyTorch.)")
            res = self._unit(n, _F64 if wide else _F32) < (pb if wide else pb.astype(_f))
        else:
            p = float(p)
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(p)}")
            res = self._unit(n, _F64) < p
        return res.astype(dtype).reshape(shape)

    def dropout_mask(self, shape: Shape, dtype: DTypeLike, p: float) -> np.ndarray:
        """The 0/1 mask of F.dropout(x, p, training=True) on CPU: `empty_like(x).bernoulli_(1-p)`;
        torch draws nothing when p == 0, p == 1 or x is empty. Output is then
        x * (mask / (1 - p)), computed in x's dtype."""
        shape = tuple(shape)
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if p == 0 or p == 1 or math.prod(shape) == 0:
            return np.full(shape, 1 - p, dtype=dtype)
        return self.bernoulli(1.0 - p, shape, dtype)

    def rrelu_noise(self, x: np.ndarray, lower: float, upper: float) -> np.ndarray:
        """F.rrelu's training slopes for x (C order): 1 where x > 0, else U(lower, upper) drawn in
        double per non-positive element (bounds rounded to x's opmath dtype; not fused: this
        sampler lives outside ATen's per-capability kernels), rounded to x's dtype."""
        dt, op = x.dtype, _opmath(x.dtype)
        lo, hi = float(op.type(lower)), float(op.type(upper))
        neg = np.ascontiguousarray(x).reshape(-1) <= 0
        noise = np.ones(neg.shape, dt)
        noise[neg] = (self._unit(int(neg.sum()), _F64) * (hi - lo) + lo).astype(op).astype(dt)
        return noise.reshape(x.shape)

    def multinomial(self, probs: np.ndarray, num_samples: int,
                    replacement: bool = False) -> np.ndarray:
        """torch.multinomial (1-D or 2-D probs). Without replacement, or for a single sample, torch
        uses argmax/topk(p / Exp(1)); when zero-probability categories have to be returned their
        order follows topk's internal tie-breaking, which is not reproduced here (this returns them
        by ascending index)."""
        P = np.asarray(probs)
        dt = _floating(P.dtype, "multinomial")
        if P.ndim not in (1, 2):
            raise RuntimeError("prob_dist must be 1 or 2 dim")
        k, rows = int(num_samples), P.reshape(-1, P.shape[-1])
        if k <= 0 or (not replacement and k > P.shape[-1]):
            raise RuntimeError(f"cannot sample n_sample={k} samples from {P.shape[-1]} categories "
                               f"({'with' if replacement else 'without'} replacement)")
        if not np.all(np.isfinite(P)) or np.any(P < 0) or np.any(rows.sum(-1) == 0):
            raise RuntimeError("invalid multinomial distribution (inf, nan, p < 0 or sum of "
                               "probabilities <= 0)")
        if not replacement or k == 1:
            q = (rows / self.exponential(rows.shape, dt)).astype(dt)
            idx = np.argmax(q, -1)[:, None] if k == 1 else np.argsort(-q, -1, kind="stable")[:, :k]
            return idx.astype(np.int64).reshape(P.shape[:-1] + (k,))
        u = self._unit(rows.shape[0] * k, np.dtype(np.float64)).reshape(-1, k)
        cum = np.cumsum(rows, -1, dtype=dt)     # sequential float accumulation, as in the kernel
        cum = (cum / cum[:, -1:]).astype(np.float64)
        cum[:, -1] = 1.0
        out = np.array([np.searchsorted(c, ur, side="left") for c, ur in zip(cum, u)], np.int64)
        return out.reshape(P.shape[:-1] + (k,))


default_generator = Generator()

# torch.manual_seed / seed / initial_seed / get/set_rng_state act on the default generator
manual_seed = default_generator.manual_seed
seed = default_generator.seed
initial_seed = default_generator.initial_seed
get_rng_state = default_generator.get_state


def set_rng_state(state: np.ndarray) -> None:
    default_generator.set_state(state)
