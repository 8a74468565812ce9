"""The checks of one OpInfo sample: forward, gradients, second order, forward AD, in-place.

Each check runs torch and ndgrad on fresh copies of the same frozen sample and names its stage
("backward", "method forward", "float32 forward", ...) so a failure says what disagreed.
"""
from __future__ import annotations

import unittest
from typing import Any

import numpy as np
import torch
import torch.autograd.forward_ad as torch_fwad

import ndgrad
import ndgrad.autograd.forward_ad as nd_fwad

from .compare import Mismatch, Tolerance, at_least_as_accurate, compare, to_numpy
from .convert import Frozen, TensorSpec, replace_tensors, tensors_of
from .db import SampleInput
from .harness import Failure, check, entry_seed, run_pair, seeded
from .names import Missing, counterpart, dtype_name, map_dtype
from .oracle_noise import DOUBLE, torch_derivatives, within_torch_noise

_IDENTITY_CODE = SampleInput(None).output_process_fn_grad.__code__  # the default: lambda x: x


def _expected_failure(op: Any, cls_name: str, test_name: str) -> bool:
    """Whether the OpInfo marks one of its CPU tests as failing in torch itself."""
    return any(getattr(d, "cls_name", None) == cls_name and d.test_name == test_name and
               d.dtypes is None and
               d.device_type in (None, "cpu") and d.active_if is True and
               unittest.expectedFailure in d.decorators for d in op.skips)


def _is_identity(fn: Any) -> bool:
    return getattr(fn, "__code__", None) is _IDENTITY_CODE


