"""A trace as text: one block per node for small graphs; for big ones a summary grouped by
module with the largest gradient changes and the flagged gradients, never 10,000 rows."""
from __future__ import annotations

import math
from typing import Any

from ._graph import format_norm

MAX_ROWS = 40


def _shape(s: Any) -> str:
    if s is None:
        return "\u00b7"
    return "(" + ", ".join(str(d) for d in s) + ")"


def _norms(vals: list) -> str:
    shown = [format_norm(v) for v in vals if v is not None]
    return ", ".join(shown) if shown else "-"


def _output_name(trace: Any) -> str:
    for t in trace.outputs:
        name = trace.names.get(id(t))
        if name:
            return name
    return "the output"


def _clip(s: str, width: int) -> str:
    return s if len(s) <= width else s[:width - 1] + "\u2026"


def _where(r: dict) -> str:
    if r["where"]:
        return r["where"]
    return f"leaf {r['leaf'] or '(unnamed)'}" if r["kind"] == "accumulate" else "?"


def rows_table(rows: list[dict]) -> list[str]:
    cols = [(str(r["step"]), r["node"], _where(r),
             f"{', '.join(_shape(s) for s in r['input_shapes']) or '-'} -> "
             f"{', '.join(_shape(s) for s in r['output_shapes']) or '-'}",
             f"{_norms(r['grad_in'])} -> {_norms(r['grad_out'])}") for r in rows]
    head = ("step", "node", "created at", "shapes in -> out", "|grad| in -> out")
    widths = [min(max([len(h)] + [len(c[i]) for c in cols]), cap)
              for i, (h, cap) in enumerate(zip(head, (6, 40, 36, 36, 40)))]

    def line(cells: tuple) -> str:
        parts = [_clip(cells[0], widths[0]).rjust(widths[0])]
        parts += [_clip(c, w).ljust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(parts).rstrip()

    out = [line(head)]
    pad = " " * (widths[0] + 2) + "| "
    for r, c in zip(rows, cols):
        out.append(line(c))
        if r["code"]:
            out.append(pad + _clip(r["code"], 100))
        if r["rule"]:
            out.append(pad + "rule: " + _clip(r["rule"], 100))
        for note in r["notes"]:
            out.append(pad + "note: " + note)
    return out


def _ratio(r: dict) -> float | None:
    g_in = [v for v in r["grad_in"] if v is not None]
    g_out = [v for v in r["grad_out"] if v is not None]
    if not g_in or not g_out:
        return None
    a, b = max(g_in), max(g_out)
    if not (math.isfinite(a) and math.isfinite(b)) or a == 0 or b == 0:
        return None
    return b / a


def _group(r: dict) -> str:
    return r["module"] or r["where"] or "(unrecorded)"


def summary(trace: Any, rows: list[dict], head_rows: int = 8) -> list[str]:
    out = [f"backward() of {_output_name(trace)}: {len(rows)} nodes (a summary: "
           "trace.table(max_rows=None) prints every row, trace.to_json() exports them)", ""]
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(_group(r), []).append(r)
    out.append("by module (or source line)")
    width = min(max(len(k) for k in groups), 40)
    ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    for key, members in ranked[:15]:
        names: dict[str, int] = {}
        for r in members:
            names[r["node"]] = names.get(r["node"], 0) + 1
        top = ", ".join(n for n, _ in sorted(names.items(), key=lambda kv: -kv[1])[:3])
        peak = max((v for r in members for v in r["grad_out"] + r["grad_in"]
                    if v is not None and math.isfinite(v)), default=None)
        out.append(f"  {_clip(key, width).ljust(width)}  {len(members):>6} nodes  "
                   f"max |grad| {format_norm(peak):>10}  {top}")
    if len(ranked) > 15:
        out.append(f"  ... and {len(ranked) - 15} more groups")
    ratios = [(q, r) for r in rows for q in [_ratio(r)] if q is not None]
    for title, chosen in (("largest gradient growth (|grad out| / |grad in|)",
                           sorted(ratios, key=lambda t: -t[0])[:5]),
                          ("largest gradient shrinkage",
                           sorted(ratios, key=lambda t: t[0])[:5])):
        out += ["", title]
        for q, r in chosen:
            out.append(f"  step {r['step']:>6}  {r['node']:<28} {_where(r):<30} "
                       f"x{q:.3g}")
    flagged = [r for r in rows if r["flags"]]
    out += ["", f"zero / NaN / Inf gradients: {len(flagged)} nodes"]
    for r in flagged[:10]:
        out.append(f"  step {r['step']:>6}  {r['node']:<28} {', '.join(r['flags'])}")
    out += ["", f"the first {head_rows} rows:"]
    out += rows_table(rows[:head_rows])
    return out


def render(trace: Any, max_rows: int = MAX_ROWS) -> str:
    rows = trace.rows
    if len(rows) > max_rows:
        return "\n".join(summary(trace, rows))
    out = [f"backward() of {_output_name(trace)}: {len(rows)} nodes, in the order the engine "
           "ran them", ""]
    out += rows_table(rows)
    if any(s is None for r in rows for s in r["input_shapes"]):
        out += ["", "(\u00b7: an input that needs no gradient)"]
    missing = sum(1 for r in rows if not r["where"] and r["kind"] != "accumulate")
    if missing:
        out += ["", f"({missing} nodes without a source line: build the forward inside "
                "`with ndgrad.viz.record():` to capture every line)"]
    return "\n".join(out)
