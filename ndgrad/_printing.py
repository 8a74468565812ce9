"""Tensor ``repr``/``str`` formatting that reproduces PyTorch's output exactly.

Print options mirror ``torch.set_printoptions``; only NumPy is used."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np

__all__ = ["format_tensor", "set_printoptions", "get_printoptions"]


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}

_PREFIX = "tensor("


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set print options like ``torch.set_printoptions``.

    A profile ('default', 'short', 'full'; unknown names are ignored, as in torch)
    is applied first, then explicit options override it. ``sci_mode`` is always
    assigned, so omitting it restores automatic scientific notation.
    """
    if profile in _PROFILES:
        (_OPTS.precision, _OPTS.threshold, _OPTS.edgeitems, _OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """Current print options, usable as ``set_printoptions(**get_printoptions())``."""
    return asdict(_OPTS)


class _Formatter:
    """Chooses one number style and column width for every element of a tensor."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True  # floats that are all integral print as '3.'
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        # Only finite, nonzero values decide the style; zeros/nan/inf just follow it.
        # float64 holds every float16/float32 value exactly, so the tests below are unchanged.
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitude = np.abs(finite)
        lo, hi = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if _OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = _OPTS.sci_mode
        for v in finite.tolist():
            self.max_width = max(self.max_width, len(self._style(v)))

    def _style(self, value: float) -> str:
        """A finite nonzero value in the chosen style, without padding."""
        p = _OPTS.precision
        if self.sci_mode:
            return f"{value:.{p}e}"
        if self.int_mode:
            return f"{value:.0f}."
        return f"{value:.{p}f}"

    def format(self, value: float | int | bool) -> str:
        if not self.floating:
            text = str(value)
        elif self.int_mode and not self.sci_mode and not math.isfinite(value):
            text = f"{value:.0f}"  # 'nan', 'inf', '-inf' get no trailing '.'
        else:
            text = self._style(value)
        return text.rjust(self.max_width)


class _ComplexFormatter:
    """torch's complex style: the real and imaginary parts each get their own _Formatter; the
    imaginary part is written unpadded after its sign, with a trailing 'j'."""

    def __init__(self, values: np.ndarray) -> None:
        self.real = _Formatter(np.ascontiguousarray(values.real), True)
        self.imag = _Formatter(np.ascontiguousarray(values.imag), True)
        self.max_width = self.real.max_width + self.imag.max_width + 1  # line-wrapping width

    def format(self, value: complex) -> str:
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return self.real.format(value.real) + (imag if imag[0] in "+-" else "+" + imag)


def _summary_values(a: np.ndarray) -> np.ndarray:
    """Flat values that remain visible once a tensor is summarised with '...'.

    Follows torch's slicing literally, including that ``a[-0:]`` is the whole
    array when ``edgeitems`` is 0.
    """
    e = _OPTS.edgeitems
    if a.ndim == 0:
        return a.reshape(1)
    n = a.shape[0]
    if a.ndim == 1:
        return np.concatenate((a[:e], a[-e:])) if n > 2 * e else a
    if not e:
        return a.reshape(-1)[:0]
    rows: Iterable[int] = [*range(e), *range(n - e, n)] if n > 2 * e else range(n)
    return np.concatenate([_summary_values(a[i]) for i in rows])


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = _OPTS.edgeitems
    item_width = fmt.max_width + 2  # each item is followed by ', '
    per_line = max(1, math.floor((_OPTS.linewidth - indent) / item_width))
    if summarize and not e:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        items = [fmt.format(v) for v in a[:e].tolist()] + [" ..."]
        items += [fmt.format(v) for v in a[-e:].tolist()]
    else:
        items = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e, n = _OPTS.edgeitems, a.shape[0]
    if summarize and n > 2 * e:
        parts = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(e)]
        parts.append("...")
        parts += [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
    else:
        parts = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n)]
    # Sub-blocks of a k-d tensor are separated by k-1 newlines (blank lines for k >= 3).
    separator = "," + "\n" * (a.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _add_suffixes(text: str, suffixes: Sequence[str], indent: int) -> str:
    """Append ', suffix' items, moving one to its own line when it would overflow."""
    out = [text]
    # torch counts 2 extra columns on the current last line (but not after it wraps).
    used = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if used + len(suffix) + 2 > _OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            used = indent + len(suffix)
        else:
            out.append(", " + suffix)
            used += len(suffix) + 2
    out.append(")")
    return "".join(out)


def _is_floating(dtype_name: str, array: np.ndarray) -> bool:
    return dtype_name.startswith(("float", "bfloat")) or bool(np.issubdtype(array.dtype, np.floating))


def format_tensor(
    array: np.ndarray,
    dtype_name: str,
    default_dtype_name: str,
    suffixes: Sequence[str] = (),
) -> str:
    """Full repr like torch: 'tensor([1., 2.], dtype=torch.float64, requires_grad=True)'.

    ``dtype_name``/``default_dtype_name`` are torch dtype names without the 'torch.'
    prefix ('float32', 'int64', 'bool', ...). ``suffixes`` are already formatted items
    (e.g. 'grad_fn=<AddBackward0>') appended after any size/dtype item.
    """
    a = np.asarray(array)
    try:  # make the array's dtype agree with the name (no copy when it already does)
        a = a.astype(np.dtype(dtype_name), copy=False)
    except TypeError:  # e.g. 'bfloat16', which NumPy lacks: print the values as stored
        pass
    indent = len(_PREFIX)
    items: list[str] = []
    if a.size == 0:
        # Nothing to infer the dtype from, so any non-default dtype is named, even int64/bool.
        if a.ndim != 1:
            items.append(f"size={tuple(a.shape)}")
        if dtype_name != default_dtype_name:
            items.append(f"dtype=torch.{dtype_name}")
        body = "[]"
    else:
        if not _OPTS.edgeitems:
            items.append(f"size={tuple(a.shape)}")
        default_complex = {"float32": "complex64", "float64": "complex128"}.get(default_dtype_name)
        if dtype_name not in (default_dtype_name, default_complex, "int64", "bool"):
            items.append(f"dtype=torch.{dtype_name}")
        summarize = a.size > _OPTS.threshold
        shown = _summary_values(a) if summarize else a
        fmt = (_ComplexFormatter(shown) if a.dtype.kind == "c"
               else _Formatter(shown, _is_floating(dtype_name, a)))
        body = _nested_str(a, indent, summarize, fmt)
    return _add_suffixes(_PREFIX + body, [*items, *suffixes], indent)
