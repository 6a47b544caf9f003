"""Shape inference and the lints on top of it: every tensor's dtype and shape, proven before anything runs."""

from __future__ import annotations

from dataclasses import dataclass

from netspec.compiler.axis_roles import axis_warnings, channels_first_fix
from netspec.compiler.catalog import CATALOG, ShapeError
from netspec.compiler.diagnostics import Diagnostic, Fix, Label, error, warning
from netspec.compiler.graph import Graph, InputNode, LayerNode
from netspec.compiler.min_input import smallest_input
from netspec.compiler.repairs import (
    assertion_fixes,
    declare_dims,
    flatten_fixes,
    layer_fixes,
    logits_fixes,
    read_input,
    task_output_fixes,
)
from netspec.compiler.source import SourceFile
from netspec.compiler.symbolic import Sym, show
from netspec.compiler.tasks import Task, dense_layout, per_element
from netspec.compiler.tensor_types import TensorType, show_shape

LOGIT_LOSSES = {"cross_entropy", "bce_with_logits"}
SHRINK_NOTE = "its input is "  # the note that marks a window that shrank a size to nothing


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


def _diagnostic(exc: ShapeError, node: LayerNode, graph: Graph, source: SourceFile | None) -> Diagnostic:
    """Point at the layer; inside a block, also at the call that instantiated it."""
    instances = {b.id: b for b in graph.blocks}
    secondary = tuple(
        Label(span=instances[path].span, message=f"in block `{instances[path].block}` used here")
        for path in node.scope
        if path in instances
    )
    fixes = layer_fixes(exc.repairs, node, source, graph) if source is not None else ()
    decl = read_input(node, graph)
    if (
        decl is not None
        and any(r.input_order for r in exc.repairs)
        and fixes
        and fixes[0].title == exc.repairs[0].title
    ):
        # the declaration is the likely cause: it is the primary span, the layer that tripped on it secondary
        return error(
            exc.code,
            exc.message,
            decl.span,
            label="the input is declared here",
            help=exc.help,
            notes=exc.notes,
            secondary=(Label(span=node.span, message=exc.label), *secondary),
            fixes=fixes,
        )
    resized = {r.title for r in exc.repairs if r.input_size}
    if decl is not None and any(f.title in resized for f in fixes):
        # the layer or the declaration may be wrong: show both, fix either
        secondary = (*secondary, Label(span=decl.span, message="or is the input declared wrong?"))
    return error(
        exc.code,
        exc.message,
        node.span,
        label=exc.label,
        help=exc.help,
        notes=exc.notes,
        secondary=secondary,
        fixes=fixes,
    )


def _shrink_chain(node: LayerNode, graph: Graph, types: dict[str, TensorType]) -> tuple[str, ...]:
    """For a window that shrank a size to nothing: the layer's input shape and the layers that shrank it."""
    producers = {n.id: n for n in graph.nodes}
    inputs = {i.id: i for i in graph.inputs}
    steps: list[str] = []
    current = node.inputs[0] if node.inputs else None
    while current is not None and current in producers and len(steps) < 8:
        layer = producers[current]
        before = types.get(layer.inputs[0]) if layer.inputs else None
        after = types.get(layer.id)
        if before is not None and after is not None and before.shape[2:] != after.shape[2:]:
            steps.append(f"{layer.op} (line {layer.span.line}) {show_shape(before.shape)} -> {show_shape(after.shape)}")
        current = layer.inputs[0] if layer.inputs else None
    if current in inputs:
        steps.append(f"input `{current}` (line {inputs[current].span.line}) {show_shape(types[current].shape)}")
    seen = types.get(node.inputs[0]) if node.inputs else None
    notes = (f"{SHRINK_NOTE}{show_shape(seen.shape)}",) if seen is not None else ()
    if steps:
        notes += ("shrunk by: " + "; ".join(reversed(steps)),)
    return notes


def _is_shrink(diag: Diagnostic) -> bool:
    return any(note.startswith(SHRINK_NOTE) for note in diag.notes)


def _explain_shrink(
    diag: Diagnostic, node: LayerNode, graph: Graph, types: dict[str, TensorType], source: SourceFile | None
) -> Diagnostic:
    """Add what shrank the size, and (when it comes from a declared input) the smallest input that fits."""
    update: dict[str, object] = {"notes": (*diag.notes, *_shrink_chain(node, graph, types))}
    origin = _origin_input(node, graph)
    layout = channels_first_fix(origin, source) if origin is not None else None
    if layout is not None:
        # an image declared channels-last shrinks its width (the channels) first: the layout is the cause
        update["notes"] = (*update["notes"], "the input looks channels-last")  # type: ignore[misc]
        update["fixes"] = (layout, *diag.fixes)
    elif source is not None and origin is not None:
        dims = smallest_input(graph, origin, _is_shrink, lambda g: infer_types(g)[2])
        edit = declare_dims(origin, dims, source) if dims is not None else None
        if edit is not None:
            shown = "[" + ", ".join(map(str, dims)) + "]"  # type: ignore[arg-type]
            fix = Fix(title=f"declare an input these layers fit: {shown}", edits=(edit,))
            update["fixes"] = (*diag.fixes, fix)
    return diag.model_copy(update=update)


