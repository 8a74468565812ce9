"""How precisely torch itself knows a derivative at a sample.

Some derivatives are ill-conditioned at the sample torch's OpInfo gives: svd_lowrank's complex
second derivative moves by up to 1e-5 relative when its float64 inputs move by a few ulps
(torch's OpInfo says so: "should be tol(atol=1e-04, rtol=1e-04)" for complex128). There torch's
value carries rounding noise far above the default tolerance, and asking ndgrad to agree with
that noise would ask it to repeat torch's rounding, not its mathematics.

So where a double-precision derivative differs from torch's, the harness reruns torch on copies
of the inputs perturbed by a few ulps and measures how far torch's own answer moves. ndgrad
passes only if it lies within that spread of torch's value (times a margin) AND its derivative
agrees with finite differences of its own function. A well-conditioned derivative has a spread
of a few ulps, so a real error there still fails. The rule holds for every entry alike: it is
not an allow-list.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from .compare import Mismatch, Tolerance
from .convert import tensors_of, to_numpy

PERTURBED_RUNS = 4
RELATIVE_STEP = 4 * np.finfo(np.float64).eps  # a few ulps of each double-precision input
MARGIN = 8.0  # ndgrad may differ from torch's value by this many times torch's own spread
DOUBLE = (torch.float64, torch.complex128)


def _perturb(leaves: list, rng: np.random.Generator) -> None:
    with torch.no_grad():
        for leaf in leaves:
            if leaf.dtype in DOUBLE and leaf.numel():
                noise = rng.standard_normal(tuple(leaf.shape))
                leaf.mul_(torch.from_numpy(1 + RELATIVE_STEP * noise))


def torch_derivatives(build: Callable[[], tuple], forward: Callable[[tuple], Any],
                      process: Callable[[Any], Any], vs: list, ws: list | None,
                      keep: list | None, rng: np.random.Generator | None) -> list:
    """torch's gradient (ws None) or second-order gradient at the sample, its double-precision
    inputs perturbed by a few ulps when rng is given; None entries become zeros."""
    built, leaves = build()
    if rng is not None:
        _perturb(leaves, rng)
    outs = [t for t in tensors_of(process(forward(built))) if t.requires_grad]
    gradgrad = ws is not None
    vs = [v.detach().clone().requires_grad_(gradgrad) for v in vs]
    g = torch.autograd.grad(outs, leaves, vs, allow_unused=True, create_graph=gradgrad)
    inputs = leaves
    if gradgrad:
        inputs = leaves + vs
        g = torch.autograd.grad([g[i] for i in keep], inputs, ws, allow_unused=True)
    return [np.zeros(tuple(x.shape), to_numpy(x.detach()).dtype) if d is None else
            to_numpy(d.detach()) for d, x in zip(g, inputs)]


def within_torch_noise(torch_run: Callable[[np.random.Generator | None], list],
                       nd_values: list, tol: Tolerance, seed: int) -> bool:
    """Whether ndgrad's derivative lies within torch's own rounding spread of torch's value."""
    try:
        base = torch_run(None)
        rng = np.random.default_rng(seed)
        runs = [torch_run(rng) for _ in range(PERTURBED_RUNS)]
    except (RuntimeError, ValueError, Mismatch):  # torch itself fails nearby: no verdict
        return False
    if len(nd_values) != len(base):
        return False
    for i, (b, n) in enumerate(zip(base, nd_values)):
        n = np.zeros_like(b) if n is None else np.asarray(n)
        if n.shape != b.shape:
            return False
        spread = np.max([np.abs(r[i] - b) for r in runs], axis=0)
        allowed = tol.atol + tol.rtol * np.abs(b) + MARGIN * spread
        with np.errstate(invalid="ignore"):
            if not np.all((np.abs(n - b) <= allowed) | (np.isnan(n) & np.isnan(b))):
                return False
    return True
