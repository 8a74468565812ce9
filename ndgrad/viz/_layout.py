"""Layered (Sugiyama-style) layout of a directed graph: layering, crossing reduction by
barycentres, coordinates by isotonic regression; every step iterative (no recursion)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Layout:
    x: list[float]  # node centres
    y: list[float]
    w: list[float]
    h: list[float]
    routes: list[list[tuple[float, float]]]  # per edge: points from its source to its target
    width: float
    height: float


def layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]], rankdir: str = "TB",
           node_sep: float = 18.0, rank_sep: float = 40.0, margin: float = 8.0) -> Layout:
    """Place nodes of the given (width, height) so that edges point down (rankdir "TB"), across
    ("LR"), up ("BT") or left ("RL"); returns centres and a polyline per edge.

    Example::
        >>> lay = layout([(40, 20), (40, 20)], [(0, 1)])
        >>> lay.y[0] < lay.y[1]
        True
    """
    if rankdir not in ("TB", "BT", "LR", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'BT', 'LR' or 'RL', not {rankdir!r}")
    across = rankdir in ("LR", "RL")
    dims = [(h, w) for w, h in sizes] if across else list(sizes)
    lay = _layout_tb(dims, edges, node_sep, rank_sep, margin)
    if across:
        lay = Layout(lay.y, lay.x, lay.h, lay.w, [[(b, a) for a, b in r] for r in lay.routes],
                     lay.height, lay.width)
    if rankdir in ("BT", "RL"):
        if rankdir == "BT":
            lay.y = [lay.height - v for v in lay.y]
            lay.routes = [[(a, lay.height - b) for a, b in r] for r in lay.routes]
        else:
            lay.x = [lay.width - v for v in lay.x]
            lay.routes = [[(lay.width - a, b) for a, b in r] for r in lay.routes]
    return lay


# *** 1. layering ***

def _topological(n: int, succ: list[list[int]], pred: list[list[int]]) -> list[int]:
    """Kahn's order; nodes left on a cycle are taken greedily (fewest unplaced predecessors),
    which amounts to reversing the edges that close cycles."""
    indeg = [len(p) for p in pred]
    ready = [v for v in range(n) if indeg[v] == 0]
    ready.reverse()
    order: list[int] = []
    placed = [False] * n
    while len(order) < n:
        if not ready:
            v = min((v for v in range(n) if not placed[v]), key=lambda v: (indeg[v], v))
        else:
            v = ready.pop()
            if placed[v]:
                continue
        placed[v] = True
        order.append(v)
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0 and not placed[w]:
                ready.append(w)
    return order


def _ranks(n: int, succ: list[list[int]], pred: list[list[int]], order: list[int]) -> list[int]:
    """Longest path from the sources, then every node pulled down next to its nearest consumer
    (so a leaf sits right above the op that uses it)."""
    pos = {v: i for i, v in enumerate(order)}
    rank = [0] * n
    for v in order:
        for u in pred[v]:
            if pos[u] < pos[v] and rank[u] + 1 > rank[v]:
                rank[v] = rank[u] + 1
    for v in reversed(order):
        later = [rank[w] for w in succ[v] if pos[w] > pos[v]]
        if later:
            rank[v] = max(rank[v], min(later) - 1)
    return rank


# *** 2. crossing reduction ***

def _crossings(upper: list[int], pos: list[int], down: list[list[int]]) -> int:
    """Crossings between one layer and the next: inversions of the lower ends (Fenwick tree)."""
    ends = sorted((pos[u], pos[v]) for u in upper for v in down[u])
    if not ends:
        return 0
    size = max(e[1] for e in ends) + 2
    tree = [0] * (size + 1)
    total = 0
    for seen, (_, lo) in enumerate(ends):
        i, below = lo + 1, 0
        while i > 0:
            below += tree[i]
            i -= i & -i
        total += seen - below
        i = lo + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return total


def _order_layers(layers: list[list[int]], up: list[list[int]], down: list[list[int]],
                  total: int) -> list[list[int]]:
    pos = [0] * total
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i

    def count() -> int:
        return sum(_crossings(layers[r], pos, down) for r in range(len(layers) - 1))

    def sweep(r: int, nbrs: list[list[int]]) -> None:
        layer = layers[r]
        keys = []
        for v in layer:
            ps = nbrs[v]
            keys.append(sum(pos[u] for u in ps) / len(ps) if ps else float(pos[v]))
        order = sorted(range(len(layer)), key=lambda i: (keys[i], i))
        layers[r] = [layer[i] for i in order]
        for i, v in enumerate(layers[r]):
            pos[v] = i

    best = count()
    best_layers = [list(layer) for layer in layers]
    rounds = 6 if total <= 1500 else 2
    for _ in range(rounds):
        if best == 0:
            break
        for r in range(1, len(layers)):
            sweep(r, up)
        for r in range(len(layers) - 2, -1, -1):
            sweep(r, down)
        c = count()
        if c < best:
            best, best_layers = c, [list(layer) for layer in layers]
    return best_layers


# *** 3. coordinates ***

def _pav(desired: list[float], weight: list[float], gaps: list[float]) -> list[float]:
    """Positions closest (weighted least squares) to `desired`, in order, with x[i+1] - x[i] >=
    gaps[i]: isotonic regression by pool-adjacent-violators after removing the gaps."""
    offset = [0.0]
    for g in gaps:
        offset.append(offset[-1] + g)
    blocks: list[list[float]] = []  # [weight, weighted sum, count]
    for d, w, c in zip(desired, weight, offset):
        blocks.append([w, w * (d - c), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            w2, s2, n2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += n2
    out: list[float] = []
    for w, s, k in blocks:
        out.extend([s / w] * int(k))
    return [v + c for v, c in zip(out, offset)]


def _place_x(layers: list[list[int]], up: list[list[int]], down: list[list[int]],
             width: list[float], dummy: list[bool], node_sep: float) -> list[float]:
    x = [0.0] * len(width)

    def gaps(layer: list[int]) -> list[float]:
        out = []
        for a, b in zip(layer, layer[1:]):
            sep = node_sep if not (dummy[a] or dummy[b]) else node_sep / 2
            out.append((width[a] + width[b]) / 2 + sep)
        return out

    for layer in layers:
        cur = 0.0
        for i, v in enumerate(layer):
            if i:
                cur += gaps(layer[i - 1:i + 1])[0]
            x[v] = cur

    def settle(layer: list[int], nbrs: list[list[int]]) -> None:
        if not layer:
            return
        desired = [sum(x[u] for u in nbrs[v]) / len(nbrs[v]) if nbrs[v] else x[v] for v in layer]
        weight = [(4.0 if dummy[v] else 1.0) if nbrs[v] else 0.05 for v in layer]
        for v, nx in zip(layer, _pav(desired, weight, gaps(layer))):
            x[v] = nx

    both = [u + d for u, d in zip(up, down)]
    for _ in range(4):
        for r in range(1, len(layers)):
            settle(layers[r], up)
        for r in range(len(layers) - 2, -1, -1):
            settle(layers[r], down)
    for r in range(len(layers)):
        settle(layers[r], both)
    return x


def _layout_tb(sizes: list[tuple[float, float]], edges: list[tuple[int, int]], node_sep: float,
               rank_sep: float, margin: float) -> Layout:
    n = len(sizes)
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for s, t in edges:
        if s != t:
            succ[s].append(t)
            pred[t].append(s)
    order = _topological(n, succ, pred)
    rank = _ranks(n, succ, pred, order)
    width = [float(w) for w, _ in sizes]
    height = [float(h) for _, h in sizes]
    dummy = [False] * n
    up: list[list[int]] = [[] for _ in range(n)]
    down: list[list[int]] = [[] for _ in range(n)]
    chains: list[list[int] | None] = []  # per edge: the nodes it passes, ends included
    budget = 4 * n + 200  # dummies beyond it: the edge is drawn straight (huge fan-ins)
    for s, t in edges:
        if s == t:
            chains.append(None)
            continue
        a, b, flip = (s, t, False) if rank[s] < rank[t] else (t, s, True)
        span = rank[b] - rank[a]
        if span == 0 or span - 1 > budget:
            chains.append(None)
            continue
        chain = [a]
        for r in range(rank[a] + 1, rank[b]):
            d = len(rank)
            rank.append(r)
            width.append(0.0)
            height.append(0.0)
            dummy.append(True)
            up.append([])
            down.append([])
            chain.append(d)
            budget -= 1
        chain.append(b)
        for u, v in zip(chain, chain[1:]):
            down[u].append(v)
            up[v].append(u)
        chains.append(chain[::-1] if flip else chain)
    total = len(rank)
    n_layers = max(rank) + 1 if rank else 0
    layers: list[list[int]] = [[] for _ in range(n_layers)]
    for v in range(total):
        layers[rank[v]].append(v)
    layers = _order_layers(layers, up, down, total)
    x = _place_x(layers, up, down, width, dummy, node_sep)
    y = [0.0] * total
    top = margin
    for layer in layers:
        tallest = max((height[v] for v in layer), default=0.0)
        for v in layer:
            y[v] = top + tallest / 2
        top += tallest + rank_sep
    left = min((x[v] - width[v] / 2 for v in range(total)), default=0.0)
    shift = margin - left
    x = [v + shift for v in x]
    right = max((x[v] + width[v] / 2 for v in range(total)), default=0.0)
    routes = _routes(edges, chains, x, y, width, height)
    return Layout(x[:n], y[:n], width[:n], height[:n], routes, right + margin,
                  max(top - rank_sep + margin, 2 * margin))


def _routes(edges: list[tuple[int, int]], chains: list, x: list[float], y: list[float],
            width: list[float], height: list[float]) -> list[list[tuple[float, float]]]:
    """Polylines through the dummies; the ends of several edges spread along a node's side."""
    ports_out: dict[int, list[tuple[float, int]]] = {}
    ports_in: dict[int, list[tuple[float, int]]] = {}
    points: list[list[tuple[float, float]]] = []
    for i, ((s, t), chain) in enumerate(zip(edges, chains)):
        if chain is None:
            chain = [s, t]
        pts = [(x[v], y[v]) for v in chain]
        points.append(pts)
        ports_out.setdefault(s, []).append((pts[1][0], i))
        ports_in.setdefault(t, []).append((pts[-2][0], i))
    ends: dict[tuple[int, int], float] = {}
    for table, side in ((ports_out, 0), (ports_in, 1)):
        for v, lst in table.items():
            lst.sort()
            k = len(lst)
            span = width[v] * 0.6
            for j, (_, i) in enumerate(lst):
                off = 0.0 if k == 1 else -span / 2 + span * j / (k - 1)
                ends[(i, side)] = x[v] + off
    routes = []
    for i, ((s, t), pts) in enumerate(zip(edges, points)):
        sgn = 1.0 if y[s] <= y[t] else -1.0
        start = (ends[(i, 0)], y[s] + sgn * height[s] / 2)
        end = (ends[(i, 1)], y[t] - sgn * height[t] / 2)
        routes.append([start] + pts[1:-1] + [end])
    return routes
