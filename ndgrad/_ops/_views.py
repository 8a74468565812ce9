"""View bookkeeping: what an output of a view op shares with its input's base."""
from __future__ import annotations

from typing import Any

from .._tensor import Tensor, ViewInfo
from ..autograd.grad_mode import STATE

_new = object.__new__


def mark_views(op: Any, x: Tensor, attrs: dict, result: Any) -> None:
    """Outputs of a view op share x's memory and version counter and know how to be replayed
    from x's base (needed when one of them is written in place). As in torch, a view of a base
    that requires grad requires grad too, even when made in no_grad mode."""
    info = x._view
    base = info.base if info is not None else x
    prefix = info.chain if info is not None else ()
    multi = op.n_outputs != 1  # torch's CreationMeta, else the viewed view's:
    creation = ("no_grad" if not STATE.enabled else "multi" if multi else
                info.creation if info is not None else "default")
    requires_grad = base._requires_grad
    vc = x._vc
    version = vc[0]
    inference = x._is_inference  # (a view is what its base is; False is the class default)
    conj = x._is_conj
    outs = result if type(result) is tuple else (result,)
    for i, r in enumerate(outs):
        r._vc = vc
        if inference:
            r._is_inference = True
        view = _new(ViewInfo)
        view.base, view.chain, view.creation, view.version = (
            base, prefix + ((op, attrs, i if multi else None),), creation, version)
        r._view = view
        if conj and r._data.dtype.kind == "c":  # complex views of a conjugate keep the bit
            r._is_conj = True
        if requires_grad and not r._requires_grad and r._data.dtype.kind in "fc":
            r._requires_grad = True
