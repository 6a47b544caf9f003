"""Shape inference and the lints on top of it: every tensor's dtype and shape, proven before anything runs."""

from __future__ import annotations

from dataclasses import dataclass

from netspec.compiler.catalog import CATALOG, ShapeError
from netspec.compiler.diagnostics import Diagnostic, Label, error, warning
from netspec.compiler.graph import Graph, LayerNode
from netspec.compiler.symbolic import Sym
from netspec.compiler.tasks import Task
from netspec.compiler.tensor_types import TensorType, show_shape

LOGIT_LOSSES = {"cross_entropy", "bce_with_logits"}


@dataclass(frozen=True)
class Checked:
    """A graph whose shapes all line up, with the type and parameter count of every node."""

    graph: Graph
    task: Task
    types: dict[str, TensorType]
    params: dict[str, int]

    @property
    def output(self) -> TensorType:
        return self.types[self.graph.output]

    @property
    def total_params(self) -> int:
        return sum(self.params.values())


def input_type(dtype: str, dims: tuple[int | str, ...]) -> TensorType:
    shape = tuple(d if isinstance(d, int) else Sym.var(d) for d in dims)
    return TensorType(dtype, shape, spatial=len(shape) >= 4)


def _diagnostic(exc: ShapeError, node: LayerNode, graph: Graph) -> Diagnostic:
    """Point at the layer; inside a block, also at the call that instantiated it."""
    instances = {b.id: b for b in graph.blocks}
    secondary = tuple(
        Label(span=instances[path].span, message=f"in block `{instances[path].block}` used here")
        for path in node.scope
        if path in instances
    )
    return error(exc.code, exc.message, node.span, label=exc.label, help=exc.help, notes=exc.notes, secondary=secondary)


def infer_types(graph: Graph) -> tuple[dict[str, TensorType], dict[str, int], list[Diagnostic]]:
    """Every node's type and parameter count; nodes after an error are left out (no cascades)."""
    types: dict[str, TensorType] = {n.id: input_type(n.dtype, n.dims) for n in graph.inputs}
    params: dict[str, int] = {}
    diags: list[Diagnostic] = []
    producers = {n.id: n for n in graph.nodes}
    for node in graph.nodes:
        if any(i not in types for i in node.inputs):
            continue  # an earlier error already explains this part of the graph
        spec = CATALOG[node.op]
        inputs = [types[i] for i in node.inputs]
        try:
            out = spec.shape(inputs, node.args)
            params[node.id] = spec.params(inputs, node.args)
        except ShapeError as exc:
            diags.append(_diagnostic(exc, node, graph))
            continue
        if out.origin and " at line " not in out.origin:
            out = TensorType(out.dtype, out.shape, out.spatial, f"{out.origin} at line {node.span.line}")
        types[node.id] = out
        diags += _lint_node(node, producers)
    diags += _check_assertions(graph, types)
    return types, params, diags


def infer(graph: Graph, task: Task | None) -> tuple[Checked | None, list[Diagnostic]]:
    types, params, diags = infer_types(graph)
    producers = {n.id: n for n in graph.nodes}
    if task is not None and graph.output in types:
        diags += _check_task(graph, task, types[graph.output], producers.get(graph.output), types)
    if any(d.is_error for d in diags) or task is None:
        return None, diags
    return Checked(graph=graph, task=task, types=types, params=params), diags


def _lint_node(node: LayerNode, producers: dict[str, LayerNode]) -> list[Diagnostic]:
    if CATALOG[node.op].role != "affine" or not node.inputs:
        return []
    before = producers.get(node.inputs[0])
    if before is not None and CATALOG[before.op].role == "affine":
        return [
            warning(
                "W-linear-linear",
                "two linear layers in a row with no activation in between collapse into one linear map",
                node.span,
                label="directly after a linear",
                secondary=(Label(span=before.span, message="previous linear"),),
                help="add an activation between them, e.g. `-> relu ->`",
            )
        ]
    return []


