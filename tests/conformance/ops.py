"""One OpInfo against ndgrad: scope, the variants a user would call, the dtypes and samples.

Per sample (float64): forward values/dtype/shape/requires_grad, first-order gradients
(supports_autograd), second order (supports_gradgrad; torch's analytic double backward is the
oracle), forward AD (supports_forward_ad), the method, in-place, operator and alias variants
(sample_checks.py). float32: forward. Ops without floating dtypes run in an integer or bool dtype.
"""
from __future__ import annotations

import re
import time
import unittest
from dataclasses import dataclass
from typing import Any

import torch

import ndgrad

from .compare import Mismatch, Tolerance, tolerance_for
from .convert import Frozen, tensors_of
from .db import full_name, wrapper_set_seed
from .harness import Failure, entry_seed, quiet_single_thread, seed_everything
from .modules import record_constructors
from .names import (Missing, counterpart, dtype_name, map_dtype, operator_dunder,
                    resolve_or_missing, substitute)
from .result import FAIL, NOT_IMPLEMENTED, OUT_OF_SCOPE, PASS, Result
from .sample_checks import SampleRun, nd_callable

_QUANTIZED = re.compile(r"(^|[._])(fake_)?(de)?quantiz")
# reference samples of up to a million elements exercise torch's vector kernels, not semantics; the
# smaller reference samples of the same kinds (discontiguous, extremal values) are kept
REFERENCE_NUMEL_LIMIT = 4096


def _huge_values(sample: Any) -> bool:
    finite = [t[t.isfinite()] for t in tensors_of((sample.input, sample.args, sample.kwargs))
              if t.dtype.is_floating_point]
    return any(t.numel() and float(t.abs().max()) > 1e15 for t in finite)


# reference samples left out for time, by op name: (which samples, why); the report lists them
SLOW_REFERENCE_SAMPLES = {
    "polygamma": (_huge_values, "values near 1e20, where torch's own polygamma takes ~2 s per "
                                "100 elements"),
}
INT_FALLBACK = (torch.int64, torch.bool, torch.int32, torch.uint8, torch.int16, torch.int8)


def out_of_scope(op: Any) -> str | None:
    """Why an OpInfo is outside ndgrad's scope, or None."""
    name = op.name
    if name.startswith("torch.ops.") or type(op.op).__name__ in ("OpOverload", "OpOverloadPacket"):
        return "ATen operator with no public Python name (torch.ops.aten)"
    last = name.rsplit(".", 1)[-1]  # torch._scaled_mm is private too
    if last.startswith("_") and not (last.startswith("__") and last.endswith("__")):
        return "private name"
    if "sparse" in name:
        return "sparse layouts"
    if _QUANTIZED.search(name):
        return "quantized tensors"
    if name.startswith("jiterator_"):
        return "CUDA-only (jiterator)"
    if "nested" in name or op.supports_njt:
        return "nested tensors"
    if not op.supported_dtypes("cpu"):
        return "CUDA-only (no CPU dtypes)"
    return None


@dataclass
class Variant:
    label: str  # "function", "method", "inplace", "operator", "inplace operator", "alias x"
    torch_fn: Any
    nd_fn: Any  # callable or Missing
    inplace: bool = False
    grads: bool = False  # also compare first-order gradients
    method: bool = False  # called on its first argument, which must be a tensor


def _path_or_counterpart(path: str, torch_obj: Any, torch_root: Any) -> Any:
    head, *parts = path.split(".")
    obj = torch_root
    for part in parts:
        obj = getattr(obj, part, None)
    return resolve_or_missing(path) if obj is torch_obj else counterpart(torch_obj)


def variants(op: Any) -> list[Variant]:
    dunder = op.name.startswith("__")  # torch.Tensor.__radd__ and co: methods themselves
    out = [Variant("function", op.op, _path_or_counterpart(f"torch.{op.name}", op.op, torch),
                   grads=True, method=dunder)]
    if op.method_variant is not None:
        out.append(Variant("method", op.method_variant, _path_or_counterpart(
            f"Tensor.{op.name}", op.method_variant, torch.Tensor), grads=True, method=True))
    if op.inplace_variant is not None:
        out.append(Variant("inplace", op.inplace_variant, _path_or_counterpart(
            f"Tensor.{op.name}_", op.inplace_variant, torch.Tensor), inplace=True, grads=True,
            method=True))
    for label, fn, inplace in (("operator", op.operator_variant, False),
                               ("inplace operator", op.inplace_operator_variant, True)):
        if fn is not None:
            needed = operator_dunder(fn)
            nd = resolve_or_missing(needed) if needed else counterpart(fn)
            out.append(Variant(label, fn, fn if not isinstance(nd, Missing) else nd, inplace,
                               method=inplace))
    for alias in op.aliases:
        qualified = alias.name if alias.name.startswith("torch.") else f"torch.{alias.name}"
        out.append(Variant(f"alias {alias.name}", alias.op, resolve_or_missing(qualified)))
        if alias.method_variant is not None:
            out.append(Variant(f"alias method {alias.name}", alias.method_variant,
                               resolve_or_missing(f"Tensor.{alias.name}"), method=True))
        if alias.inplace_variant is not None:
            out.append(Variant(f"alias inplace {alias.name}", alias.inplace_variant,
                               resolve_or_missing(f"Tensor.{alias.name}_"), inplace=True,
                               method=True))
    return out


