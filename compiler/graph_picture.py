"""The layer graph as a picture's content: nodes with parameter counts, edges with shapes, blocks as clusters.

One view (`picture`) feeds every output: Graphviz DOT text, Mermaid text for Markdown, and the
SVG/PNG drawn by compiler/picture_draw.py. `collapse` shows each top-level block use as one node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.compiler.catalog import CATALOG, REQUIRED
from netspec.compiler.graph import LayerNode
from netspec.compiler.shapes import Checked
from netspec.compiler.tensor_types import show_shape


@dataclass(frozen=True)
class PicNode:
    id: str
    title: str
    detail: str
    kind: str  # the catalog category, "input", "output" or "block"
    cluster: tuple[str, ...] = ()


@dataclass(frozen=True)
class PicEdge:
    src: str
    dst: str
    label: str
    kind: str = "data"  # "data", "residual" (the skip into + - *) or "concat"


@dataclass
class Picture:
    model: str
    nodes: list[PicNode] = field(default_factory=list)
    edges: list[PicEdge] = field(default_factory=list)
    clusters: dict[tuple[str, ...], str] = field(default_factory=dict)


def _value(v: object) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def layer_title(node: LayerNode) -> str:
    """`conv2d(64, kernel=3, stride=2)`: the first argument bare, the rest only where they differ from the default."""
    spec = CATALOG[node.op]
    parts = []
    for index, arg in enumerate(spec.args):
        if arg.name not in node.args or (spec.io is not None and arg.name == spec.io[0]):  # the edge shows it
            continue
        value = node.args[arg.name]
        if index == 0 and arg.default is REQUIRED:
            parts.append(_value(value))
        elif arg.default is REQUIRED or value != arg.default:
            parts.append(f"{arg.name}={_value(value)}")
    return f"{node.op}({', '.join(parts)})" if parts else node.op


def _params_text(count: int) -> str:
    return f"{count:,} params" if count else ""


def picture(checked: Checked, collapse: bool = False) -> Picture:
    graph = checked.graph
    pic = Picture(graph.model)
    instances = {b.id: b for b in graph.blocks}
    for b in graph.blocks:
        label = f"{b.block}({', '.join(_value(v) for v in b.args.values())})"
        pic.clusters[(*b.scope, b.id)] = f"{b.id.rsplit('.', 1)[-1]}: {label}"
    for inp in graph.inputs:
        pic.nodes.append(PicNode(inp.id, inp.id, f"{inp.dtype}{show_shape(checked.types[inp.id].shape)}", "input"))
    # a collapsed block use is drawn as one node named after the use; its layers map onto it
    owner: dict[str, str] = {}
    block_params: dict[str, int] = {}
    for node in graph.nodes:
        if collapse and node.scope:
            top = node.scope[0]
            owner[node.id] = top
            block_params[top] = block_params.get(top, 0) + checked.params[node.id]
            if top not in {n.id for n in pic.nodes}:
                pic.nodes.append(PicNode(top, pic.clusters[(top,)].split(": ", 1)[1], "", "block"))
            continue
        owner[node.id] = node.id
        cluster = tuple(p for p in node.scope if p in instances)
        title = layer_title(node)
        pic.nodes.append(
            PicNode(node.id, title, _params_text(checked.params[node.id]), CATALOG[node.op].category, cluster)
        )
    if collapse:
        pic.nodes = [
            PicNode(n.id, n.title, _params_text(block_params[n.id]), n.kind) if n.kind == "block" else n
            for n in pic.nodes
        ]
        pic.clusters = {}
    # depth: the longest path from an input; into a join, every operand but the deepest is a skip connection
    depth = {i.id: 0 for i in graph.inputs}
    for node in graph.nodes:
        depth[node.id] = 1 + max((depth[i] for i in node.inputs), default=0)
    seen: set[tuple[str, str]] = set()
    for node in graph.nodes:
        for src in node.inputs:
            a, b = owner.get(src, src), owner[node.id]
            if a == b or (a, b) in seen:
                continue
            seen.add((a, b))
            kind = "data"
            arity = CATALOG[node.op].arity
            main = max(node.inputs, key=lambda i: depth[i])
            if arity != 1 and src != main:
                kind = "concat" if arity == 0 else "residual"
            pic.edges.append(PicEdge(a, b, show_shape(checked.types[src].shape), kind))
    out = owner.get(graph.output, graph.output)
    pic.nodes.append(PicNode("output", "output", checked.task.describe(), "output"))
    pic.edges.append(PicEdge(out, "output", show_shape(checked.output.shape)))
    return pic


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


FILL = {
    "input": "#e8f1fb",
    "output": "#e8f1fb",
    "conv": "#dbeafe",
    "dense": "#dcfce7",
    "recurrent": "#fde68a",
    "norm": "#f3e8ff",
    "pool": "#fee2e2",
    "activation": "#f5f5f4",
    "combine": "#ffedd5",
    "block": "#e0e7ff",
    "attention": "#fce7f3",
    "resample": "#fee2e2",
    "parameter": "#fef9c3",
}


def to_dot(pic: Picture) -> str:
    lines = [
        f"digraph {_dot_text(pic.model)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    by_cluster: dict[tuple[str, ...], list[PicNode]] = {}
    for n in pic.nodes:
        by_cluster.setdefault(n.cluster, []).append(n)

    def node_line(n: PicNode, indent: str) -> str:
        label = n.title + (f"\n{n.detail}" if n.detail else "")
        shape = ", shape=ellipse" if n.kind in ("input", "output") else ""
        return f"{indent}{_dot_text(n.id)} [label={_dot_text(label)}, fillcolor={_dot_text(FILL.get(n.kind, '#ffffff'))}{shape}];"

    def emit(path: tuple[str, ...], indent: str) -> None:
        for n in by_cluster.get(path, []):
            lines.append(node_line(n, indent))
        for child in (c for c in pic.clusters if len(c) == len(path) + 1 and c[: len(path)] == path):
            lines.append(f"{indent}subgraph {_dot_text('cluster_' + child[-1])} {{")
            lines.append(f'{indent}  label={_dot_text(pic.clusters[child])}; style="rounded,dashed"; color="#6366f1";')
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")

    emit((), "  ")
    for e in pic.edges:
        style = {"residual": ', style=dashed, color="#c2410c"', "concat": ', style=dashed, color="#0f766e"'}.get(
            e.kind, ""
        )
        lines.append(f"  {_dot_text(e.src)} -> {_dot_text(e.dst)} [label={_dot_text(e.label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return '"' + text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") + '"'


def to_mermaid(pic: Picture) -> str:
    ids = {n.id: f"n{i}" for i, n in enumerate(pic.nodes)}
    lines = ["flowchart TB"]
    by_cluster: dict[tuple[str, ...], list[PicNode]] = {}
    for n in pic.nodes:
        by_cluster.setdefault(n.cluster, []).append(n)

    def emit(path: tuple[str, ...], indent: str) -> None:
        for n in by_cluster.get(path, []):
            label = _mermaid_text(n.title + (f" · {n.detail}" if n.detail else ""))
            shape = f"([{label}])" if n.kind in ("input", "output") else f"[{label}]"
            lines.append(f"{indent}{ids[n.id]}{shape}")
        for index, child in enumerate(c for c in pic.clusters if len(c) == len(path) + 1 and c[: len(path)] == path):
            lines.append(f"{indent}subgraph c{len(lines)}_{index}[{_mermaid_text(pic.clusters[child])}]")
            emit(child, indent + "  ")
            lines.append(f"{indent}end")

    emit((), "  ")
    for e in pic.edges:
        arrow = "-.->" if e.kind != "data" else "-->"
        lines.append(f"  {ids[e.src]} {arrow}|{_mermaid_text(e.label)}| {ids[e.dst]}")
    return "\n".join(lines) + "\n"
