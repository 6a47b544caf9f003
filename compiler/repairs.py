"""The fixes of shape and task errors: from what the shape pass knows to text edits on the spec."""

from __future__ import annotations

import re

from netspec.compiler.catalog import CATALOG
from netspec.compiler.catalog.base import Repair
from netspec.compiler.diagnostics import Fix, TextEdit
from netspec.compiler.edits import insert_at, literal, remove_step, set_arg_edits, span_text
from netspec.compiler.graph import Graph, InputNode, LayerNode, ShapeAssertion
from netspec.compiler.source import SourceFile, Span
from netspec.compiler.symbolic import Sym
from netspec.compiler.tasks import Task
from netspec.compiler.tensor_types import TensorType


def _shared(node: LayerNode, graph: Graph | None = None) -> bool:
    """An edit to this call's text would change other applications too (a block body, a `* n` repeat)."""
    if node.scope:
        return True
    return graph is not None and any(node.id in r.members for r in graph.repeats)


def read_input(node: LayerNode, graph: Graph) -> InputNode | None:
    """The declared input this layer reads directly, if it does."""
    return next((i for i in graph.inputs if node.inputs and i.id == node.inputs[0]), None)


def _rewrite_input(decl: InputNode, repair: Repair, source: SourceFile) -> TextEdit | None:
    """Rewrite `[N, 28, 28, 1]` in the declaration: dimensions reordered, or one axis resized."""
    dims_list: list[int | str] = list(decl.dims)
    if repair.input_size is not None:
        axis, size = repair.input_size
        dims_list[axis] = size
    order = repair.input_order or tuple(range(len(dims_list)))
    if len(order) != len(dims_list):
        return None
    return declare_dims(decl, tuple(dims_list[i] for i in order), source)


def declare_dims(decl: InputNode, dims_list: tuple[int | str, ...], source: SourceFile) -> TextEdit | None:
    """The edit that writes `dims_list` between the brackets of an input declaration."""
    if decl.span.line != decl.span.end_line:
        return None
    line = source.line_text(decl.span.line)
    start = line.find("[", decl.span.column - 1)
    end = line.find("]", start)
    if start < 0 or end < start:
        return None
    dims = ", ".join(str(d) for d in dims_list)
    return TextEdit(
        span=Span(line=decl.span.line, column=start + 2, end_line=decl.span.line, end_column=end + 1),
        replacement=dims,
    )


def layer_fixes(repairs: tuple[Repair, ...], node: LayerNode, source: SourceFile, graph: Graph) -> tuple[Fix, ...]:
    fixes: list[Fix] = []
    io = CATALOG[node.op].io
    for repair in repairs:
        if repair.input_order or repair.input_size:
            decl = read_input(node, graph)
            edit = _rewrite_input(decl, repair, source) if decl is not None else None
            if edit is not None:
                fixes.append(Fix(title=repair.title, edits=(edit,), applicable=repair.applicable))
            continue
        if repair.remove:
            producers = {n.id: n for n in graph.nodes}
            removal = remove_step(node, producers.get(node.inputs[0]) if node.inputs else None, source)
            if removal is not None:
                fixes.append(Fix(title=repair.title, edits=(removal,), applicable=False))
            continue
        edits: list[TextEdit] = []
        if repair.before:
            edits.append(insert_at(node.span.line, node.span.column, repair.before))
        if repair.set_args:
            arg_edits = set_arg_edits(node, io, dict(repair.set_args), source)
            if arg_edits is None:
                continue
            edits += arg_edits
        if edits:
            fixes.append(
                Fix(title=repair.title, edits=tuple(edits), applicable=repair.applicable and not _shared(node, graph))
            )
    return tuple(fixes)


def flatten_fixes(linear: LayerNode, graph: Graph) -> tuple[Fix, ...]:
    """`flatten -> ` before a linear that reads a conv/pool feature map."""
    edit = insert_at(linear.span.line, linear.span.column, "flatten -> ")
    return (Fix(title="add `flatten` before it", edits=(edit,), applicable=not _shared(linear, graph)),)


def assertion_dims(t: TensorType) -> str:
    """The actual shape as an assertion can write it: integers, plain symbols, `_` for expressions."""
    dims = []
    for d in t.shape:
        if isinstance(d, int):
            dims.append(str(d))
        else:
            names = [n for n in re.findall(r"[A-Za-z_]\w*", str(d))]
            dims.append(names[0] if len(names) == 1 and d == Sym.var(names[0]) else "_")
    return "[" + ", ".join(dims) + "]"


