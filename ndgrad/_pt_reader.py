"""torch's .pt checkpoints (torch.save's zip of a pickle and raw storages), read by a restricted
pickle-opcode interpreter: only the opcodes torch.save emits and only the callables listed
here, so a loaded file can never import or run code."""
from __future__ import annotations

import collections
import io
import math
import struct
import zipfile
from typing import Any

import numpy as np

from . import _dtype
from ._tensor import Tensor

_STORAGE_DTYPES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
                   "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
                   "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
                   "BFloat16Storage": "<u2", "UntypedStorage": "u1"}


class _StorageType:
    def __init__(self, name: str) -> None:
        self.name = name


class _Storage:
    """A storage read from the archive: a flat array (bfloat16 kept as its uint16 bits; an
    UntypedStorage as bytes, typed by the _rebuild_tensor_v3 call that reads it)."""

    def __init__(self, array: np.ndarray, bf16: bool, big: bool = False) -> None:
        self.array, self.bf16, self.big = array, bf16, big


def _rebuild_tensor(storage: _Storage, offset: int, size: tuple, stride: tuple,
                    requires_grad: bool = False, *_: Any) -> Tensor:
    if not isinstance(storage, _Storage):
        raise ValueError(f"expected a storage, got {type(storage).__name__}")
    bf16, storage = storage.bf16, storage.array
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise ValueError(f"invalid tensor geometry: size {size}, stride {stride}")
    if math.prod(size) and offset + sum((n - 1) * s for n, s in zip(size, stride)) >= storage.size:
        raise ValueError(f"tensor of size {size} and stride {stride} at offset {offset} reads "
                         f"beyond its storage of {storage.size} elements")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:] if math.prod(size) else storage,
                                           size, tuple(s * item for s in stride), writeable=False)
    arr = np.array(view, dtype=view.dtype.newbyteorder("="))
    if bf16:
        arr = (arr.astype(np.uint32) << 16).view(np.float32)
    return Tensor._make(arr, bool(requires_grad))


def _rebuild_tensor_v3(storage: _Storage, offset: int, size: tuple, stride: tuple,
                       requires_grad: bool, hooks: Any, dtype: Any, *_: Any) -> Tensor:
    """torch's rebuild for the dtypes without a typed storage class (uint16/32/64)."""
    if not (isinstance(storage, _Storage) and isinstance(dtype, _dtype.dtype)):
        raise ValueError("expected an untyped storage and a dtype")
    raw = storage.array
    typed = np.dtype(dtype.np).newbyteorder(">" if storage.big else "<")
    if raw.dtype != np.uint8 or raw.size % typed.itemsize:
        raise ValueError(f"a storage of {raw.size} bytes cannot hold {dtype!r} elements")
    return _rebuild_tensor(_Storage(raw.view(typed), False), offset, size, stride, requires_grad)


def _rebuild_parameter(data: Tensor, requires_grad: bool, *_: Any) -> Any:
    from .nn import Parameter

    return Parameter(data, bool(requires_grad))


def _ordered_dict(*args: Any) -> collections.OrderedDict:
    return collections.OrderedDict(*args)


_CALLABLES = (_ordered_dict, _rebuild_tensor, _rebuild_tensor_v3, _rebuild_parameter)
_ALLOWED = {("collections", "OrderedDict"): _ordered_dict,
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
            ("torch.storage", "UntypedStorage"): _StorageType("UntypedStorage"),
            **{("torch", d.name): d for d in _dtype.BAREBONES_UNSIGNED},
            **{("torch", k): _StorageType(k) for k in _STORAGE_DTYPES}}


