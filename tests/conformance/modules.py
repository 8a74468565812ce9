"""One ModuleInfo against ndgrad: build the module in both libraries, copy torch's parameters and
buffers in, compare outputs, buffers after the call (running statistics) and the gradients of
inputs and parameters, in float64 and float32, in training and (where it differs) eval mode."""
from __future__ import annotations

import contextlib
import copy
import time
from typing import Any, Iterator

import numpy as np
import torch

import ndgrad

from .compare import Mismatch, Tolerance, at_least_as_accurate, compare, tolerance_for
from .convert import Frozen, tensors_of
from .names import (Missing, StateMismatch, copy_state, dtype_name, map_dtype, map_value,
                    resolve_or_missing)
from .harness import (Failure, check, entry_seed, quiet_single_thread, run_pair,
                      seed_everything, seeded)
from .result import FAIL, NOT_IMPLEMENTED, PASS, Result


@contextlib.contextmanager
def record_constructors() -> Iterator[None]:
    """Every torch module made meanwhile remembers its class and constructor arguments, so a
    module passed as an argument (TransformerEncoder's layer) can be rebuilt in ndgrad."""
    def recording(init: Any) -> Any:
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if "_conformance_ctor" not in self.__dict__:  # the outermost constructor
                object.__setattr__(self, "_conformance_ctor", (type(self), args, kwargs))
            init(self, *args, **kwargs)
        return __init__

    classes = [c for c in vars(torch.nn).values()
               if isinstance(c, type) and issubclass(c, torch.nn.Module) and "__init__" in vars(c)]
    originals = {c: vars(c)["__init__"] for c in classes}
    for cls, init in originals.items():
        cls.__init__ = recording(init)
    try:
        yield
    finally:
        for cls, init in originals.items():
            cls.__init__ = init


def _module_path(info: Any) -> str:
    return f"torch.nn.{info.module_cls.__name__}"


class ModuleChecker:
    def __init__(self, info: Any) -> None:
        self.info, self.name = info, info.name
        self.samples = 0
        self.missing: dict[str, None] = {}

    def run(self) -> Result:
        nd_cls = resolve_or_missing(_module_path(self.info))
        if isinstance(nd_cls, Missing):
            return Result(self.name, "module", NOT_IMPLEMENTED, missing=[nd_cls.name])
        modes = (True, False) if self.info.train_and_eval_differ else (True,)
        try:
            for dtype in (torch.float64, torch.float32):
                if dtype not in self.info.dtypes:
                    continue
                for training in modes:
                    self._run(nd_cls, dtype, training)
        except Failure as err:
            return Result(self.name, "module", FAIL, stage=err.stage, category=err.category,
                          reason=err.reason, missing=list(self.missing), samples=self.samples,
                          detail=err.detail)
        if self.missing:
            return Result(self.name, "module", NOT_IMPLEMENTED, missing=list(self.missing),
                          samples=self.samples)
        return Result(self.name, "module", PASS, samples=self.samples)

    def _run(self, nd_cls: Any, dtype: torch.dtype, training: bool) -> None:
        seed_everything(entry_seed(self.name))
        with record_constructors():
            inputs = list(self.info.module_inputs_func(
                self.info, device="cpu", dtype=dtype, requires_grad=True, training=training))
        prefix = ("" if dtype == torch.float64 else f"{dtype_name(dtype)} ") + \
            ("" if training else "eval ")
        tol = tolerance_for(dtype, tuple(self.info.decorators))
        for index, module_input in enumerate(inputs):
            if module_input.forward_input is None:
                continue
            run = ModuleRun(self, nd_cls, module_input, index, dtype, training, prefix, tol)
            try:
                run.run()
            except Missing as err:
                self.missing[err.name] = None
            except (Failure, Mismatch, StateMismatch) as err:
                raise run.failure(err) from None
            self.samples += 1


