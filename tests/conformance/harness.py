"""The plumbing every check shares: seeding, running torch and ndgrad side by side, errors."""
from __future__ import annotations

import contextlib
import random
import traceback
import zlib
from typing import Any, Callable

import numpy as np
import torch

import ndgrad

from .compare import Mismatch
from .names import Missing, map_dtype, missing_name

CALL_SEED = 1234  # both libraries are seeded with it before every call: random ops compare


class Failure(Exception):
    """A check failed; carries the stage and the failure category."""

    def __init__(self, stage: str, category: str, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.stage, self.category, self.reason, self.detail = stage, category, reason, detail


def entry_seed(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def seeded(fn: Callable, lib: str, *args: Any, **kwargs: Any) -> Any:
    """fn(*args, **kwargs) after seeding the library's global generator with CALL_SEED."""
    # torch.manual_seed also seeds every accelerator backend: the CPU generator is enough
    (torch.default_generator if lib == "torch" else ndgrad).manual_seed(CALL_SEED)
    return fn(*args, **kwargs)


@contextlib.contextmanager
def quiet_single_thread() -> Any:
    """One torch thread (tiny ops; a shared machine's cores make threads slow), no warnings,
    and ndgrad's global modes restored afterwards."""
    import warnings

    threads = torch.get_num_threads()
    default_dtype, grad_mode = ndgrad.get_default_dtype(), ndgrad.is_grad_enabled()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        torch.set_num_threads(threads)
        ndgrad.set_default_dtype(default_dtype)
        ndgrad.set_grad_enabled(grad_mode)
        torch.set_grad_enabled(True)


def _builtin_base(exc_type: type) -> type:
    for cls in exc_type.__mro__:
        if cls.__module__ == "builtins":
            return cls
    return Exception


def _short_tb(err: BaseException, limit: int = 6) -> str:
    lines = traceback.format_exception(type(err), err, err.__traceback__)
    body = [ln for ln in lines[1:-1] if "tests/conformance/" not in ln]
    return "".join(body[-limit:] + lines[-1:])


def _not_implemented_in_torch(err: BaseException) -> bool:
    return isinstance(err, NotImplementedError) or "not implemented" in str(err).lower()


def run_pair(stage: str, torch_call: Callable, nd_call: Callable,
             derivative: bool = False) -> tuple[Any, Any, bool]:
    """Run torch's and ndgrad's call. Returns (torch_out, nd_out, raised): when torch raises,
    ndgrad must raise the same kind of exception (then raised is True). For a derivative
    torch does not implement (derivative=True) ndgrad may compute one: nothing to compare."""
    try:
        t_out, t_err = torch_call(), None
    except Exception as err:  # noqa: BLE001 - any torch error is part of the spec
        t_out, t_err = None, err
    for dtype in _dtypes_of(t_out):  # a result in a dtype ndgrad lacks (complex...)
        map_dtype(dtype)
    try:
        n_out, n_err = nd_call(), None
    except Missing:
        raise
    except Exception as err:  # noqa: BLE001
        name = missing_name(err)
        if name is not None:
            raise Missing(name) from err
        n_out, n_err = None, err
    if t_err is not None:
        if derivative and n_err is None and _not_implemented_in_torch(t_err):
            return None, None, True
        expected = _builtin_base(type(t_err))
        if n_err is not None and isinstance(n_err, expected):
            return None, None, True
        got = f"raises {type(n_err).__name__}: {n_err}" if n_err is not None else "does not raise"
        raise Failure(stage, f"torch raises {expected.__name__}, ndgrad {got.split(':')[0]}",
                      f"torch raises {type(t_err).__name__}: {_first_line(t_err)}; ndgrad {got}",
                      _short_tb(n_err) if n_err is not None else "")
    if n_err is not None:
        raise Failure(stage, f"raises {type(n_err).__name__}",
                      f"{type(n_err).__name__}: {_first_line(n_err)}", _short_tb(n_err))
    return t_out, n_out, False


def check(stage: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run an ndgrad-side step (backward, forward AD) turning its errors into Failures."""
    try:
        return fn(*args, **kwargs)
    except (Missing, Failure, Mismatch):
        raise
    except Exception as err:  # noqa: BLE001
        name = missing_name(err)
        if name is not None:
            raise Missing(name) from err
        raise Failure(stage, f"raises {type(err).__name__}",
                      f"{type(err).__name__}: {_first_line(err)}", _short_tb(err)) from err


def _dtypes_of(value: Any) -> set:
    if isinstance(value, torch.Tensor):
        return {value.dtype}
    if isinstance(value, (list, tuple)):
        return set().union(*(_dtypes_of(v) for v in value)) if value else set()
    return set()


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= 300 else line[:297] + "..."