def read_pt(buf: bytes, where: str) -> Any:
    """The object a torch .pt file (its bytes) holds; where names it in errors."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(buf))
        pkl = next(n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
    except (zipfile.BadZipFile, StopIteration):
        raise ValueError(f"{where}: a zip file without data.pkl: not a PyTorch "
                         "checkpoint") from None
    prefix = pkl[: -len("data.pkl")]
    big = prefix + "byteorder" in zf.namelist() and zf.read(prefix + "byteorder") == b"big"
    storages: dict[str, _Storage] = {}

    def load_storage(pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise ValueError(f"{where}: unsupported persistent id {pid!r}")
        key = str(pid[2])
        if key not in storages:
            code = _STORAGE_DTYPES[pid[1].name]
            dt = np.dtype(code).newbyteorder(">") if big and code[0] == "<" else np.dtype(code)
            try:
                raw = zf.read(f"{prefix}data/{key}")
            except KeyError:
                raise ValueError(f"{where}: storage {key!r} is missing from the archive") from None
            arr = np.frombuffer(raw, dtype=dt, count=len(raw) // dt.itemsize)
            storages[key] = _Storage(arr, pid[1].name == "BFloat16Storage", big)
        return storages[key]

    return _Unpickler(zf.read(pkl), load_storage, where).load()


class _Unpickler:
    """A pickle-opcode interpreter for torch's checkpoints: only the opcodes torch.save emits
    and only the callables in _ALLOWED; anything else is refused before it can run."""

    def __init__(self, data: bytes, persistent_load: Any, where: str) -> None:
        self.data, self.pos, self.persistent_load, self.where = data, 0, persistent_load, where

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError(f"{self.where}: truncated pickle in data.pkl")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def num(self, fmt: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def line(self) -> str:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise ValueError(f"{self.where}: truncated pickle in data.pkl")
        out, self.pos = self.data[self.pos:end].decode("utf-8"), end + 1
        return out

    def find(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise ValueError(f"{self.where}: refusing to load global '{module}.{name}': "
                             "ndgrad only reads tensors, storages and OrderedDicts from .pt files "
                             "and never imports or calls anything else")
        return _ALLOWED[(module, name)]

    def load(self) -> Any:
        stack: list[Any] = []
        marks: list[int] = []
        memo: dict[int, Any] = {}

        def pop_mark() -> list:
            start = marks.pop()
            items = stack[start:]
            del stack[start:]
            return items

        while True:
            op = self.take(1)
            if op == b"\x80":
                self.take(1)
            elif op == b"\x95":  # FRAME
                self.take(8)
            elif op == b".":
                return stack.pop()
            elif op == b"(":
                marks.append(len(stack))
            elif op in (b"}", b"]", b")"):
                stack.append({b"}": {}, b"]": [], b")": ()}[op])
            elif op == b"N":
                stack.append(None)
            elif op in (b"\x88", b"\x89"):
                stack.append(op == b"\x88")
            elif op in (b"K", b"M", b"J"):  # BININT1, BININT2, BININT
                stack.append(self.num({b"K": "<B", b"M": "<H", b"J": "<i"}[op]))
            elif op == b"\x8a":  # LONG1
                stack.append(int.from_bytes(self.take(self.num("<B")), "little", signed=True))
            elif op == b"G":
                stack.append(self.num(">d"))
            elif op in (b"X", b"\x8c", b"\x8d"):
                n = self.num({b"X": "<I", b"\x8c": "<B", b"\x8d": "<Q"}[op])
                stack.append(self.take(n).decode("utf-8"))
            elif op in (b"B", b"C"):
                stack.append(self.take(self.num("<I" if op == b"B" else "<B")))
            elif op in (b"q", b"r", b"\x94"):  # BINPUT, LONG_BINPUT, MEMOIZE
                idx = len(memo) if op == b"\x94" else self.num("<B" if op == b"q" else "<I")
                memo[idx] = stack[-1]
            elif op in (b"h", b"j"):
                idx = self.num("<B" if op == b"h" else "<I")
                if idx not in memo:
                    raise ValueError(f"{self.where}: bad memo reference in data.pkl")
                stack.append(memo[idx])
            elif op == b"t":
                stack.append(tuple(pop_mark()))
            elif op in (b"\x85", b"\x86", b"\x87"):
                n = b"\x85\x86\x87".index(op) + 1
                items = tuple(stack[-n:])
                del stack[-n:]
                stack.append(items)
            elif op == b"a":
                v = stack.pop()
                stack[-1].append(v)
            elif op == b"e":
                items = pop_mark()
                stack[-1].extend(items)
            elif op == b"s":
                v, k = stack.pop(), stack.pop()
                stack[-1][k] = v
            elif op == b"u":
                items = pop_mark()
                for k, v in zip(items[0::2], items[1::2]):
                    stack[-1][k] = v
            elif op == b"c":
                stack.append(self.find(self.line(), self.line()))
            elif op == b"\x93":  # STACK_GLOBAL
                name, module = stack.pop(), stack.pop()
                stack.append(self.find(module, name))
            elif op == b"Q":
                stack.append(self.persistent_load(stack.pop()))
            elif op == b"R":
                args, fn = stack.pop(), stack.pop()
                if not any(fn is c for c in _CALLABLES) or not isinstance(args, tuple):
                    raise ValueError(f"{self.where}: refusing to call {fn!r} in data.pkl")
                stack.append(fn(*args))
            elif op == b"b":  # BUILD: only plain attribute dicts (OrderedDict._metadata)
                state, obj = stack.pop(), stack[-1]
                if not (isinstance(obj, collections.OrderedDict) and isinstance(state, dict)
                        and all(isinstance(k, str) and not k.startswith("__") for k in state)):
                    raise ValueError(f"{self.where}: refusing to restore state of "
                                     f"{type(obj).__name__} in data.pkl")
                obj.__dict__.update(state)
            else:
                raise ValueError(f"{self.where}: unsupported pickle opcode {op!r} at byte "
                                 f"{self.pos - 1} of data.pkl; ndgrad's .pt reader only "
                                 "handles what torch.save writes")