def _origin_input(node: LayerNode, graph: Graph) -> InputNode | None:
    """The declared input at the start of the single-input chain that leads to `node`."""
    producers = {n.id: n for n in graph.nodes}
    inputs = {i.id: i for i in graph.inputs}
    current = node.inputs[0] if node.inputs else None
    for _ in range(len(graph.nodes) + 1):
        if current in inputs:
            return inputs[current]
        layer = producers.get(current) if current is not None else None
        if layer is None or not layer.inputs:
            return None
        current = layer.inputs[0]
    return None


def infer_types(
    graph: Graph, source: SourceFile | None = None
) -> tuple[dict[str, TensorType], dict[str, int], list[Diagnostic]]:
    """Every node's type and parameter count; nodes after an error are left out (no cascades).

    With the `source`, diagnostics carry the text edits that repair them."""
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
            diag = _diagnostic(exc, node, graph, source)
            if exc.shrinks:
                diag = _explain_shrink(diag, node, graph, types, source)
            diags.append(diag)
            continue
        if out.origin and " at line " not in out.origin:
            out = TensorType(out.dtype, out.shape, out.spatial, f"{out.origin} at line {node.span.line}")
        types[node.id] = out
        diags += _lint_node(node, producers)
        diags += axis_warnings(node, graph, types, source)
    diags += _check_assertions(graph, types)
    return types, params, diags


def infer(graph: Graph, task: Task | None, source: SourceFile | None = None) -> tuple[Checked | None, list[Diagnostic]]:
    types, params, diags = infer_types(graph, source)
    producers = {n.id: n for n in graph.nodes}
    if task is not None and graph.output in types:
        task = _fit_task(task, types[graph.output])
        diags += _check_task(graph, task, types[graph.output], producers.get(graph.output), types, source)
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
                    fixes=assertion_fixes(assertion, actual),
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


def _flatten_missing(
    linear: LayerNode,
    types: dict[str, TensorType],
    out: TensorType,
    task: Task,
    graph: Graph,
    source: SourceFile | None,
) -> Diagnostic:
    inp = types[linear.inputs[0]]
    return error(
        "E-flatten",
        f"linear acts only on the last dimension, but its input is a {inp.rank}-D feature map {show_shape(inp.shape)}, "
        f"so the model outputs {show_shape(out.shape)} where task {task.describe()} needs [N, {task.outputs}]",
        linear.span,
        label=f"input is {show_shape(inp.shape)}",
        secondary=(Label(span=task.span, message=f"the task needs [N, {task.outputs}]"),),
        help="add `flatten` before it to get [N, features]",
        fixes=flatten_fixes(linear, graph),
    )


def _check_task(
    graph: Graph,
    task: Task,
    out: TensorType,
    last: LayerNode | None,
    types: dict[str, TensorType],
    source: SourceFile | None,
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
                fixes=logits_fixes(graph, last, source),
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
    if task.layout != "sample":
        return diags
    # the classic mistake only where the task wants [N, outputs]: a per-pixel head may end in a map
    linear = _linear_on_map(last, {n.id: n for n in graph.nodes}, types) if out.rank > len(want) == 2 else None
    if linear is not None:
        return [*diags, _flatten_missing(linear, types, out, task, graph, source)]
    if out.shape != want or not out.is_float:
        if out.rank > 2:
            fix = _dense_fix(task, out)
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
                f"task {task.describe()} needs the output {_wanted(task, out)}, but the model outputs {show_shape(out.shape)}"
                + ("" if out.is_float else f" of dtype {out.dtype}"),
                where,
                label=f"output is {show_shape(out.shape)}",
                secondary=task_label,
                help=fix,
                fixes=task_output_fixes(graph, task, out, source),
            )
        )
    return diags


def _fit_task(task: Task, out: TensorType) -> Task:
    """A multiclass output of rank >= 3 whose class dim matches is per token or per pixel."""
    if out.rank < 3 or not out.is_float:
        return task
    shape = tuple(d if isinstance(d, int) else show(d) for d in out.shape)
    layout = dense_layout(task, shape, out.spatial)
    return per_element(task, shape, layout) if layout else task


def _dense_fix(task: Task, out: TensorType) -> str:
    c = task.outputs
    if task.kind != "multiclass":
        return (
            f"add `flatten -> linear({c})` at the end"
            if out.spatial
            else f"take one vector first: `last -> linear({c})`"
        )
    if out.spatial:
        return f"end with `conv2d({c}, 1)` for a class per pixel, or `adaptive_avgpool2d(1) -> flatten -> linear({c})` for one per image"
    return f"end with `linear({c})` for a class per token, or `last -> linear({c})` for one per sequence"


def _wanted(task: Task, out: TensorType) -> str:
    c = task.outputs
    if task.kind != "multiclass" or out.rank < 3:
        return f"[N, {c}]"
    dims = [show(d) for d in out.shape]
    if out.spatial:
        return f"[N, {c}] or, per pixel, [N, {c}, {', '.join(dims[2:])}]"
    return f"[N, {c}] or, per token, [N, {', '.join(dims[1:-1])}, {c}]"