def _check_assertions(graph: Graph, types: dict[str, TensorType]) -> list[Diagnostic]:
    diags = []
    for assertion in graph.assertions:
        actual = types.get(assertion.node)
        if actual is None:
            continue
        expected = assertion.dims
        ok = len(expected) == actual.rank and all(
            e == "_" or (isinstance(e, int) and a == e) or (isinstance(e, str) and a == Sym.var(e))
            for e, a in zip(expected, actual.shape, strict=False)
        )
        if not ok:
            written = "[" + ", ".join(str(e) for e in expected) + "]"
            diags.append(
                error(
                    "E-assert",
                    f"shape assertion failed: expected {written}, but the shape is {show_shape(actual.shape)}",
                    assertion.span,
                    label=f"actual shape {show_shape(actual.shape)}",
                    help=f"update the assertion to `: {show_shape(actual.shape)}` or fix the layers before it",
                )
            )
    return diags


def _linear_on_map(
    last: LayerNode | None, producers: dict[str, LayerNode], types: dict[str, TensorType]
) -> LayerNode | None:
    """The linear nearest the output that was applied to a conv/pool feature map, walking back along first inputs."""
    node, seen = last, 0
    while node is not None and seen < len(producers):
        if CATALOG[node.op].role == "affine" and types[node.inputs[0]].spatial:
            return node
        node = producers.get(node.inputs[0]) if node.inputs else None
        seen += 1
    return None


def _flatten_missing(linear: LayerNode, types: dict[str, TensorType], out: TensorType, task: Task) -> Diagnostic:
    inp = types[linear.inputs[0]]
    return error(
        "E-flatten",
        f"linear acts only on the last dimension, but its input is a {inp.rank}-D feature map {show_shape(inp.shape)}, "
        f"so the model outputs {show_shape(out.shape)} where task {task.describe()} needs [N, {task.outputs}]",
        linear.span,
        label=f"input is {show_shape(inp.shape)}",
        secondary=(Label(span=task.span, message=f"the task needs [N, {task.outputs}]"),),
        help="add `flatten` before it to get [N, features]",
    )


def _check_task(
    graph: Graph, task: Task, out: TensorType, last: LayerNode | None, types: dict[str, TensorType]
) -> list[Diagnostic]:
    where = last.span if last is not None else graph.inputs[0].span
    task_label = (Label(span=task.span, message=f"the task needs [N, {task.outputs}]"),)
    if last is not None and CATALOG[last.op].role == "squash" and task.loss in LOGIT_LOSSES:
        loss = "CrossEntropyLoss" if task.loss == "cross_entropy" else "BCEWithLogitsLoss"
        applies = "softmax" if task.loss == "cross_entropy" else "a sigmoid"
        return [
            error(
                "E-logits",
                f"the model ends with {last.op}, but {task.kind} training uses {loss}, which already applies {applies}",
                last.span,
                label=f"remove this {last.op}",
                secondary=task_label,
                help=f"end with the logits (the last linear); `netc predict` applies {applies} for you",
            )
        ]
    diags: list[Diagnostic] = []
    if last is not None and CATALOG[last.op].role == "dropout":
        diags.append(
            warning(
                "W-dropout-last",
                "dropout as the last layer randomly zeroes the model's outputs",
                last.span,
                label="last layer",
                help="put dropout before the last linear layer",
            )
        )
    want = (Sym.var("N"), task.outputs)
    # the classic mistake only where the task wants [N, outputs]: a per-pixel head may end in a map
    linear = _linear_on_map(last, {n.id: n for n in graph.nodes}, types) if out.rank > len(want) == 2 else None
    if linear is not None:
        return [*diags, _flatten_missing(linear, types, out, task)]
    if out.shape != want or not out.is_float:
        if out.rank > 2:
            fix = f"add `flatten -> linear({task.outputs})` at the end"
        elif out.rank == 2 and out.shape[0] == want[0]:
            fix = (
                f"end the model with `linear({task.outputs})`"
                if not isinstance(out.shape[1], int) or out.shape[1] != task.outputs
                else "the output must be floating point"
            )
        else:
            fix = f"end the model with a layer giving [N, {task.outputs}]"
        diags.append(
            error(
                "E-task-output",
                f"task {task.describe()} needs the output [N, {task.outputs}], but the model outputs {show_shape(out.shape)}"
                + ("" if out.is_float else f" of dtype {out.dtype}"),
                where,
                label=f"output is {show_shape(out.shape)}",
                secondary=task_label,
                help=fix,
            )
        )
    return diags