class SampleRun:
    """The checks of one sample; stage names say which variant and which check failed."""

    def __init__(self, checker: Any, sample: Any, index: int, frozen: Frozen,
                 tol: Tolerance, prefix: str, dtype: torch.dtype) -> None:
        self.checker, self.op, self.sample, self.index = checker, checker.op, sample, index
        self.frozen, self.tol, self.prefix, self.dtype = frozen, tol, prefix, dtype
        self.rng = np.random.default_rng(entry_seed(checker.name) + index)
        self.stage = ""
        # the last derivative check's torch cotangents and ndgrad's result (oracle_noise)
        self._vs: list = []
        self._ws: list | None = None
        self._keep: list | None = None
        self._nd_derivs: Any = None

    def failure(self, variant: Any, err: Exception) -> Failure:
        if isinstance(err, Mismatch):
            err = Failure(self.stage, err.kind, str(err))
        summary = self.sample.summary()
        summary = summary if len(summary) < 600 else summary[:597] + "..."
        kind = "reference sample" if "reference" in self.prefix else "sample"
        head = (f"{self.checker.name} [{self.dtype}] {kind} {self.index}: {summary}\n"
                f"stage: {err.stage}\n{err.reason}\n")
        return Failure(err.stage, err.category, err.reason, head + err.detail)

    def _stage(self, variant: Any, what: str) -> str:
        label = "" if variant.label == "function" else variant.label + " "
        self.stage = f"{self.prefix}{label}{what}"
        return self.stage

    def run_variant(self, variant: Any, autograd: bool) -> None:
        if variant.method and not isinstance(self.frozen.value[0], TensorSpec):
            return None  # a method is called on a tensor (torch.Tensor.add(2, t) is no user code)
        if variant.inplace:
            return self._inplace(variant, autograd)
        if variant.label.endswith("operator") and self.sample.kwargs:
            return None  # operators take no keywords
        stage = self._stage(variant, "forward")
        (t_in, t_leaves), (n_in, n_leaves) = self.frozen.build("torch"), self.frozen.build("ndgrad")
        t_out, n_out, raised = run_pair(stage, lambda: _call(variant.torch_fn, t_in, "torch"),
                                        lambda: _call(variant.nd_fn, n_in, "ndgrad"))
        if raised:
            return None
        self._compare_forward(t_out, n_out, variant)
        if not (autograd and variant.grads and t_leaves):
            return None
        # torch's chunked linear_cross_entropy has no second derivatives: it marks its own
        # gradgrad test failing and supports no forward-over-backward (no oracle there)
        gradgrad = variant.label == "function" and self.op.supports_gradgrad and not (
            not self.op.supports_fwgrad_bwgrad and
            _expected_failure(self.op, "TestBwdGradients", "test_fn_gradgrad"))
        if variant.label == "function" and not self.checker.default_wrapper:
            (t_in, t_leaves), (n_in, n_leaves) = self.frozen.build("torch"), \
                self.frozen.build("ndgrad")
            t_out, n_out, raised = run_pair(
                self._stage(variant, "backward"),
                lambda: _wrapped(self.op.gradcheck_wrapper, variant.torch_fn, t_in, "torch"),
                lambda: _wrapped(self.checker.nd_wrapper, variant.nd_fn, n_in, "ndgrad"))
            if raised:
                return None
        # where torch's own OpInfo expects its derivative test to fail, a derivative that
        # differs from torch's passes if it agrees with finite differences instead
        marks_wrong = self.checker.torch_marks_wrong
        wrong_grad = marks_wrong("TestBwdGradients", "test_fn_grad", self.dtype)
        wrong_gradgrad = gradgrad and marks_wrong("TestBwdGradients", "test_fn_gradgrad",
                                                  self.dtype)
        try:
            self._backward(variant, t_out, n_out, t_leaves, n_leaves, gradgrad)
        except Exception as err:  # noqa: BLE001 - re-raised unless finite differences agree
            failed_gradgrad = self.stage.endswith("gradgrad")
            if not (wrong_grad or (wrong_gradgrad and failed_gradgrad) or
                    self._within_torch_noise(variant, err, failed_gradgrad)):
                raise
            self._finite_differences(variant, n_in, n_leaves, err,
                                     "gradgrad" if failed_gradgrad else "backward")
            if gradgrad and not failed_gradgrad:  # not reached against torch: check it here
                self._finite_differences(variant, n_in, n_leaves, err, "gradgrad")
        if variant.label == "function" and self.op.supports_forward_ad:
            try:
                self._forward_ad(variant)
            except Exception as err:  # noqa: BLE001 - as above
                if not marks_wrong("TestFwdGradients", "test_forward_mode_AD", self.dtype):
                    raise
                self._finite_differences(variant, n_in, n_leaves, err, "forward AD")
        return None

    def _within_torch_noise(self, variant: Any, err: Exception, gradgrad: bool) -> bool:
        """A double-precision derivative that differs from torch's by less than torch's own
        rounding spread at this sample (see oracle_noise); finite differences judge next."""
        if not (isinstance(err, Mismatch) and err.kind == "values differ" and
                self.dtype in DOUBLE and self._nd_derivs is not None):
            return False
        stage = self.stage
        if variant.label == "function" and not self.checker.default_wrapper:
            def forward(built: tuple) -> Any:
                return _wrapped(self.op.gradcheck_wrapper, variant.torch_fn, built, "torch")
        else:
            def forward(built: tuple) -> Any:
                return _call(variant.torch_fn, built, "torch")

        def torch_run(rng: Any) -> list:
            return torch_derivatives(lambda: self.frozen.build("torch"), forward,
                                     self.sample.output_process_fn_grad, self._vs,
                                     self._ws if gradgrad else None, self._keep, rng)

        nd = [None if d is None else to_numpy(d.detach()) for d in self._nd_derivs]
        verdict = within_torch_noise(torch_run, nd, self.tol,
                                     entry_seed(self.checker.name) + self.index)
        self.stage = stage
        return verdict

    def _finite_differences(self, variant: Any, n_in: Any, n_leaves: list, err: Exception,
                            what: str) -> None:
        """ndgrad's derivative against finite differences, where it differs from torch's and
        torch marks its own wrong; err (the difference from torch) stands if these disagree."""
        stage = self.stage
        process = nd_callable(self.sample.output_process_fn_grad)

        # double-precision inputs only: finite differences in float32 are too coarse to judge
        # (torch's cov fails its own check on float32 aweights); the others are held constant
        double = [leaf for leaf in n_leaves if leaf.dtype in (ndgrad.float64, ndgrad.complex128)]
        held = {id(leaf): leaf.detach() for leaf in n_leaves
                if leaf.dtype not in (ndgrad.float64, ndgrad.complex128)}

        def fn(*xs: Any) -> tuple:
            mapping = {**held, **{id(leaf): x for leaf, x in zip(double, xs)}}
            built = replace_tensors(n_in, mapping)
            out = process(_wrapped(self.checker.nd_wrapper, variant.nd_fn, built, "ndgrad"))
            return tuple(t for t in tensors_of(out) if t.requires_grad)

        leaves = tuple(leaf.detach().requires_grad_() for leaf in double)
        if not leaves:
            raise err
        if what == "gradgrad":
            run = lambda: ndgrad.autograd.gradgradcheck(fn, leaves)  # noqa: E731
        else:
            run = lambda: ndgrad.autograd.gradcheck(  # noqa: E731
                fn, leaves, check_forward_ad=what == "forward AD",
                check_backward_ad=what == "backward")
        try:
            run()
        except Exception:  # noqa: BLE001 - finite differences disagree too: torch's verdict
            self.stage = stage
            raise err from None

    def _compare_forward(self, t_out: Any, n_out: Any, variant: Any) -> None:
        tol = None if self.op.has_nondeterministic_output else self.tol
        try:
            compare(t_out, n_out, tol, requires_grad=True)
        except Mismatch as err:
            if err.kind != "values differ":
                raise
            if self.dtype in (torch.float32, torch.float16) and self._as_accurate(t_out, n_out,
                                                                                 variant):
                return
            process = self.sample.output_process_fn_grad
            if _is_identity(process):
                raise
            # the sample names the well-defined part of the result (e.g. |U| of an SVD)
            processed = check(self.stage, nd_callable(process), n_out)
            compare(process(t_out), processed, tol, "processed output")

    def _as_accurate(self, t_out: Any, n_out: Any, variant: Any) -> bool:
        """float32: ndgrad may differ from torch where it is closer to the float64 result."""
        t_in, _ = self.frozen.build("torch", upcast=True)
        try:
            with torch.no_grad():
                reference = _call(variant.torch_fn, t_in, "torch")
        except Exception:  # noqa: BLE001 - no float64 reference: the plain mismatch stands
            return False
        return at_least_as_accurate(t_out, n_out, reference, self.tol)

    def _outputs(self, t_out: Any, n_out: Any) -> tuple[list, list]:
        process = self.sample.output_process_fn_grad
        t_all = tensors_of(process(t_out))
        n_all = tensors_of(nd_callable(process)(n_out))
        keep = [i for i, t in enumerate(t_all) if t.requires_grad]
        if len(n_all) != len(t_all):
            raise Mismatch(f"{len(n_all)} output tensors in ndgrad, {len(t_all)} in torch")
        for i in keep:
            if not n_all[i].requires_grad:
                raise Mismatch(f"output tensor {i} does not require grad in ndgrad", "requires_grad")
        return [t_all[i] for i in keep], [n_all[i] for i in keep]

    def _random_like(self, tensors: list, requires_grad: bool) -> tuple[list, list]:
        t_vs, n_vs = [], []
        for t in tensors:
            v = self.rng.standard_normal(tuple(t.shape))
            if t.dtype.is_complex:
                v = v + 1j * self.rng.standard_normal(tuple(t.shape))
            v = np.asarray(v, dtype=_np_dtype(t.dtype))
            t_vs.append(torch.from_numpy(v.copy()).requires_grad_(requires_grad))
            n_vs.append(ndgrad.from_numpy(v.copy()).requires_grad_(requires_grad))
        return t_vs, n_vs

    def _backward(self, variant: Any, t_out: Any, n_out: Any, t_leaves: list,
                  n_leaves: list, gradgrad: bool) -> None:
        stage = self._stage(variant, "backward")
        t_outs, n_outs = check(stage, self._outputs, t_out, n_out)
        if not t_outs:
            return
        t_vs, n_vs = self._random_like(t_outs, gradgrad)
        self._vs, self._ws, self._keep, self._nd_derivs = t_vs, None, None, None
        t_g, n_g, raised = run_pair(
            stage,
            lambda: torch.autograd.grad(t_outs, t_leaves, t_vs, allow_unused=True,
                                        create_graph=gradgrad),
            lambda: ndgrad.autograd.grad(n_outs, n_leaves, n_vs, allow_unused=True,
                                         create_graph=gradgrad), derivative=True)
        if raised:
            return
        self._nd_derivs = n_g
        _compare_grads(t_g, n_g, t_leaves, self.tol, "gradient of input")
        if gradgrad:
            self._gradgrad(variant, t_g, n_g, t_leaves + t_vs, n_leaves + n_vs)

    def _gradgrad(self, variant: Any, t_g: tuple, n_g: tuple, t_inputs: list,
                  n_inputs: list) -> None:
        stage = self._stage(variant, "gradgrad")
        keep = [i for i, g in enumerate(t_g) if g is not None and g.requires_grad]
        if not keep:
            return
        t_ws, n_ws = self._random_like([t_g[i] for i in keep], False)
        n_pairs = [(n_g[i], w) for i, w in zip(keep, n_ws)
                   if n_g[i] is not None and n_g[i].requires_grad]
        t_gg, n_gg, raised = run_pair(
            stage,
            lambda: torch.autograd.grad([t_g[i] for i in keep], t_inputs, t_ws, allow_unused=True),
            lambda: ndgrad.autograd.grad([g for g, _ in n_pairs], n_inputs,
                                         [w for _, w in n_pairs], allow_unused=True)
            if n_pairs else (None,) * len(n_inputs), derivative=True)
        if not raised:
            self._ws, self._keep, self._nd_derivs = t_ws, keep, n_gg
            _compare_grads(t_gg, n_gg, t_inputs, self.tol, "second-order gradient of input")

    def _forward_ad(self, variant: Any) -> None:
        stage = self._stage(variant, "forward AD")
        (t_in, t_leaves), (n_in, n_leaves) = self.frozen.build("torch"), self.frozen.build("ndgrad")
        t_ts, n_ts = self._random_like(t_leaves, False)
        nd_wrapper = self.checker.nd_wrapper

        def torch_call() -> list:
            with torch_fwad.dual_level():
                duals = {id(x): torch_fwad.make_dual(x, t) for x, t in zip(t_leaves, t_ts)}
                out = _wrapped(self.op.gradcheck_wrapper, variant.torch_fn,
                               replace_tensors(t_in, duals), "torch")
                out = self.sample.output_process_fn_grad(out)
                return [_tangent(torch_fwad, o) for o in tensors_of(out)]

        def nd_call() -> list:
            with nd_fwad.dual_level():
                duals = {id(x): nd_fwad.make_dual(x, t) for x, t in zip(n_leaves, n_ts)}
                out = _wrapped(nd_wrapper, variant.nd_fn, replace_tensors(n_in, duals), "ndgrad")
                out = nd_callable(self.sample.output_process_fn_grad)(out)
                return [_tangent(nd_fwad, o) for o in tensors_of(out)]

        t_tan, n_tan, raised = run_pair(stage, torch_call, nd_call, derivative=True)
        if raised:
            return
        if len(t_tan) != len(n_tan):
            raise Mismatch(f"{len(n_tan)} output tensors in ndgrad, {len(t_tan)} in torch")
        for i, (t, n) in enumerate(zip(t_tan, n_tan)):
            if t is None:
                continue
            if n is None:
                n = ndgrad.zeros_like(ndgrad.from_numpy(t.detach().numpy().copy()))
            compare(t, n, self.tol, f"tangent of output {i}")

    def _inplace(self, variant: Any, autograd: bool) -> None:
        if variant.label == "inplace operator" and (self.sample.kwargs or len(self.sample.args) != 1):
            return None
        stage = self._stage(variant, "forward")
        (t_in, t_leaves), (n_in, n_leaves) = self.frozen.build("torch"), self.frozen.build("ndgrad")
        aliased = _self_overlapping(self.frozen.value[0])
        t_self, n_self = _writable(t_in[0], aliased), _writable(n_in[0], aliased)
        t_args, n_args = (t_self, *t_in[1]), (n_self, *n_in[1])
        t_out, n_out, raised = run_pair(
            stage, lambda: seeded(variant.torch_fn, "torch", *t_args, **t_in[2]),
            lambda: seeded(variant.nd_fn, "ndgrad", *n_args, **n_in[2]))
        if raised:
            return None
        self._compare_forward(t_out, n_out, variant)
        if t_out is t_self and n_out is not n_self:
            raise Mismatch("the in-place variant does not return its input", "result type")
        compare(t_self, n_self, self.tol, "input after the in-place call")
        if autograd and variant.grads and t_leaves and self.op.supports_inplace_autograd:
            self._backward(variant, t_out, n_out, t_leaves, n_leaves, False)
        return None


