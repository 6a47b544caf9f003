"""Draw a layer-graph picture to SVG or PNG with a layered layout and matplotlib (no Graphviz needed).

Layout: each node sits on the rank of its longest path from an input; within a rank nodes are
ordered and placed at the mean position of their predecessors, pushed apart to one slot each, so
a plain stack is one straight column and a shortcut branch runs beside it. An edge that spans
ranks bends around the nodes between its ends. Blocks are drawn as dashed, labelled boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netspec.compiler.graph_picture import FILL, PicEdge, PicNode, Picture

RANK_GAP = 0.9  # inches between rank centres
NODE_HEIGHT = 0.42
CHAR_WIDTH = 0.062  # inches per character at the node font size
FONT_SIZE = 8
EDGE_FONT_SIZE = 6.5
MARGIN = 0.35
EDGE_COLOR = {"data": "#555555", "residual": "#c2410c", "concat": "#0f766e"}


@dataclass
class Placed:
    node: PicNode
    rank: int
    x: float  # in slots
    width: float  # in inches


def _ranks(pic: Picture) -> dict[str, int]:
    preds: dict[str, list[str]] = {n.id: [] for n in pic.nodes}
    for e in pic.edges:
        preds[e.dst].append(e.src)
    rank: dict[str, int] = {}
    for n in pic.nodes:  # pictures list nodes in topological order
        rank[n.id] = max((rank[p] + 1 for p in preds[n.id]), default=0)
    return rank


def layout(pic: Picture) -> dict[str, Placed]:
    rank = _ranks(pic)
    preds: dict[str, list[str]] = {n.id: [] for n in pic.nodes}
    for e in pic.edges:
        preds[e.dst].append(e.src)
    placed: dict[str, Placed] = {}
    by_rank: dict[int, list[PicNode]] = {}
    for n in pic.nodes:
        by_rank.setdefault(rank[n.id], []).append(n)
    for r in sorted(by_rank):
        members = by_rank[r]
        wanted = {
            n.id: (sum(placed[p].x for p in preds[n.id]) / len(preds[n.id]) if preds[n.id] else float(i))
            for i, n in enumerate(members)
        }
        ordered = sorted(members, key=lambda n: wanted[n.id])
        xs: list[float] = []
        for n in ordered:
            x = wanted[n.id] if not xs else max(wanted[n.id], xs[-1] + 1.0)
            xs.append(x)
        shift = sum(wanted[n.id] - x for n, x in zip(ordered, xs, strict=True)) / len(xs)
        if any(not preds[n.id] for n in ordered):
            shift = 0.0
        for n, x in zip(ordered, xs, strict=True):
            width = max(len(n.title), len(n.detail)) * CHAR_WIDTH + 0.3
            placed[n.id] = Placed(n, r, x + shift, width)
    low = min(p.x for p in placed.values())
    for p in placed.values():
        p.x -= low
    return placed


def draw(pic: Picture, path: Path) -> None:
    """Write the picture as SVG or PNG (chosen by the suffix). Imports matplotlib only when called."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MPath

    placed = layout(pic)
    slot = max(p.width for p in placed.values()) + 0.9
    ranks = max(p.rank for p in placed.values()) + 1
    slots = max(p.x for p in placed.values()) + 1
    width = slots * slot + 2 * MARGIN + 0.9  # room right of the last column: block boxes and edges going round
    height = ranks * RANK_GAP + 2 * MARGIN + 0.3

    def centre(p: Placed) -> tuple[float, float]:
        return MARGIN + (p.x + 0.5) * slot, MARGIN + 0.3 + (p.rank + 0.5) * RANK_GAP

    with matplotlib.rc_context({"svg.hashsalt": "netc", "svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(width, height))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.axis("off")
        ax.text(MARGIN, MARGIN, pic.model, fontsize=11, fontweight="bold", va="center")
        _draw_clusters(ax, pic, placed, centre, FancyBboxPatch)
        for e in pic.edges:
            _draw_edge(ax, e, placed, centre, FancyArrowPatch, MPath)
        for p in placed.values():
            cx, cy = centre(p)
            ax.add_patch(
                FancyBboxPatch(
                    (cx - p.width / 2, cy - NODE_HEIGHT / 2),
                    p.width,
                    NODE_HEIGHT,
                    boxstyle="round,pad=0,rounding_size=0.08",
                    facecolor=FILL.get(p.node.kind, "#ffffff"),
                    edgecolor="#444444",
                    linewidth=0.8,
                    zorder=3,
                )
            )
            if p.node.detail:
                ax.text(cx, cy - 0.08, p.node.title, ha="center", va="center", fontsize=FONT_SIZE, zorder=4)
                ax.text(
                    cx,
                    cy + 0.1,
                    p.node.detail,
                    ha="center",
                    va="center",
                    fontsize=FONT_SIZE - 1,
                    color="#444444",
                    zorder=4,
                )
            else:
                ax.text(cx, cy, p.node.title, ha="center", va="center", fontsize=FONT_SIZE, zorder=4)
        fig.savefig(path, format=path.suffix.lstrip("."), dpi=110, metadata=_metadata(path.suffix))


def _metadata(suffix: str) -> dict[str, str | None]:
    # no creation date in the file: the same spec draws the same bytes
    return {"Date": None} if suffix == ".svg" else {"Software": "netc"}


def _draw_edge(ax, e: PicEdge, placed: dict[str, Placed], centre, arrow_cls, path_cls) -> None:
    a, b = placed[e.src], placed[e.dst]
    (x0, y0), (x1, y1) = centre(a), centre(b)
    start, end = (x0, y0 + NODE_HEIGHT / 2), (x1, y1 - NODE_HEIGHT / 2)
    color = EDGE_COLOR[e.kind]
    style = "--" if e.kind != "data" else "-"

    def crossed(p: Placed) -> bool:
        """Whether the straight line passes through this node's box at its rank."""
        cx, cy = centre(p)
        x_at = x0 + (x1 - x0) * (cy - y0) / (y1 - y0)
        return abs(cx - x_at) < p.width / 2 + 0.1

    obstacles = [p for p in placed.values() if a.rank < p.rank < b.rank and crossed(p)]
    if obstacles:
        # go around the nodes in the way: out to the right of the widest, down, and back in
        side = max(centre(p)[0] + p.width / 2 for p in obstacles) + 0.25
        bend = 0.28
        verts = [start, (side, start[1]), (side, start[1] + bend), (side, end[1] - bend), (side, end[1]), end]
        codes = [path_cls.MOVETO, path_cls.CURVE3, path_cls.CURVE3, path_cls.LINETO, path_cls.CURVE3, path_cls.CURVE3]
        route = path_cls(verts, codes)
        label_at = (side + 0.05, (start[1] + end[1]) / 2)
    elif b.rank - a.rank > 1 and abs(x1 - x0) > 0.01:
        # a branch beside the main column: straight down its own column, then one bend into the join
        turn = (x0, end[1] - (RANK_GAP - NODE_HEIGHT))
        route = path_cls([start, turn, end], [path_cls.MOVETO, path_cls.LINETO, path_cls.LINETO])
        label_at = (x0 + 0.06, (start[1] + turn[1]) / 2)
    else:
        route = path_cls([start, end], [path_cls.MOVETO, path_cls.LINETO])
        label_at = ((start[0] + end[0]) / 2 + 0.06, (start[1] + end[1]) / 2)
    ax.add_patch(
        arrow_cls(path=route, arrowstyle="-|>", mutation_scale=8, color=color, linewidth=0.8, linestyle=style, zorder=2)
    )
    ax.text(*label_at, e.label, fontsize=EDGE_FONT_SIZE, color=color, va="center", ha="left", zorder=4)


def cluster_boxes(
    pic: Picture, placed: dict[str, Placed], centre
) -> dict[tuple[str, ...], tuple[float, float, float, float]]:
    """(left, top, right, bottom) of every block, innermost first, each around its nodes and inner blocks."""
    boxes: dict[tuple[str, ...], tuple[float, float, float, float]] = {}
    for path in sorted(pic.clusters, key=len, reverse=True):
        parts = []
        for p in placed.values():
            if p.node.cluster[: len(path)] == path and p.node.cluster:
                cx, cy = centre(p)
                parts.append((cx - p.width / 2, cy - NODE_HEIGHT / 2, cx + p.width / 2, cy + NODE_HEIGHT / 2))
        parts += [box for inner, box in boxes.items() if len(inner) == len(path) + 1 and inner[: len(path)] == path]
        if parts:
            boxes[path] = (
                min(b[0] for b in parts) - 0.14,
                min(b[1] for b in parts) - 0.2,  # room for the label
                max(b[2] for b in parts) + 0.8,  # room for the edge labels beside the column
                max(b[3] for b in parts) + 0.07,
            )
    return boxes


def _draw_clusters(ax, pic: Picture, placed: dict[str, Placed], centre, box_cls) -> None:
    for path, (left, top, right, bottom) in sorted(cluster_boxes(pic, placed, centre).items(), key=lambda i: len(i[0])):
        ax.add_patch(
            box_cls(
                (left, top),
                right - left,
                bottom - top,
                boxstyle="round,pad=0,rounding_size=0.1",
                facecolor="#eef2ff" if len(path) % 2 else "#f8fafc",
                edgecolor="#6366f1",
                linestyle="--",
                linewidth=0.8,
                zorder=1,
            )
        )
        ax.text(
            left + 0.08, top + 0.1, pic.clusters[path], fontsize=FONT_SIZE - 0.5, color="#4338ca", va="center", zorder=4
        )
