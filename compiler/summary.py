"""`netc shapes`: a torchinfo-like model summary computed from the checked IR alone (no torch).

Rows follow the graph's order; layers inside a block use sit under a row for that use, indented,
and `depth` collapses everything deeper than K block levels into the block's row (torchinfo's depth).
Costs (FLOPs, activation memory) need a size for every symbolic dim; without one the columns are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netspec.compiler.catalog import CATALOG
from netspec.compiler.catalog.common import tuple_arg
from netspec.compiler.cost import Evaluated, evaluate_costs, free_symbols, layer_costs, show_bytes, show_count
from netspec.compiler.graph import BlockInstance, LayerNode
from netspec.compiler.shapes import Checked
from netspec.compiler.symbolic import Dim, show
from netspec.compiler.tensor_types import show_shape

NOT_COUNTED = "not counted"


@dataclass(frozen=True)
class CostSettings:
    """The sizes costs are computed for: N from `--batch`, other dims from `--dim`, floats in `dtype`."""

    batch: int = 1
    dims: Mapping[str, int] = field(default_factory=dict)
    dtype: str | None = None

    def env(self) -> dict[str, int]:
        return {**self.dims, "N": self.batch}


@dataclass
class Row:
    depth: int
    name: str
    kind: str
    inputs: str
    output: str
    kernel: str = ""
    params: int = 0
    buffers: int = 0
    flops: int | None = 0
    activation_bytes: int = 0
    layer_ids: list[str] = field(default_factory=list)


def _dim_json(d: Dim) -> int | str:
    return d if isinstance(d, int) else show(d)


def kernel_of(node: LayerNode) -> tuple[int, ...] | None:
    """The window of a conv or pool, one size per spatial axis (torchinfo's kernel shape)."""
    spec = CATALOG[node.op].arg("kernel")
    if spec is None or node.args.get("kernel") is None:
        return None
    return tuple_arg(node.args["kernel"], spec.arity)


def _kernel(node: LayerNode) -> str:
    kernel = kernel_of(node)
    return "" if kernel is None else show_shape(kernel)


def _inputs_text(checked: Checked, names: tuple[str, ...]) -> str:
    shapes = [show_shape(checked.types[i].shape) for i in names]
    if len(shapes) > 1 and len(set(shapes)) == 1:
        return f"{shapes[0]} x{len(shapes)}"
    return ", ".join(shapes)


def _instance_label(b: BlockInstance) -> str:
    return f"{b.block}({', '.join(repr(v) if isinstance(v, str) else str(v) for v in b.args.values())})"


def missing_dims(checked: Checked, settings: CostSettings) -> list[str]:
    return sorted(free_symbols(checked) - set(settings.env()))


def summary_rows(checked: Checked, depth: int | None, costs: Evaluated | None) -> list[Row]:
    graph = checked.graph
    instances = {b.id: b for b in graph.blocks}
    rows: list[Row] = []
    open_rows: dict[str, Row] = {}
    for node in graph.nodes:
        spec = CATALOG[node.op]
        inputs = [checked.types[i] for i in node.inputs]
        shown = node.scope if depth is None else node.scope[: depth + 1]
        for level, path in enumerate(shown):
            if path not in open_rows:
                b = instances[path]
                open_rows[path] = Row(
                    level,
                    path.rsplit(".", 1)[-1],
                    _instance_label(b),
                    _inputs_text(checked, (b.input,)),
                    show_shape(checked.types[b.output].shape),
                )
                rows.append(open_rows[path])
        targets = [open_rows[p] for p in shown]
        if depth is None or len(node.scope) <= depth:
            row = Row(
                len(node.scope),
                node.id.rsplit(".", 1)[-1],
                node.op,
                _inputs_text(checked, node.inputs),
                show_shape(checked.types[node.id].shape),
                _kernel(node),
            )
            rows.append(row)
            targets.append(row)
        for row in targets:
            row.layer_ids.append(node.id)
            row.params += checked.params[node.id]
            row.buffers += spec.buffers(inputs, node.args)
            if costs is not None:
                layer_flops = costs.flops[node.id]
                row.flops = None if row.flops is None or layer_flops is None else row.flops + layer_flops
                row.activation_bytes += costs.activation_bytes[node.id]
    return rows


def total_buffers(checked: Checked) -> int:
    return sum(CATALOG[n.op].buffers([checked.types[i] for i in n.inputs], n.args) for n in checked.graph.nodes)


def summary_json(checked: Checked, settings: CostSettings | None = None) -> dict[str, Any]:
    settings = settings or CostSettings()
    graph = checked.graph
    symbolic = layer_costs(checked)
    costs = None if missing_dims(checked, settings) else evaluate_costs(checked, settings.env(), settings.dtype)
    layers = []
    for node in graph.nodes:
        spec = CATALOG[node.op]
        inputs = [checked.types[i] for i in node.inputs]
        expr = symbolic[node.id].flops
        layers.append(
            {
                "name": node.id,
                "kind": node.op,
                "scope": list(node.scope),
                "input_shapes": [[_dim_json(d) for d in t.shape] for t in inputs],
                "output_shape": [_dim_json(d) for d in checked.types[node.id].shape],
                "kernel": None if kernel_of(node) is None else list(kernel_of(node)),  # type: ignore[arg-type]
                "params": checked.params[node.id],
                "trainable_params": checked.params[node.id],
                "non_trainable_params": 0,
                "buffers": spec.buffers(inputs, node.args),
                "flops_expr": None if expr is None else show(expr),
                "flops": None if costs is None else costs.flops[node.id],
                "activation_bytes": None if costs is None else costs.activation_bytes[node.id],
            }
        )
    return {
        "model": graph.model,
        "inputs": [
            {"name": n.id, "dtype": n.dtype, "shape": [_dim_json(d) for d in checked.types[n.id].shape]}
            for n in graph.inputs
        ],
        "layers": layers,
        "total_params": checked.total_params,
        "trainable_params": checked.total_params,
        "non_trainable_params": 0,
        "total_buffers": total_buffers(checked),
        "output_shape": [_dim_json(d) for d in checked.output.shape],
        "task": checked.task.describe(),
        "cost": {
            "batch": settings.batch,
            "dims": dict(settings.dims),
            "dtype": settings.dtype,
            "missing_dims": missing_dims(checked, settings),
            "total_flops": None if costs is None else costs.total_flops,
            "not_counted": [] if costs is None else costs.uncounted,
            "activation_bytes": None if costs is None else costs.total_activation_bytes,
            "input_bytes": None if costs is None else costs.input_bytes,
        },
    }


def _flops_cell(value: int | None) -> str:
    return NOT_COUNTED if value is None else show_count(value)


def summary_table(checked: Checked, settings: CostSettings | None = None, depth: int | None = None) -> str:
    settings = settings or CostSettings()
    missing = missing_dims(checked, settings)
    costs = None if missing else evaluate_costs(checked, settings.env(), settings.dtype)
    header = ["layer", "kind", "input shape", "output shape", "kernel", "params", "buffers"]
    if costs is not None:
        header += ["FLOPs", "activations"]
    table: list[list[str]] = [header]
    for n in checked.graph.inputs:
        table.append(
            [n.id, "input", "", show_shape(checked.types[n.id].shape), "", "0", "0"] + (["", ""] if costs else [])
        )
    for row in summary_rows(checked, depth, costs):
        cells = [
            "  " * row.depth + row.name,
            row.kind,
            row.inputs,
            row.output,
            row.kernel,
            f"{row.params:,}",
            f"{row.buffers:,}",
        ]
        if costs is not None:
            cells += [_flops_cell(row.flops), show_bytes(row.activation_bytes)]
        table.append(cells)
    right = {5, 6, 7, 8}
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for index, cells in enumerate(table):
        parts = [f"{c:>{w}}" if i in right else f"{c:<{w}}" for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    lines.append("-" * len(lines[0]))
    lines.append(f"total parameters: {checked.total_params:,} (trainable {checked.total_params:,}, non-trainable 0)")
    lines.append(f"buffers: {total_buffers(checked):,}")
    if costs is not None:
        dtype = settings.dtype or "the declared dtypes"
        uncounted = f" (not counted: {', '.join(costs.uncounted)})" if costs.uncounted else ""
        lines.append(
            f"FLOPs per forward pass at batch {settings.batch}: {show_count(costs.total_flops)} "
            f"({costs.total_flops:,}; 2 per multiply-add, as torch.utils.flop_counter counts){uncounted}"
        )
        lines.append(
            f"activation memory at batch {settings.batch} in {dtype}: {show_bytes(costs.total_activation_bytes)} "
            f"(every layer's output; input {show_bytes(costs.input_bytes)})"
        )
    else:
        flags = " ".join(f"--dim {d}=..." for d in missing)
        lines.append(f"FLOPs and activation memory need a size for {', '.join(missing)}: add {flags}")
    lines.append(f"output: {show_shape(checked.output.shape)}  task: {checked.task.describe()}")
    return "\n".join(lines)
