"""`netc shapes`: a model summary computed from the checked IR alone (no torch)."""

from __future__ import annotations

from typing import Any

from netspec.compiler.shapes import Checked
from netspec.compiler.symbolic import Dim, show
from netspec.compiler.tensor_types import show_shape


def _dim_json(d: Dim) -> int | str:
    return d if isinstance(d, int) else show(d)


def summary_json(checked: Checked) -> dict[str, Any]:
    graph = checked.graph
    return {
        "model": graph.model,
        "inputs": [
            {"name": n.id, "dtype": n.dtype, "shape": [_dim_json(d) for d in checked.types[n.id].shape]}
            for n in graph.inputs
        ],
        "layers": [
            {
                "name": node.id,
                "kind": node.op,
                "output_shape": [_dim_json(d) for d in checked.types[node.id].shape],
                "params": checked.params[node.id],
            }
            for node in graph.nodes
        ],
        "total_params": checked.total_params,
        "output_shape": [_dim_json(d) for d in checked.output.shape],
        "task": checked.task.describe(),
    }


def summary_table(checked: Checked) -> str:
    rows = [("layer", "kind", "output shape", "params")]
    for n in checked.graph.inputs:
        rows.append((n.id, "input", show_shape(checked.types[n.id].shape), "0"))
    for node in checked.graph.nodes:
        rows.append((node.id, node.op, show_shape(checked.types[node.id].shape), f"{checked.params[node.id]:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:>{widths[3]}}")
        if index == 0:
            lines.append("-" * len(lines[0]))
    lines.append("-" * len(lines[0]))
    lines.append(f"total parameters: {checked.total_params:,}")
    lines.append(f"output: {show_shape(checked.output.shape)}  task: {checked.task.describe()}")
    return "\n".join(lines)
