"""What a conformance check found for one entry (needs neither torch nor ndgrad)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASS, FAIL, NOT_IMPLEMENTED, OUT_OF_SCOPE = "pass", "fail", "not implemented", "out of scope"


@dataclass
class Result:
    name: str
    kind: str  # "op" or "module"
    status: str
    stage: str = ""  # where it failed: "forward", "backward", "float32 forward", "method forward"..
    category: str = ""  # failure kind for grouping: "values differ", "raises TypeError"...
    reason: str = ""  # one line
    missing: list = field(default_factory=list)  # names (or dtypes) ndgrad lacks
    samples: int = 0  # samples fully checked
    detail: str = ""  # the first failure in full (sample, traceback), for the CLI
    seconds: float = 0.0

    def record(self) -> dict:
        """The fields the committed report keeps (stable across runs)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("detail", "seconds", "name", "kind")}
        return {k: v for k, v in out.items() if v not in ("", [], 0)}
