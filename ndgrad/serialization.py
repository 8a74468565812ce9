"""ndgrad.save / ndgrad.load: checkpoints as safetensors files, never pickle.

Tensors go in the safetensors body under flattened names ('model.weight'); the nesting of
dicts/lists/tuples and the Python scalars around them go as JSON in '__metadata__'."""
from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import struct
import tempfile
from typing import Any, BinaryIO, Union

import numpy as np

from ._pt_reader import read_pt as _read_pt
from ._tensor import Size, Tensor

__all__ = ["save", "load"]

FILE_LIKE = Union[str, os.PathLike, BinaryIO]
_STRUCTURE_KEY = "ndgrad.structure"
# safetensors dtype codes <-> NumPy (little-endian); BF16 is read only, widened to float32
_CODES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2", "I32": "<i4",
          "I64": "<i8", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
_READ_CODES = {**_CODES, "BF16": "<u2"}
_KIND_TO_CODE = {(np.dtype(v).kind, np.dtype(v).itemsize): k for k, v in _CODES.items()}
_DICT_TAGS = {dict: "dict", collections.OrderedDict: "odict", collections.Counter: "counter"}


# *** the structure around the tensors, as JSON ***

class _Encoder:
    """Turn obj into a JSON-able tree; tensors become {"T": "tensor", "key": name}."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.names: dict[int, str] = {}  # id(tensor) -> name: a shared tensor is stored once

    def name_for(self, path: list[str]) -> str:
        base = ".".join(path) or "tensor"
        name, i = base, 1
        while name in self.arrays or name == "__metadata__":
            name, i = f"{base}~{i}", i + 1
        return name

    def encode(self, obj: Any, path: list[str]) -> Any:
        if obj is None or type(obj) in (bool, int, str):
            return obj
        if isinstance(obj, np.generic):
            return self.encode(obj.item(), path)
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"T": "float", "v": repr(obj)}
        if isinstance(obj, (Tensor, np.ndarray)):
            return self.tensor(obj, path)
        if type(obj) in _DICT_TAGS:
            tag = _DICT_TAGS[type(obj)]
            return {"T": tag, "items": [[self.encode(k, []), self.encode(v, path + [str(k)])]
                                        for k, v in obj.items()]}
        if type(obj) in (list, tuple):
            return {"T": type(obj).__name__,
                    "items": [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]}
        if type(obj).__name__ == "Size" and isinstance(obj, tuple):
            return {"T": "size", "items": list(obj)}
        raise TypeError(f"ndgrad.save can't store an object of type {type(obj).__qualname__} "
                        f"(at {'.'.join(path) or 'the top level'}): only tensors, NumPy arrays, "
                        "dicts, lists, tuples, str, int, float, bool and None are supported")

    def tensor(self, obj: Any, path: list[str]) -> dict:
        arr = obj._data if isinstance(obj, Tensor) else obj
        if (arr.dtype.kind, arr.dtype.itemsize) not in _KIND_TO_CODE:
            raise TypeError(f"ndgrad.save can't store dtype {arr.dtype} (at {'.'.join(path)})")
        name = self.names.get(id(obj))
        if name is None:
            name = self.names[id(obj)] = self.name_for(path)
            self.arrays[name] = arr
        flags = {"numpy": isinstance(obj, np.ndarray),
                 "parameter": type(obj).__name__ == "Parameter",
                 "requires_grad": isinstance(obj, Tensor) and obj.requires_grad}
        return {"T": "tensor", "key": name, **{k: True for k, v in flags.items() if v}}


class _BadStructure(Exception):
    pass


def _decode(text: str, tensors: dict[str, np.ndarray], where: str) -> Any:
    try:
        structure = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: the ndgrad structure in __metadata__ is not valid JSON: "
                         f"{e}") from None
    try:
        return _decode_node(structure, tensors, {})
    except _BadStructure as e:
        raise ValueError(f"{where}: invalid ndgrad structure in __metadata__: {e}") from None
    except (KeyError, TypeError, ValueError, RecursionError) as e:
        raise ValueError(f"{where}: invalid ndgrad structure in __metadata__ ({e!r})") from None


def _decode_node(node: Any, tensors: dict[str, np.ndarray], memo: dict) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if not isinstance(node, dict) or "T" not in node:
        raise _BadStructure(f"unexpected {node!r}")
    tag = node["T"]
    if tag == "tensor":
        return _decode_tensor(node, tensors, memo)
    if tag == "float":
        return float(node["v"])
    if tag in ("dict", "odict", "counter"):
        pairs = [(_decode_node(k, tensors, memo), _decode_node(v, tensors, memo))
                 for k, v in node["items"]]
        return {v: k for k, v in _DICT_TAGS.items()}[tag](dict(pairs))
    if tag in ("list", "tuple", "size"):
        values = [_decode_node(v, tensors, memo) for v in node["items"]]
        if tag == "size":
            return Size(int(v) for v in values)
        return values if tag == "list" else tuple(values)
    raise _BadStructure(f"unknown tag {tag!r}")


def _decode_tensor(node: dict, tensors: dict[str, np.ndarray], memo: dict) -> Any:
    key = node["key"]
    if not isinstance(key, str) or key not in tensors:
        raise _BadStructure(f"it refers to tensor {key!r}, which the file does not contain")
    memo_key = (key, bool(node.get("numpy")))
    if memo_key not in memo:
        arr = tensors[key]
        if node.get("numpy"):
            memo[memo_key] = arr
        elif node.get("parameter"):
            from .nn import Parameter

            memo[memo_key] = Parameter(Tensor._make(arr), bool(node.get("requires_grad")))
        else:
            memo[memo_key] = Tensor._make(arr, bool(node.get("requires_grad")))
    return memo[memo_key]


# *** the safetensors container ***

def _serialize(obj: Any) -> tuple[bytes, list[np.ndarray]]:
    """(8-byte length + JSON header, tensor buffers in file order)."""
    enc = _Encoder()
    structure = enc.encode(obj, [])
    header: dict[str, Any] = {"__metadata__": {"format": "pt", _STRUCTURE_KEY:
                                               json.dumps(structure, separators=(",", ":"))}}
    # widest dtypes first keeps every tensor aligned to its element size (as safetensors does)
    order = sorted(enc.arrays.items(), key=lambda kv: -kv[1].dtype.itemsize)
    buffers, offset = [], 0
    for name, arr in order:
        code = _KIND_TO_CODE[(arr.dtype.kind, arr.dtype.itemsize)]
        data = np.ascontiguousarray(arr, dtype=np.dtype(_CODES[code]))
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + data.nbytes]}
        buffers.append(data)
        offset += data.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # pad so the data section starts 8-byte aligned
    return struct.pack("<Q", len(raw)) + raw, buffers


def _write_data(fh: BinaryIO, buffers: list[np.ndarray]) -> None:
    for data in buffers:
        fh.write(memoryview(data.reshape(-1)).cast("B"))


def _parse_safetensors(buf: bytes, where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Validate and read a safetensors buffer into (name -> array, metadata)."""
    if len(buf) < 8:
        raise ValueError(f"{where}: not a safetensors file: {len(buf)} bytes is too short for "
                         "the 8-byte header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise ValueError(f"{where}: header length {n} is beyond the file size ({len(buf)} "
                         "bytes): the file is truncated or not a safetensors file")
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{where}: the safetensors header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{where}: the safetensors header must be a JSON object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in meta.items()):
        raise ValueError(f"{where}: __metadata__ must map strings to strings")
    data, size = memoryview(buf)[8 + n:], len(buf) - 8 - n
    entries = []
    for name, info in header.items():
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (TypeError, KeyError, ValueError):
            raise ValueError(f"{where}: tensor {name!r} needs 'dtype', 'shape' and two "
                             "'data_offsets'") from None
        if code not in _READ_CODES:
            raise ValueError(f"{where}: tensor {name!r} has unknown dtype {code!r} (known: "
                             f"{', '.join(_READ_CODES)})")
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
            raise ValueError(f"{where}: tensor {name!r} has an invalid shape {shape!r}")
        if not (type(begin) is int and type(end) is int and 0 <= begin <= end <= size):
            raise ValueError(f"{where}: tensor {name!r} has data offsets [{begin}, {end}] out of "
                             f"range of the {size}-byte data section")
        itemsize = np.dtype(_READ_CODES[code]).itemsize
        if end - begin != math.prod(shape) * itemsize:
            raise ValueError(f"{where}: tensor {name!r} of shape {shape} and dtype {code} needs "
                             f"{math.prod(shape) * itemsize} bytes but its offsets span "
                             f"{end - begin}")
        entries.append((begin, end, name, code, shape))
    entries.sort()
    pos, prev = 0, None
    for begin, end, name, _, _ in entries:
        if begin < pos:
            raise ValueError(f"{where}: tensors {prev!r} and {name!r} have overlapping data "
                             "offsets")
        if begin > pos:
            raise ValueError(f"{where}: {begin - pos} unused bytes before tensor {name!r}: the "
                             "data offsets are not contiguous")
        pos, prev = end, name
    if pos != size:
        raise ValueError(f"{where}: the data section has {size} bytes but the tensors cover "
                         f"{pos}: the file is truncated or corrupted")
    arrays = {}
    for begin, end, name, code, shape in entries:
        arr = np.frombuffer(data[begin:end], dtype=_READ_CODES[code]).reshape(shape)
        if code == "BF16":  # bfloat16 is the top half of a float32
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        arrays[name] = arr.astype(arr.dtype.newbyteorder("="), copy=True)
    return arrays, meta


