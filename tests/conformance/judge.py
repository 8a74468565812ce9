"""A conformance result against the committed report, as a pytest outcome."""
from __future__ import annotations

from typing import Any

import pytest

from .report import verdict


def judge(result: Any, recorded: dict | None) -> None:
    """Fail on a stale report, xfail a recorded failure, skip the not implemented and out of
    scope (with the missing names or the reason); return quietly on a pass."""
    outcome, message = verdict(result, recorded)
    if outcome == "stale":
        pytest.fail(message + ("\n" + result.detail if result.detail else ""), pytrace=False)
    if outcome == "xfail":
        pytest.xfail(message)
    if outcome == "skip":
        pytest.skip(message)
