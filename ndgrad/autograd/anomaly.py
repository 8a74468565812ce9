"""Anomaly mode: remember where each node was created, and on a backward error or a NaN
gradient raise with that forward traceback attached to the exception."""
from __future__ import annotations

import traceback
import warnings
from typing import Any, Callable

import numpy as np


_PKG = __file__.rsplit("/", 2)[0] + "/"


class _State:
    enabled = False
    check_nan = True
    keep_inputs = False  # gradcheck's diagnosis re-runs each node on its recorded inputs


STATE = _State()


def on_record(node: Any, inputs: tuple, attrs: dict) -> None:
    if STATE.enabled:
        frames = traceback.extract_stack()
        while frames and frames[-1].filename.startswith(_PKG):
            frames.pop()  # keep the user's frames, not ndgrad's own
        node.metadata["traceback_"] = traceback.format_list(frames)
    if STATE.keep_inputs:
        node.metadata["inputs_"] = (inputs, attrs)


def _forward_trace(node: Any) -> str:
    tb = node._hooks.metadata.get("traceback_") if node._hooks is not None else None
    if not tb:
        return (f"No forward pass information available for {node.name()}. Enable detect "
                "anomaly during forward pass for more information.")
    return f"Traceback of forward call that caused the error:\n{''.join(tb)}"


def _add_note(error: BaseException, note: str) -> None:
    """BaseException.add_note (Python 3.11+); on 3.10 the note is kept in __notes__ only, and the
    warning issued with it is what shows the forward traceback."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:
        error.__notes__ = [*getattr(error, "__notes__", []), note]  # type: ignore[attr-defined]


def checked_apply(node: Any, grads: list, apply: Callable) -> list:
    """node.apply under anomaly mode: errors and NaNs carry the node's forward traceback (as a
    warning, as torch prints it, and as a note on the exception)."""
    try:
        outs = apply(node, grads)
        if STATE.check_nan:
            for i, g in enumerate(outs):
                if g is not None and np.isnan(g._data).any():
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                                       "output.")
    except Exception as e:
        note = f"Error detected in {node.name()}. {_forward_trace(node)}"
        warnings.warn(note, UserWarning, stacklevel=2)
        _add_note(e, note)
        raise
    return outs


class detect_anomaly:
    """Context manager (and decorator) enabling anomaly detection.

    Example::
        >>> with ndgrad.autograd.detect_anomaly():
        ...     x = ndgrad.zeros(1, requires_grad=True)
        ...     (x / x).sum().backward()  # doctest: +SKIP
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = (False, True)
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        self.prev = (STATE.enabled, STATE.check_nan)
        STATE.enabled, STATE.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        STATE.enabled, STATE.check_nan = self.prev

    def __call__(self, fn: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off (also a context manager restoring the previous mode)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (STATE.enabled, STATE.check_nan)
        STATE.enabled, STATE.check_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        STATE.enabled, STATE.check_nan = self.prev


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """torch.set_anomaly_enabled: switch anomaly detection (and its NaN check) on or off."""
    STATE.enabled, STATE.check_nan = bool(enabled), bool(check_nan)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (torch.is_anomaly_enabled)."""
    return STATE.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks backward results for NaN."""
    return STATE.check_nan
