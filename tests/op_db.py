"""The op test table: one entry per sample of every registered op, built from the declarations.

Declaration keywords read here (all optional, given to @primitive / @composite):
  shapes=[shape, ...] (one input) or [(shape_a, shape_b), ...] (two inputs)
  samples=[(shape or (shape_a, shape_b, None, ...), attrs), ...]   None = an absent optional input
  attrs={...}            attributes used with `shapes`
  domain=(lo, hi) or {input_name: (lo, hi)}   where random inputs are drawn (default (-2, 2))
  kinks=(x, ...)         values inputs keep away from (non-differentiable points)
  nondiff_inputs=(...)   inputs never differentiated (targets, weights)
  int_inputs={name: (lo, hi)}  integer inputs (indices), drawn in [lo, hi)
  bool_inputs=(name, ...)      boolean inputs (masks, conditions)
  torch_fn=callable(torch, *inputs, **attrs)   how torch computes the same thing
                          (default: torch.<public name>(*inputs, **attrs))
  skips=("gradgrad", "torch", "grad", "float32", "jvp", "jvp_torch")   checks not to run, as data
  rtol/atol=...          float32 tolerances against torch
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import ndgrad
import ndgrad.nn  # noqa: F401  (nn.functional's composites carry op-table entries too)
from ndgrad._ops._registry import COMPOSITE_TESTS, PUBLIC, REGISTRY

ndgrad._ops.load_all()  # the table covers every op, the lazily loaded ones too


@dataclass
class Sample:
    name: str
    fn: Callable  # ndgrad callable(*inputs, **attrs)
    torch_fn: Callable | None
    inputs: list  # np.ndarray (float64) / None
    input_names: tuple
    attrs: dict
    differentiable: bool
    diff_mask: list  # which inputs to differentiate
    skips: tuple
    rtol: float = 1e-4
    atol: float = 1e-5
    int_mask: list = field(default_factory=list)

    @property
    def id(self) -> str:
        shapes = ",".join(("x".join(map(str, a.shape)) or "0d") if isinstance(a, np.ndarray)
                          else repr(a) for a in self.inputs)
        extra = ",".join(f"{k}={_short(v)}" for k, v in self.attrs.items())
        return f"{self.name}[{shapes}]{'(' + extra + ')' if extra else ''}"


def _short(v: Any) -> str:
    s = repr(v).replace(" ", "")
    return s if len(s) < 24 else s[:21] + "..."


def _is_multi(spec: Any) -> bool:
    return isinstance(spec, tuple) and len(spec) > 0 and all(
        s is None or isinstance(s, tuple) for s in spec)


def _draw(rng: np.random.Generator, shape: tuple, domain: tuple, kinks: tuple) -> np.ndarray:
    lo, hi = domain
    x = rng.uniform(lo, hi, size=shape)
    for k in kinks:  # keep finite differences away from kinks
        near = np.abs(x - k) < 0.15
        x = np.where(near, x + np.sign(x - k + 1e-12) * 0.3, x)
    return x


def _default_torch_fn(name: str) -> Callable:
    def fn(torch, *inputs, **attrs):
        return getattr(torch, name)(*inputs, **attrs)

    return fn


def _entries() -> list[tuple[str, Callable, dict, tuple, bool]]:
    out = []
    for op in REGISTRY.values():
        if op.tests.get("samples") or op.tests.get("shapes"):
            out.append((op.name, op.public, op.tests, op.inputs, op.differentiable))
    for name, meta in COMPOSITE_TESTS.items():
        import inspect

        params = [p.name for p in inspect.signature(meta["fn"]).parameters.values()
                  if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
        out.append((name, meta["fn"], meta, tuple(meta.get("inputs", params)),
                    meta.get("differentiable", True)))
    return out


def build_samples() -> list[Sample]:
    samples = []
    for idx, (name, fn, meta, input_names, differentiable) in enumerate(_entries()):
        rng = np.random.default_rng(1000 + idx)
        specs = []
        for shp in meta.get("shapes", ()):
            specs.append((shp, dict(meta.get("attrs", {}))))
        specs.extend(meta.get("samples", ()))
        domain = meta.get("domain", (-2.0, 2.0))
        kinks = tuple(meta.get("kinks", ()))
        nondiff = set(meta.get("nondiff_inputs", ()))
        int_inputs = meta.get("int_inputs", {})
        public_name = meta.get("torch_name", name)
        torch_fn = meta.get("torch_fn") or _default_torch_fn(public_name)
        for shp, attrs in specs:
            shapes = list(shp) if _is_multi(shp) else [shp]
            names = input_names[:len(shapes)]
            inputs, mask, imask = [], [], []
            for n, s in zip(names, shapes):
                if s is None:
                    inputs.append(None); mask.append(False); imask.append(False)
                    continue
                if n in meta.get("bool_inputs", ()):
                    inputs.append(np.asarray(rng.random(s) > 0.5))
                    mask.append(False)
                    imask.append(True)
                    continue
                if n in int_inputs:
                    lo, hi = int_inputs[n]
                    inputs.append(np.asarray(rng.integers(lo, hi, size=s)))
                    mask.append(False)
                    imask.append(True)
                    continue
                d = domain.get(n, (-2.0, 2.0)) if isinstance(domain, dict) else domain
                inputs.append(_draw(rng, s, d, kinks))
                mask.append(differentiable and n not in nondiff)
                imask.append(False)
            samples.append(Sample(name, fn, torch_fn, inputs, tuple(names), dict(attrs),
                                  differentiable, mask, tuple(meta.get("skips", ())),
                                  meta.get("rtol", 1e-4), meta.get("atol", 1e-5), imask))
            if meta.get("scalar") and len(inputs) == 2 and inputs[1] is not None:
                samples.append(Sample(name, fn, torch_fn, [inputs[0], 1.5], tuple(names),
                                      dict(attrs), differentiable, [mask[0], False],
                                      tuple(meta.get("skips", ())), meta.get("rtol", 1e-4),
                                      meta.get("atol", 1e-5), [False, False]))
    return samples


def to_ndgrad(sample: Sample, dtype, requires_grad: bool = True) -> list:
    out = []
    for a, m, im in zip(sample.inputs, sample.diff_mask, sample.int_mask or [False] * len(sample.inputs)):
        if a is None or not isinstance(a, np.ndarray):
            out.append(a)
        elif im:
            out.append(ndgrad.tensor(a, dtype=ndgrad.bool if a.dtype == bool else ndgrad.int64))
        else:
            out.append(ndgrad.tensor(a, dtype=dtype, requires_grad=requires_grad and m))
    return out


def to_torch(torch, sample: Sample, dtype, requires_grad: bool = True) -> list:
    out = []
    for a, m, im in zip(sample.inputs, sample.diff_mask, sample.int_mask or [False] * len(sample.inputs)):
        if a is None or not isinstance(a, np.ndarray):
            out.append(a)
        elif im:
            out.append(torch.tensor(a, dtype=torch.bool if a.dtype == bool else torch.int64))
        else:
            out.append(torch.tensor(a, dtype=dtype, requires_grad=requires_grad and m))
    return out


SAMPLES = build_samples()
