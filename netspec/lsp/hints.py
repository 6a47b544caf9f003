"""Inlay hints: the output shape at the end of each layer line, as rust-analyzer shows a binding's type."""

from __future__ import annotations

from dataclasses import dataclass

from netspec.compiler.graph import Graph
from netspec.compiler.source import Span
from netspec.compiler.tensor_types import TensorType, show_shape
from netspec.lsp.analysis import Analysis

MAX_VARIANTS = 3  # a block line used by instances of different widths shows at most this many shapes


@dataclass(frozen=True)
class LineShape:
    """The shape a line of the spec produces: where to show it and what (one shape, or one per block use)."""

    line: int
    after: Span  # the expression the hint follows
    shapes: tuple[str, ...]

    @property
    def label(self) -> str:
        shown = " | ".join(self.shapes[:MAX_VARIANTS])
        return f": {shown}" + (" | ..." if len(self.shapes) > MAX_VARIANTS else "")


def _line_outputs(graph: Graph, types: dict[str, TensorType]) -> dict[tuple[str, int], tuple[Span, str]]:
    """(instance path, line) -> the last value computed on that line by that instance (graph order)."""
    last: dict[tuple[str, int], tuple[Span, str]] = {}
    order = {node.id: index for index, node in enumerate(graph.nodes)}
    for node in graph.nodes:
        if node.span.file:  # a layer of a block imported from another file: its lines are not this file's
            continue
        last[(".".join(node.scope), node.span.end_line)] = (node.span, node.id)
    for instance in graph.blocks:
        if instance.span.file:
            continue
        # a block call is one step on its line: its value is the instance's output
        key = (".".join(instance.scope), instance.span.end_line)
        if key not in last or order.get(last[key][1], -1) <= order.get(instance.output, -1):
            last[key] = (instance.span, instance.output)
    outputs = {instance.id: instance.output for instance in graph.blocks}
    for repeat in graph.repeats:
        # `basic(64) * 2`: the line's value is the last repetition's, shown after the `* 2`
        last_member = repeat.members[-1]
        last[(".".join(repeat.scope), repeat.span.end_line)] = (repeat.span, outputs.get(last_member, last_member))
    return {key: value for key, value in last.items() if value[1] in types}


def line_shapes(analysis: Analysis, *, asserted_too: bool = False) -> list[LineShape]:
    """Each layer line's shape; lines whose shape assertion already states it are left out unless `asserted_too`."""
    graph = analysis.graph
    if graph is None:
        return []
    types = analysis.types
    asserted = set() if asserted_too else {a.span.end_line for a in graph.assertions}
    by_line: dict[int, tuple[Span, list[str]]] = {}
    for (_, line), (span, node_id) in sorted(_line_outputs(graph, types).items(), key=lambda kv: kv[0][1]):
        if line in asserted:
            continue  # the spec already states (and the compiler checks) this line's shape
        shape = show_shape(types[node_id].shape)
        where, shapes = by_line.setdefault(line, (span, []))
        if shape not in shapes:
            shapes.append(shape)
        if (span.end_line, span.end_column) > (where.end_line, where.end_column):
            by_line[line] = (span, shapes)
    return [LineShape(line, span, tuple(shapes)) for line, (span, shapes) in sorted(by_line.items())]