# *** public API ***

def save(obj: Any, f: FILE_LIKE, pickle_module: Any = None, pickle_protocol: Any = None,
         _use_new_zipfile_serialization: bool = True) -> None:
    """Save tensors and (nested) dicts/lists/tuples of tensors and Python scalars to ``f``.

    The file is a safetensors file: other tools read its tensors by flattened name
    ('model.weight'). Writing to a path is atomic: a temporary file in the same directory is
    written, fsynced and renamed over ``f``, so a crash never leaves a half-written file.

    Example::
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
        >>> ndgrad.save({"w": ndgrad.ones(2), "step": 3}, path)
        >>> ndgrad.load(path)
        {'w': tensor([1., 1.]), 'step': 3}
    """
    head, buffers = _serialize(obj)
    if not isinstance(f, (str, os.PathLike)):
        f.write(head)
        _write_data(f, buffers)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(head)
            _write_data(fh, buffers)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def load(f: FILE_LIKE, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = True, mmap: bool | None = None, **kwargs: Any) -> Any:
    """Load what :func:`save` wrote; plain safetensors files load as ``{name: tensor}``.

    PyTorch ``.pt`` checkpoints (torch.save's zip format) are read by a restricted reader that
    accepts only tensors, parameters, OrderedDicts and plain containers; it never unpickles
    arbitrary objects, so loading can't run code. Only the CPU is a valid ``map_location``.
    """
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        where = os.fspath(f)
        with open(where, "rb") as fh:
            buf = fh.read()
    else:
        where = str(getattr(f, "name", None) or f"<{type(f).__name__}>")
        buf = f.read()
    if buf[:4] == b"PK\x03\x04":
        return _read_pt(buf, where)
    try:
        arrays, meta = _parse_safetensors(buf, where)
    except ValueError:
        if buf[:1] == b"\x80" and len(buf) > 1 and buf[1] <= 5:  # a pickle's PROTO opcode
            raise ValueError(f"{where}: this looks like a pickle file (e.g. PyTorch's legacy "
                             "pre-1.6 format); ndgrad never unpickles. Convert it with PyTorch: "
                             "safetensors.torch.save_file(torch.load(path), 'x.safetensors'), "
                             "or re-save it with a current torch.save (zip format)") from None
        raise
    if _STRUCTURE_KEY not in meta:
        return {k: Tensor._make(v) for k, v in arrays.items()}
    return _decode(meta[_STRUCTURE_KEY], arrays, where)


def _check_map_location(map_location: Any) -> None:
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for t in targets if map_location is not None and not callable(map_location) else []:
        if str(t).split(":")[0] != "cpu":
            raise RuntimeError(f"ndgrad runs on the CPU only; can't map tensors to {t!r}")
