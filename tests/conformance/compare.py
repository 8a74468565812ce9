"""Compare an ndgrad result with torch's: structure, types, shapes, dtypes, values, requires_grad.

Tolerances are torch.testing.assert_close's defaults for the dtype, widened by the largest
toleranceOverride/precisionOverride the OpInfo itself declares for CPU (the database's own word
on how closely that op's results agree between implementations).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import ndgrad

from .convert import to_numpy
from .names import dtype_name

# torch.testing.assert_close defaults
DEFAULT_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5),
                      "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7),
                      "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


class Mismatch(AssertionError):
    """ndgrad's result differs from torch's; kind groups failures in the report."""

    def __init__(self, message: str, kind: str = "result type") -> None:
        super().__init__(message)
        self.kind = kind


def tolerance_for(dtype: torch.dtype, decorators: tuple = ()) -> Tolerance:
    rtol, atol = DEFAULT_TOLERANCES.get(dtype_name(dtype), (0.0, 0.0))
    for info in decorators:
        if getattr(info, "device_type", None) not in (None, "cpu"):
            continue
        if getattr(info, "dtypes", None) and dtype not in info.dtypes:
            continue
        for dec in getattr(info, "decorators", [info]):
            overrides = _overrides_of(dec)
            if dtype in overrides:
                r, a = overrides[dtype]
                rtol, atol = max(rtol, r), max(atol, a)
    return Tolerance(rtol, atol)


def _overrides_of(decorator: Any) -> dict:
    name = type(decorator).__name__
    if name == "toleranceOverride":
        return {dt: (t.rtol, t.atol) for dt, t in decorator.d.items()}
    if name == "precisionOverride":
        return {dt: (0.0, p) for dt, p in decorator.d.items()}
    return {}


def _is_tensor(x: Any) -> bool:
    return isinstance(x, (torch.Tensor, ndgrad.Tensor))


def compare(expected: Any, actual: Any, tol: Tolerance | None, where: str = "output",
            requires_grad: bool = False) -> None:
    """Raise Mismatch naming the first difference between torch's and ndgrad's results."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, ndgrad.Tensor):
            raise Mismatch(f"{where}: torch returns a Tensor, ndgrad returns {_kind(actual)}")
        compare_tensors(expected, actual, tol, where)
        if requires_grad and expected.requires_grad != actual.requires_grad:
            raise Mismatch(f"{where}: requires_grad is {actual.requires_grad} in ndgrad, "
                           f"{expected.requires_grad} in torch", "requires_grad")
        return
    if isinstance(expected, torch.Size):
        if not isinstance(actual, tuple) or tuple(expected) != tuple(actual):
            raise Mismatch(f"{where}: torch gives {tuple(expected)}, ndgrad {actual!r}")
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)) or _is_tensor(actual):
            raise Mismatch(f"{where}: torch returns a {type(expected).__name__} of "
                           f"{len(expected)}, ndgrad returns {_kind(actual)}")
        if len(expected) != len(actual):
            raise Mismatch(f"{where}: torch returns {len(expected)} items, ndgrad {len(actual)}")
        for field in getattr(expected, "__match_args__", ()):  # torch.return_types fields
            if not hasattr(actual, field):
                raise Mismatch(f"{where}: ndgrad's result has no field {field!r}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            compare(e, a, tol, f"{where}[{i}]", requires_grad)
        return
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(expected) != set(actual):
            raise Mismatch(f"{where}: torch returns keys {sorted(expected)}, ndgrad {actual!r}")
        for k in expected:
            compare(expected[k], actual[k], tol, f"{where}[{k!r}]", requires_grad)
        return
    if isinstance(expected, torch.dtype):
        if dtype_name(expected) != dtype_name(actual) or not isinstance(actual, ndgrad.dtype):
            raise Mismatch(f"{where}: torch gives {expected}, ndgrad {actual!r}")
        return
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(actual, (bool, np.bool_)) or bool(actual) != bool(expected):
            raise Mismatch(f"{where}: torch gives {expected!r}, ndgrad {actual!r}")
        return
    if isinstance(expected, (int, float, complex)):
        if _is_tensor(actual) or not isinstance(actual, (int, float, complex, np.number)):
            raise Mismatch(f"{where}: torch gives the number {expected!r}, ndgrad {_kind(actual)}")
        if tol is not None:
            _compare_arrays(np.asarray(expected), np.asarray(actual), tol, where)
        return
    if expected is None or isinstance(expected, str):
        if actual != expected:
            raise Mismatch(f"{where}: torch gives {expected!r}, ndgrad {actual!r}")
        return
    if isinstance(expected, torch.device):
        if str(actual) != str(expected):
            raise Mismatch(f"{where}: torch gives {expected!r}, ndgrad {actual!r}")
        return
    if type(actual).__name__ != type(expected).__name__:
        raise Mismatch(f"{where}: torch gives {_kind(expected)}, ndgrad {_kind(actual)}")


def compare_tensors(expected: torch.Tensor, actual: Any, tol: Tolerance, where: str) -> None:
    if tuple(expected.shape) != tuple(actual.shape):
        raise Mismatch(f"{where}: shape {tuple(actual.shape)} in ndgrad, "
                       f"{tuple(expected.shape)} in torch", "shape")
    if dtype_name(expected.dtype) != dtype_name(actual.dtype):
        raise Mismatch(f"{where}: dtype {actual.dtype} in ndgrad, {expected.dtype} in torch",
                       "dtype")
    if tol is not None:  # None: uninitialised memory (empty, new_empty ...), values not compared
        # a result less precise than the sample's dtype (a factory's default-dtype output in a
        # float64 sample) gets at least its own dtype's defaults, as assert_close picks them
        rtol, atol = DEFAULT_TOLERANCES.get(dtype_name(expected.dtype), (0.0, 0.0))
        tol = Tolerance(max(tol.rtol, rtol), max(tol.atol, atol))
        _compare_arrays(to_numpy(expected), to_numpy(actual), tol, where)


def _compare_arrays(e: np.ndarray, a: np.ndarray, tol: Tolerance, where: str) -> None:
    if e.size == 0:
        return
    if e.dtype.kind in "fc" or a.dtype.kind in "fc":
        e64 = e.astype(np.complex128 if e.dtype.kind == "c" else np.float64)
        a64 = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(a64, e64, rtol=tol.rtol, atol=tol.atol, equal_nan=True)
            bad = ~close
            diff = np.abs(a64 - e64)
    else:
        bad = a != e
        diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
    if not bad.any():
        return
    n_bad = int(np.count_nonzero(bad))
    diff = np.where(bad, np.nan_to_num(diff, nan=np.inf), -1.0)
    idx = np.unravel_index(int(np.argmax(diff)), e.shape) if e.ndim else ()
    raise Mismatch(
        f"{where}: {n_bad} of {e.size} values differ; worst at index {tuple(int(i) for i in idx)}: "
        f"torch {e[idx]!r}, ndgrad {a[idx]!r} (rtol={tol.rtol:g}, atol={tol.atol:g})",
        "values differ")


def _kind(x: Any) -> str:
    if isinstance(x, (torch.Tensor, ndgrad.Tensor)):
        return f"a Tensor of shape {tuple(x.shape)}"
    return f"{type(x).__name__} {x!r}" if isinstance(x, (int, float, bool, str)) else \
        type(x).__name__


def at_least_as_accurate(expected: Any, actual: Any, reference: Any, tol: Tolerance) -> bool:
    """Whether ndgrad's low-precision result is as close to torch's float64 result on the same
    inputs as torch's own low-precision result is (twice its worst error, plus tolerance)."""
    e_all, a_all, r_all = (_tensors(x) for x in (expected, actual, reference))
    if not (len(e_all) == len(a_all) == len(r_all)) or not e_all:
        return False
    for e, a, r in zip(e_all, a_all, r_all):
        e, a, r = (to_numpy(x) for x in (e, a, r))
        if e.shape != r.shape or a.shape != r.shape:
            return False
        if e.dtype.kind != "f" or e.size == 0:
            if not np.array_equal(e, a):
                return False
            continue
        r = r.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            torch_err = np.nan_to_num(np.abs(e.astype(np.float64) - r), nan=0.0, posinf=0.0)
            bound = 2 * torch_err.max() + tol.atol + tol.rtol * np.abs(r)
            nd_err = np.abs(a.astype(np.float64) - r)
            ok = (nd_err <= bound) | (np.isnan(a) & np.isnan(e)) | (a == e)
        if not ok.all():
            return False
    return True


def _tensors(x: Any) -> list:
    if isinstance(x, (torch.Tensor, ndgrad.Tensor)):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for item in x for t in _tensors(item)]
    return []