class ModuleRun:
    def __init__(self, checker: ModuleChecker, nd_cls: Any, module_input: Any, index: int,
                 dtype: torch.dtype, training: bool, prefix: str, tol: Tolerance) -> None:
        self.checker, self.info, self.nd_cls = checker, checker.info, nd_cls
        self.input, self.index, self.dtype, self.training = module_input, index, dtype, training
        self.prefix, self.tol, self.stage = prefix, tol, ""
        self.rng = np.random.default_rng(entry_seed(checker.name) + index)
        fwd = module_input.forward_input
        self.frozen = Frozen((fwd.args, fwd.kwargs))

    def _stage(self, what: str) -> str:
        self.stage = self.prefix + what
        return self.stage

    def failure(self, err: Exception) -> Failure:
        if isinstance(err, StateMismatch):
            err = Failure(self.stage, "parameters differ", str(err))
        elif isinstance(err, Mismatch):
            err = Failure(self.stage, err.kind, str(err))
        ctor = self.input.constructor_input
        head = (f"{self.checker.name} [{self.dtype}, {'train' if self.training else 'eval'}] "
                f"input {self.index} ({self.input.desc or 'default'}): constructor args "
                f"{_short(ctor.args)}, kwargs {_short(ctor.kwargs)}\nstage: {err.stage}\n"
                f"{err.reason}\n")
        return Failure(err.stage, err.category, err.reason, head + err.detail)

    def _construct(self) -> tuple[Any, Any]:
        ctor = self.input.constructor_input
        stage = self._stage("construct")
        seed_everything(entry_seed(self.checker.name))
        t_mod = self.info.module_cls(*ctor.args, **ctor.kwargs).to(self.dtype)
        t_mod.train(self.training)
        args, kwargs = map_value(ctor.args), map_value(ctor.kwargs)
        n_mod = check(stage, lambda: self.nd_cls(*args, **kwargs).to(map_dtype(self.dtype)))
        check(stage, n_mod.train, self.training)
        if self.info.is_lazy:  # parameters get their shapes from a first call
            (t_args, t_kwargs), _ = self.frozen.build("torch")
            (n_args, n_kwargs), _ = self.frozen.build("ndgrad")
            with torch.no_grad():
                t_mod(*t_args, **t_kwargs)
            check(stage, lambda: n_mod(*n_args, **n_kwargs))
        check(stage, copy_state, t_mod, n_mod)
        return t_mod, n_mod

    def run(self) -> None:
        t_mod, n_mod = self._construct()
        (t_args, t_kwargs), t_leaves = self.frozen.build("torch")
        (n_args, n_kwargs), n_leaves = self.frozen.build("ndgrad")
        stage = self._stage("forward")
        t_out, n_out, raised = run_pair(stage, lambda: seeded(t_mod, "torch", *t_args, **t_kwargs),
                                        lambda: seeded(n_mod, "ndgrad", *n_args, **n_kwargs))
        if raised:
            return
        try:
            compare(t_out, n_out, self.tol, requires_grad=True)
        except Mismatch as err:
            if err.kind != "values differ" or self.dtype != torch.float32 or \
                    not self._as_accurate(t_mod, t_out, n_out):
                raise
        self._stage("buffers")
        for name, buf in t_mod.named_buffers():
            compare(buf, dict(n_mod.named_buffers()).get(name), self.tol, f"buffer {name}")
        if self.dtype == torch.float64:
            self._backward(t_mod, n_mod, t_out, n_out, t_leaves, n_leaves)

    def _as_accurate(self, t_mod: Any, t_out: Any, n_out: Any) -> bool:
        try:
            ref_mod = copy.deepcopy(t_mod).double()
            (args, kwargs), _ = self.frozen.build("torch", upcast=True)
            with torch.no_grad():
                reference = seeded(ref_mod, "torch", *args, **kwargs)
        except Exception:  # noqa: BLE001 - no float64 reference: the plain mismatch stands
            return False
        return at_least_as_accurate(t_out, n_out, reference, self.tol)

    def _backward(self, t_mod: Any, n_mod: Any, t_out: Any, n_out: Any, t_leaves: list,
                  n_leaves: list) -> None:
        stage = self._stage("backward")
        t_all, n_all = tensors_of(t_out), tensors_of(n_out)
        keep = [i for i, t in enumerate(t_all) if t.requires_grad]
        if not keep:
            return
        t_params = dict(t_mod.named_parameters())
        n_params = dict(n_mod.named_parameters())
        names = [n for n, p in t_params.items() if p.requires_grad]
        t_inputs = t_leaves + [t_params[n] for n in names]
        n_inputs = n_leaves + [n_params[n] for n in names]
        labels = [f"input {i}" for i in range(len(t_leaves))] + [f"parameter {n}" for n in names]
        t_vs, n_vs = [], []
        for i in keep:
            v = self.rng.standard_normal(tuple(t_all[i].shape))
            t_vs.append(torch.from_numpy(v.copy()))
            n_vs.append(ndgrad.from_numpy(v.copy()))
        t_g, n_g, raised = run_pair(
            stage,
            lambda: torch.autograd.grad([t_all[i] for i in keep], t_inputs, t_vs,
                                        allow_unused=True),
            lambda: ndgrad.autograd.grad([n_all[i] for i in keep], n_inputs, n_vs,
                                         allow_unused=True), derivative=True)
        if raised:
            return
        for label, x, t, n in zip(labels, t_inputs, t_g, n_g):
            t = torch.zeros_like(x) if t is None else t
            n = ndgrad.zeros(tuple(t.shape), dtype=map_dtype(t.dtype)) if n is None else n
            compare(t.detach(), n.detach(), self.tol, f"gradient of {label}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 200 else text[:197] + "..."


def check_moduleinfo(info: Any) -> Result:
    """The status of one ModuleInfo: pass, fail (stage, reason) or not implemented."""
    start = time.perf_counter()
    with quiet_single_thread():
        result = ModuleChecker(info).run()
    result.seconds = time.perf_counter() - start
    return result