def assertion_fixes(assertion: ShapeAssertion, actual: TensorType) -> tuple[Fix, ...]:
    new = assertion_dims(actual)
    return (
        Fix(
            title=f"update the assertion to `{new}`",
            edits=(TextEdit(span=assertion.span, replacement=new),),
            applicable=True,
        ),
    )


def logits_fixes(graph: Graph, last: LayerNode, source: SourceFile | None) -> tuple[Fix, ...]:
    if source is None or not last.inputs:
        return ()
    producers = {n.id: n for n in graph.nodes}
    edit = remove_step(last, producers.get(last.inputs[0]), source)
    if edit is None:
        return ()
    return (Fix(title=f"remove `{last.op}`: the loss applies it", edits=(edit,), applicable=not _shared(last, graph)),)


def _last_linear(graph: Graph) -> LayerNode | None:
    """The linear layer that sets the output width, looking back through activations and dropout."""
    producers = {n.id: n for n in graph.nodes}
    node = producers.get(graph.output)
    while node is not None:
        spec = CATALOG[node.op]
        if spec.name == "linear":
            return node
        if (spec.category != "activation" and spec.role not in ("dropout", "squash")) or len(node.inputs) != 1:
            return None
        node = producers.get(node.inputs[0])
    return None


def task_output_fixes(graph: Graph, task: Task, out: TensorType, source: SourceFile | None) -> tuple[Fix, ...]:
    if source is None or not out.is_float:
        return ()
    fixes: list[Fix] = []
    if out.rank == 2 and out.shape[0] == Sym.var("N") and isinstance(out.shape[1], int):
        linear = _last_linear(graph)
        if linear is not None:
            edits = set_arg_edits(linear, CATALOG["linear"].io, {"out_features": task.outputs}, source)
            if edits:
                fixes.append(
                    Fix(
                        title=f"make the last linear give {task.outputs} outputs",
                        edits=edits,
                        applicable=not _shared(linear, graph),
                    )
                )
        last = {n.id: n for n in graph.nodes}.get(graph.output)
        if linear is None and last is not None and not last.scope:
            # no linear sets the width: the head is missing
            end = insert_at(last.span.end_line, last.span.end_column, f" -> linear({task.outputs})")
            fixes.append(Fix(title=f"end the model with `linear({task.outputs})`", edits=(end,)))
        task_edit = _task_size_edit(task, out.shape[1], source)
        if task_edit is not None:
            fixes.append(Fix(title=f"change the task to {out.shape[1]} outputs", edits=(task_edit,)))
    elif out.rank > 2 and out.shape[0] == Sym.var("N"):
        producers = {n.id: n for n in graph.nodes}
        last = producers.get(graph.output)
        linear = _last_linear(graph)
        if task.kind == "multiclass" and not out.spatial and linear is not None:
            # a sequence head: one class per token is the task's own per-token form
            edits = set_arg_edits(linear, CATALOG["linear"].io, {"out_features": task.outputs}, source)
            if edits:
                fixes.append(
                    Fix(
                        title=f"make the last linear give {task.outputs} classes per token",
                        edits=edits,
                        applicable=not _shared(linear, graph),
                    )
                )
        if last is not None and not last.scope:
            # one vector per sample: a sequence keeps its last step; a feature map is flattened
            tail = f" -> flatten -> linear({task.outputs})" if out.spatial else f" -> last -> linear({task.outputs})"
            end = insert_at(last.span.end_line, last.span.end_column, tail)
            fixes.append(Fix(title=f"end with `{tail.removeprefix(' -> ')}` for one output per sample", edits=(end,)))
    return tuple(fixes)


def _task_size_edit(task: Task, size: int, source: SourceFile) -> TextEdit | None:
    """Rewrite the size in `multiclass(classes=10)`-style task text; None when there is none to rewrite."""
    if task.kind == "binary":
        return None
    text = span_text(source, task.span)
    match = re.search(r"\(\s*(?:\w+\s*=\s*)?(\d+)", text)
    if match is None:
        return None
    col = task.span.column + match.start(1)
    span = task.span.model_copy(update={"column": col, "end_column": col + len(match.group(1))})
    return TextEdit(span=span, replacement=literal(size))
