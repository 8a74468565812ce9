"""Torch sample inputs frozen once and rebuilt as fresh torch or ndgrad leaves for every check.

Tensors keep their storage, offset and strides (non-contiguous and expanded samples stay so in
both libraries), their dtype and requires_grad; other values go through `names.map_value`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import ndgrad

from .names import Missing, map_dtype, map_value


@dataclass(frozen=True)
class TensorSpec:
    storage: tuple  # key into Frozen.storages
    shape: tuple
    strides: tuple  # in elements
    offset: int
    requires_grad: bool
    plain: bool  # the tensor is its whole storage, contiguous: rebuilt without a view


class Frozen:
    """A snapshot of (input, args, kwargs) taken right after the sample was generated."""

    def __init__(self, value: Any) -> None:
        self.storages: dict[tuple, torch.Tensor] = {}
        self.value = self._freeze(value)

    def _freeze(self, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return self._freeze_tensor(value)
        if isinstance(value, tuple) and not hasattr(value, "_fields") and \
                not isinstance(value, torch.Size):
            return tuple(self._freeze(v) for v in value)
        if isinstance(value, list):
            return [self._freeze(v) for v in value]
        if isinstance(value, dict):
            return {k: self._freeze(v) for k, v in value.items()}
        return value

    def _freeze_tensor(self, t: torch.Tensor) -> Any:
        if t.layout != torch.strided:
            return _Unsupported(f"{t.layout} tensors")
        if t.is_conj() or t.is_neg():
            t = t.resolve_conj().resolve_neg()
        storage = t.untyped_storage()
        key = (storage.data_ptr(), t.dtype)
        if key not in self.storages:
            numel = storage.nbytes() // t.element_size()
            with torch.no_grad():
                flat = torch.empty(0, dtype=t.dtype).set_(storage, 0, (numel,), (1,))
                self.storages[key] = flat.clone()
        numel = self.storages[key].numel()
        plain = t.is_contiguous() and t.storage_offset() == 0 and t.numel() == numel
        return TensorSpec(key, tuple(t.shape), tuple(t.stride()), t.storage_offset(),
                          t.requires_grad, plain)

    def build(self, lib: str, upcast: bool = False) -> tuple[Any, list]:
        """Fresh tensors (`lib` = 'torch' or 'ndgrad') and the leaves that require grad;
        upcast: torch's float32 tensors become float64 (an accuracy reference)."""
        leaves: list = []
        storages: dict[tuple, Any] = {}
        make = self._torch_tensor if lib == "torch" else self._ndgrad_tensor

        def build(value: Any) -> Any:
            if isinstance(value, TensorSpec):
                t = make(value, storages)
                if upcast and t.dtype == torch.float32:
                    t = t.to(torch.float64)
                if value.requires_grad:
                    t.requires_grad_(True)
                    leaves.append(t)
                return t
            if isinstance(value, _Unsupported):
                if lib == "torch":
                    raise AssertionError("unsupported values are rebuilt only for ndgrad")
                raise Missing(value.what)
            if isinstance(value, tuple) and not hasattr(value, "_fields") and \
                    not isinstance(value, torch.Size):
                return tuple(build(v) for v in value)
            if isinstance(value, list):
                return [build(v) for v in value]
            if isinstance(value, dict):
                return {k: build(v) for k, v in value.items()}
            return value if lib == "torch" else map_value(value)

        return build(self.value), leaves

    def _torch_tensor(self, spec: TensorSpec, storages: dict) -> torch.Tensor:
        if spec.storage not in storages:
            storages[spec.storage] = self.storages[spec.storage].clone()
        flat = storages[spec.storage]
        with torch.no_grad():
            if spec.plain:
                return flat.view(spec.shape)
            return flat.as_strided(spec.shape, spec.strides, spec.offset)

    def _ndgrad_tensor(self, spec: TensorSpec, storages: dict) -> Any:
        if spec.storage not in storages:
            map_dtype(spec.storage[1])  # Missing for dtypes ndgrad lacks
            storages[spec.storage] = self.storages[spec.storage].numpy().copy()
        flat = storages[spec.storage]
        if spec.plain:
            arr = flat.reshape(spec.shape)
        else:
            item = flat.itemsize
            arr = np.lib.stride_tricks.as_strided(
                flat[spec.offset:], spec.shape, tuple(s * item for s in spec.strides))
        return ndgrad.from_numpy(arr)


@dataclass(frozen=True)
class _Unsupported:
    what: str


def tensors_of(value: Any) -> list:
    """Every tensor in a nested output, in order (torch or ndgrad)."""
    out: list = []

    def walk(v: Any) -> None:
        if isinstance(v, (torch.Tensor, ndgrad.Tensor)):
            out.append(v)
        elif isinstance(v, (list, tuple)):
            for item in v:
                walk(item)
        elif isinstance(v, dict):
            for item in v.values():
                walk(item)

    walk(value)
    return out


def replace_tensors(value: Any, mapping: dict[int, Any]) -> Any:
    """value with tensors swapped by identity (for dual tensors in forward AD)."""
    if id(value) in mapping:
        return mapping[id(value)]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(replace_tensors(v, mapping) for v in value)
    if isinstance(value, list):
        return [replace_tensors(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: replace_tensors(v, mapping) for k, v in value.items()}
    return value


def to_numpy(t: Any) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)
    return np.asarray(t.detach().numpy(force=True))  # force: conjugate bit resolved
