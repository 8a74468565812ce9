"""The op test table: one entry per sample of every registered op, built from the declarations.

Declaration keywords read here (all optional, given to @primitive / @composite):
  shapes=[shape, ...] (one input) or [(shape_a, shape_b), ...] (two inputs)
  samples=[(shape or (shape_a, shape_b, None, ...), attrs), ...]   None = an absent optional input;
                         a third item in a sample gives skips for that sample only
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
  complex=True           (composites) the op takes complex input; primitives say it in their
                         declaration. Such ops also get complex samples: every floating input
                         drawn complex (real and imaginary parts in the domain), and one sample
                         with only the first input complex
  complex_only=True      only the complex samples (the op needs complex input)
  complex_mixed=True     also a sample with only the first input complex (ops that promote)
  complex_inputs=(...)   the inputs made complex in complex samples (default: every floating one)
  complex_samples=False  no complex samples (the op takes real input and makes complex output);
                         or a function of a sample's attrs saying whether it gets them
  complex_skips=(...)    skips for the complex samples only; mixed_skips=(...) for the mixed one
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
        shapes = ",".join((("x".join(map(str, a.shape)) or "0d")
                           + ("c" if a.dtype.kind == "c" else "")) if isinstance(a, np.ndarray)
                          else repr(a) for a in self.inputs)
        extra = ",".join(f"{k}={_short(v)}" for k, v in self.attrs.items())
        return f"{self.name}[{shapes}]{'(' + extra + ')' if extra else ''}"

    @property
    def is_complex(self) -> bool:
        return any(isinstance(a, np.ndarray) and a.dtype.kind == "c" for a in self.inputs) or any(
            isinstance(a, complex) for a in self.inputs)


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


def _entries() -> list[tuple[str, Callable, dict, tuple, bool, Any]]:
    out = []
    for op in REGISTRY.values():
        if op.tests.get("samples") or op.tests.get("shapes"):
            out.append((op.name, op.public, op.tests, op.inputs, op.differentiable, op.complex))
    for name, meta in COMPOSITE_TESTS.items():
        import inspect

        params = [p.name for p in inspect.signature(meta["fn"]).parameters.values()
                  if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
        out.append((name, meta["fn"], meta, tuple(meta.get("inputs", params)),
                    meta.get("differentiable", True), meta.get("complex", False)))
    return out


def _complexify(rng: np.random.Generator, sample: Sample, meta: dict, first_only: bool) -> Sample:
    """The sample with its floating inputs made complex (imaginary parts drawn like the real)."""
    domain = meta.get("domain", (-2.0, 2.0))
    kinks = tuple(meta.get("kinks", ()))
    inputs = list(sample.inputs)
    done = False
    only = meta.get("complex_inputs")
    for i, (a, n) in enumerate(zip(sample.inputs, sample.input_names)):
        if not isinstance(a, np.ndarray) or sample.int_mask[i] or a.dtype.kind != "f":
            continue
        if only is not None and n not in only:
            continue
        if first_only and done:
            break
        d = domain.get(n, (-2.0, 2.0)) if isinstance(domain, dict) else domain
        inputs[i] = np.asarray(a + 1j * _draw(rng, a.shape, d, kinks))
        done = True
    skips = tuple(sample.skips) + tuple(meta.get("complex_skips", ()))
    if first_only:
        skips += tuple(meta.get("mixed_skips", ()))
    return Sample(sample.name, sample.fn, sample.torch_fn, inputs, sample.input_names,
                  dict(sample.attrs), sample.differentiable, list(sample.diff_mask), skips,
                  sample.rtol, sample.atol, list(sample.int_mask))


def build_samples() -> list[Sample]:
    samples = []
    for idx, (name, fn, meta, input_names, differentiable, cx) in enumerate(_entries()):
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
        for shp, attrs, *own_skips in specs:  # a third item: skips of this sample only
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
            skips = tuple(meta.get("skips", ())) + tuple(own_skips[0] if own_skips else ())
            real = Sample(name, fn, torch_fn, inputs, tuple(names), dict(attrs), differentiable,
                          mask, skips,
                          meta.get("rtol", 1e-4), meta.get("atol", 1e-5), imask)
            scalar = None
            if meta.get("scalar") and len(inputs) == 2 and inputs[1] is not None:
                scalar = Sample(name, fn, torch_fn, [inputs[0], 1.5], tuple(names),
                                dict(attrs), differentiable, [mask[0], False],
                                tuple(meta.get("skips", ())), meta.get("rtol", 1e-4),
                                meta.get("atol", 1e-5), [False, False])
            if not meta.get("complex_only"):
                samples.extend(s for s in (real, scalar) if s is not None)
            wanted = meta.get("complex_samples", True)
            if not cx or not (wanted(attrs) if callable(wanted) else wanted):
                continue
            floats = sum(isinstance(a, np.ndarray) and not m and a.dtype.kind == "f"
                         for a, m in zip(inputs, imask))
            if not floats:
                continue
            samples.append(_complexify(rng, real, meta, first_only=False))
            if scalar is not None:
                samples.append(_complexify(rng, scalar, meta, first_only=False))
                with_complex_number = _complexify(rng, scalar, meta, first_only=False)
                with_complex_number.inputs[1] = 1.5 - 0.5j
                samples.append(with_complex_number)
            if floats > 1 and meta.get("complex_mixed") and shp is specs[0][0]:
                samples.append(_complexify(rng, real, meta, first_only=True))  # mixed
    return samples


def to_ndgrad(sample: Sample, dtype, requires_grad: bool = True) -> list:
    """The sample's inputs as ndgrad tensors of dtype (its complex counterpart for complex
    inputs)."""
    out = []
    for a, m, im in zip(sample.inputs, sample.diff_mask, sample.int_mask or [False] * len(sample.inputs)):
        if a is None or not isinstance(a, np.ndarray):
            out.append(a)
        elif im:
            out.append(ndgrad.tensor(a, dtype=ndgrad.bool if a.dtype == bool else ndgrad.int64))
        else:
            dt = dtype.to_complex() if a.dtype.kind == "c" else dtype
            out.append(ndgrad.tensor(a, dtype=dt, requires_grad=requires_grad and m))
    return out


def to_torch(torch, sample: Sample, dtype, requires_grad: bool = True) -> list:
    out = []
    for a, m, im in zip(sample.inputs, sample.diff_mask, sample.int_mask or [False] * len(sample.inputs)):
        if a is None or not isinstance(a, np.ndarray):
            out.append(a)
        elif im:
            out.append(torch.tensor(a, dtype=torch.bool if a.dtype == bool else torch.int64))
        else:
            dt = dtype.to_complex() if a.dtype.kind == "c" else dtype
            out.append(torch.tensor(a, dtype=dt, requires_grad=requires_grad and m))
    return out


def real_loss(out, weights):
    """sum(Re(conj(w) * out)) (a real number for real or complex outputs) for either library:
    its gradient with respect to out is w in torch's convention."""
    if out.dtype.is_complex:
        return (out * weights.conj()).real.sum()
    return (out * weights).sum()


def random_weights(rng: np.random.Generator, shape: tuple, complex_: bool) -> np.ndarray:
    w = rng.standard_normal(shape)
    return w + 1j * rng.standard_normal(shape) if complex_ else w


SAMPLES = build_samples()