def _writable(x: Any, aliased: bool) -> Any:
    """The tensor an in-place variant writes to: a leaf requiring grad is cloned first (as
    torch requires); so is a tensor whose elements alias each other without a zero stride,
    where torch's result depends on its loop order (torch's own tests clone it too). Expanded
    tensors (zero strides) are kept: both libraries must refuse to write to them."""
    return x.clone() if x.requires_grad or aliased else x


def _self_overlapping(spec: TensorSpec) -> bool:
    dims = sorted((st, n) for st, n in zip(spec.strides, spec.shape) if n > 1)
    if any(st == 0 for st, _ in dims):
        return False
    reach = 0  # the largest offset the smaller-stride dims reach
    for stride, size in dims:
        if stride <= reach:
            return True
        reach += stride * (size - 1)
    return False


def _call(fn: Any, built: tuple, lib: str) -> Any:
    inp, args, kwargs = built
    return seeded(fn, lib, inp, *args, **kwargs)


def _wrapped(wrapper: Any, fn: Any, built: tuple, lib: str) -> Any:
    """The OpInfo's gradcheck_wrapper(op, input, *args, **kwargs)."""
    inp, args, kwargs = built
    return seeded(wrapper, lib, fn, inp, *args, **kwargs)


def nd_callable(fn: Any) -> Any:
    """counterpart(fn), or a callable raising Missing when ndgrad lacks what fn needs."""
    found = counterpart(fn)
    if isinstance(found, Missing):
        def missing(*args: Any, **kwargs: Any) -> Any:
            raise found
        return missing
    return found


def _tangent(fwad: Any, out: Any) -> Any:
    if not (out.dtype.is_floating_point or out.dtype.is_complex):
        return None
    return fwad.unpack_dual(out).tangent


def _np_dtype(dtype: Any) -> Any:
    return {"float64": np.float64, "float32": np.float32, "float16": np.float16,
            "complex128": np.complex128, "complex64": np.complex64}[dtype_name(dtype)]


def _compare_grads(t_g: tuple, n_g: tuple, leaves: list, tol: Tolerance, what: str) -> None:
    if n_g is None or len(n_g) != len(t_g):
        raise Mismatch(f"autograd.grad returned {n_g!r} in ndgrad")
    for i, (t, n) in enumerate(zip(t_g, n_g)):
        if t is None:
            t = torch.zeros_like(leaves[i])
        if n is None:
            n = ndgrad.zeros(tuple(t.shape), dtype=map_dtype(t.dtype))
        compare(t.detach(), n.detach(), tol, f"{what} {i}")