def dtypes_to_test(op: Any) -> list:
    supported = op.supported_dtypes("cpu")
    chosen = [d for d in (torch.float64, torch.float32) if d in supported]
    if torch.complex128 in supported and isinstance(getattr(ndgrad, "complex128", None), ndgrad.dtype):
        chosen.append(torch.complex128)
    if not chosen:
        chosen = [d for d in INT_FALLBACK if d in supported][:1]
    if not chosen:
        chosen = sorted(supported, key=str)[:1]  # e.g. complex-only: reported as missing dtype
    return chosen


@substitute(wrapper_set_seed)
def _wrapper_set_seed(op: Any, *args: Any, **kwargs: Any) -> Any:
    state = ndgrad.get_rng_state()
    ndgrad.manual_seed(42)
    try:
        return op(*args, **kwargs)
    finally:
        ndgrad.set_rng_state(state)


class OpChecker:
    """Runs every sample of one OpInfo through every present variant."""

    def __init__(self, op: Any) -> None:
        self.op, self.name = op, full_name(op)
        self.missing: dict[str, None] = {}
        self.samples = 0
        self.nd_wrapper = nd_callable(op.gradcheck_wrapper)
        self.default_wrapper = op.gradcheck_wrapper.__code__.co_name == "<lambda>" and \
            "opinfo/core.py" in op.gradcheck_wrapper.__code__.co_filename

    def torch_marks_wrong(self, test_class: str, test_name: str, dtype: torch.dtype) -> bool:
        """Whether torch's own OpInfo expects this derivative test to fail on CPU (its gradient
        is known wrong or raises, e.g. as_strided_scatter's backward): then torch's values are no
        oracle and ndgrad's derivative is checked against finite differences instead."""
        for info in tuple(self.op.skips) + tuple(self.op.decorators):
            is_active = getattr(info, "is_active", None)
            if is_active is None or unittest.expectedFailure not in info.decorators:
                continue
            if is_active(test_class, test_name, "cpu", dtype, {}):
                return True
        return False

    def run(self) -> Result:
        reason = out_of_scope(self.op)
        if reason:
            return Result(self.name, "op", OUT_OF_SCOPE, reason=reason)
        found = variants(self.op)
        present = [v for v in found if not isinstance(v.nd_fn, Missing)]
        for v in found:
            if isinstance(v.nd_fn, Missing):
                self.missing[v.nd_fn.name] = None
        if not present:
            return self._not_implemented()
        try:
            for dtype in dtypes_to_test(self.op):
                try:
                    map_dtype(dtype)
                except Missing as err:
                    self.missing[err.name] = None
                    continue
                self._run_dtype(dtype, present)
        except Failure as err:
            return Result(self.name, "op", FAIL, stage=err.stage, category=err.category,
                          reason=err.reason, missing=list(self.missing), samples=self.samples,
                          detail=err.detail)
        if self.missing and all(m.startswith("torch.ops.") for m in self.missing):
            return Result(self.name, "op", OUT_OF_SCOPE, reason="calls ATen operators with no "
                          f"public Python name: {', '.join(self.missing)}")
        if self.missing:
            return self._not_implemented()
        return Result(self.name, "op", PASS, samples=self.samples)

    def _not_implemented(self) -> Result:
        return Result(self.name, "op", NOT_IMPLEMENTED, missing=list(self.missing),
                      samples=self.samples)

    def _run_dtype(self, dtype: torch.dtype, present: list[Variant]) -> None:
        op = self.op
        full = dtype not in (torch.float32, torch.float16)  # float32: the function's forward
        autograd = full and op.supports_autograd and \
            dtype in op.supported_backward_dtypes("cpu")
        tol = tolerance_for(dtype, tuple(op.decorators))
        prefix = "" if dtype == torch.float64 else f"{dtype_name(dtype)} "
        chosen = present if full else [v for v in present if v.label == "function"]
        seed_everything(entry_seed(self.name))
        with record_constructors():  # modules in samples (a distance_function) get rebuilt
            samples = list(op.sample_inputs_func(op, "cpu", dtype, autograd))
        self._run_samples(samples, dtype, tol, prefix, chosen, autograd)
        if full and op.reference_inputs_func is not None:
            # the thorough set (empty, 0-d, extremal values, discontiguous): forward checks
            seed_everything(entry_seed(self.name))
            slow = SLOW_REFERENCE_SAMPLES.get(op.name, (lambda sample: False, ""))[0]
            with record_constructors():
                samples = [s for s in op.reference_inputs_func(op, "cpu", dtype, False)
                           if _numel(s) <= REFERENCE_NUMEL_LIMIT and not slow(s)]
            self._run_samples(samples, dtype, tol, prefix + "reference ", chosen, False)

    def _run_samples(self, samples: list, dtype: torch.dtype, tol: Tolerance, prefix: str,
                     chosen: list[Variant], autograd: bool) -> None:
        for index, sample in enumerate(samples):
            frozen = Frozen((sample.input, sample.args, sample.kwargs))
            ctx = SampleRun(self, sample, index, frozen, tol, prefix, dtype)
            for variant in chosen:
                try:
                    ctx.run_variant(variant, autograd)
                except Missing as err:
                    self.missing[err.name] = None
                except (Failure, Mismatch) as err:
                    raise ctx.failure(variant, err) from None
            self.samples += 1


def _numel(sample: Any) -> int:
    found = tensors_of((sample.input, sample.args, sample.kwargs))
    return sum(t.numel() for t in found if isinstance(t, torch.Tensor))


def check_opinfo(op: Any) -> Result:
    """The status of one OpInfo: pass, fail (stage, reason), not implemented or out of scope."""
    start = time.perf_counter()
    with quiet_single_thread():
        result = OpChecker(op).run()
    result.seconds = time.perf_counter() - start
    return result
