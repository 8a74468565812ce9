"""`python -m ndgrad.viz script.py [args...]`: run a script, then write the graph and the
step-through page of the last backward() it ran (no viz code in the script needed)."""
from __future__ import annotations

import argparse
import os
import runpy
import sys
import traceback

from .._tensor import Tensor
from ._files import write_atomic
from ._graph import names_in
from .explain import record


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ndgrad.viz",
        description="Run a script that uses ndgrad and draw the last backward() it ran: "
                    "<name>_graph.svg and the step-through page <name>_backward.html.")
    p.add_argument("script", help="the Python script to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    p.add_argument("-o", "--out", default=".", help="directory for the files (default: .)")
    p.add_argument("--name", help="file name prefix (default: the script's name)")
    p.add_argument("--max-nodes", type=int, default=1000, help="cut bigger graphs (default 1000)")
    p.add_argument("--show-saved", action="store_true", help="draw saved tensors")
    p.add_argument("--rankdir", default="TB", choices=("TB", "LR", "BT", "RL"))
    return p


def main(argv: list[str] | None = None) -> int:
    opts = _parser().parse_args(argv)
    script = opts.script
    if not os.path.isfile(script):
        print(f"python -m ndgrad.viz: no such file: {script}", file=sys.stderr)
        return 2
    if not os.path.isdir(opts.out):
        print(f"python -m ndgrad.viz: the output directory {opts.out!r} does not exist",
              file=sys.stderr)
        return 2
    name = opts.name or os.path.splitext(os.path.basename(script))[0]
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [script] + list(opts.args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    failed = False
    globs: dict = {}
    with record(keep="last") as rec:
        try:
            globs = runpy.run_path(script, run_name="__main__")
        except SystemExit as e:
            failed = e.code not in (None, 0)
        except Exception:
            traceback.print_exc()
            failed = True
        finally:
            sys.argv, sys.path[:] = saved_argv, saved_path
    if not rec.traces:
        print(f"python -m ndgrad.viz: {script} ran no backward(), so there is nothing to draw",
              file=sys.stderr)
        return 1
    trace = rec.trace
    trace.names.update(names_in(globs))
    roots = {id(node) for node, _ in trace.roots}
    trace.outputs = [v for v in globs.values() if isinstance(v, Tensor) and v.grad_fn is not None
                     and id(v.grad_fn) in roots]
    trace._rows = None
    kwargs = dict(max_nodes=opts.max_nodes, show_saved=opts.show_saved, rankdir=opts.rankdir)
    graph_path = os.path.join(opts.out, f"{name}_graph.svg")
    page_path = os.path.join(opts.out, f"{name}_backward.html")
    write_atomic(graph_path, trace.graph(**kwargs).svg())
    trace.to_html(page_path, title=f"backward() of {os.path.basename(script)}, step by step",
                  **kwargs)
    print(f"ndgrad.viz: the last backward() of {script} ran {len(trace)} nodes")
    print(f"  graph:     {graph_path}")
    print(f"  step page: {page_path}  (open file://{os.path.abspath(page_path)} in a browser)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
