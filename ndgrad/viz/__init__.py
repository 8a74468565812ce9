"""See autograd: `make_dot` draws the graph (no Graphviz), `explain` / `record` trace what
backward() did node by node, `Trace.to_html` writes a step-through page."""
from .dot import Graph, GraphvizNotFound, make_dot
from .explain import Trace, explain, record

__all__ = ["Graph", "GraphvizNotFound", "Trace", "explain", "make_dot", "record"]
