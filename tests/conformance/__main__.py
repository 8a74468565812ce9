"""Check OpInfo / ModuleInfo entries and show the first failure in full.

    python -m tests.conformance --op add --op 'linalg.*' --module nn.Linear
    python -m tests.conformance --status fail          # every entry the report lists as failing
"""
from __future__ import annotations

import argparse
import fnmatch
import sys

from .report import load_report, verdict


def _select(patterns: list[str], names: list[str], kind: str) -> list[str]:
    chosen: list[str] = []
    for pattern in patterns:
        found = [n for n in names if fnmatch.fnmatchcase(n, pattern)] or \
            [n for n in names if n == f"nn.{pattern}"]
        if not found:
            raise SystemExit(f"no {kind} named {pattern!r} (names are as in docs/conformance.md; "
                             "globs such as 'linalg.*' work)")
        chosen += [n for n in found if n not in chosen]
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--op", action="append", default=[], help="OpInfo name or glob")
    parser.add_argument("--module", action="append", default=[], help="ModuleInfo name or glob")
    parser.add_argument("--status", choices=("pass", "fail", "not implemented", "out of scope"),
                        help="every entry the committed report gives this status")
    parser.add_argument("-q", "--quiet", action="store_true", help="status lines only")
    args = parser.parse_args(argv)

    from .db import moduleinfos, opinfos
    from .modules import check_moduleinfo
    from .ops import check_opinfo

    try:
        report = load_report()
    except FileNotFoundError:
        report = {"ops": {}, "modules": {}}
    ops = _select(args.op, list(opinfos()), "OpInfo")
    modules = _select(args.module, list(moduleinfos()), "ModuleInfo")
    if args.status:
        ops += [n for n, r in report["ops"].items() if r["status"] == args.status and n not in ops]
        modules += [n for n, r in report["modules"].items()
                    if r["status"] == args.status and n not in modules]
    if not ops and not modules:
        parser.error("name at least one --op, --module or --status")
    stale = 0
    for kind, names, run, db in (("ops", ops, check_opinfo, opinfos()),
                                 ("modules", modules, check_moduleinfo, moduleinfos())):
        for name in names:
            result = run(db[name])
            outcome, _ = verdict(result, report[kind].get(name))
            stale += outcome == "stale"
            line = f"{name}: {result.status.upper()}"
            if result.stage:
                line += f" at {result.stage} [{result.category}]"
            if result.missing:
                line += f"; missing {', '.join(result.missing)}"
            if result.reason and result.status != "fail":
                line += f"; {result.reason}"
            line += f"  ({result.samples} samples, {result.seconds:.2f} s)"
            if outcome == "stale":
                line += "  <- differs from docs/conformance.json"
            print(line)
            if result.detail and not args.quiet:
                print("    " + result.detail.rstrip().replace("\n", "\n    "))
    if stale:
        print(f"{stale} entries differ from the committed report: regenerate it with "
              "`python -m tests.conformance.report`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
