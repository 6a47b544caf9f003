"""The task contract: output shape, loss, and target dtype/shape for each kind of task."""

from __future__ import annotations

from typing import Literal

from netspec.compiler import ir
from netspec.compiler.args import bind_call, split_call
from netspec.compiler.catalog.base import ArgSpec
from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.graph import Frozen
from netspec.compiler.source import Span
from netspec.compiler.suggest import did_you_mean

TaskKind = Literal["multiclass", "binary", "multilabel", "regression"]


class Task(Frozen):
    kind: TaskKind
    outputs: int
    loss: Literal["cross_entropy", "bce_with_logits", "mse", "l1", "huber"]
    target_dtype: Literal["int64", "float32"]
    target_shape: tuple[int | str, ...]
    label_smoothing: float = 0.0
    span: Span

    def describe(self) -> str:
        args = {
            "multiclass": f"multiclass(classes={self.outputs})",
            "binary": "binary",
            "multilabel": f"multilabel(labels={self.outputs})",
            "regression": f"regression(outputs={self.outputs}, loss={self.loss})",
        }
        return args[self.kind]


_SCHEMAS: dict[str, tuple[ArgSpec, ...]] = {
    "multiclass": (
        ArgSpec("classes", "int", minimum=2, aliases=("num_classes", "n")),
        ArgSpec("label_smoothing", "float", default=0.0, minimum=0.0, maximum=1.0),
    ),
    "binary": (),
    "multilabel": (ArgSpec("labels", "int", minimum=1, aliases=("classes", "k")),),
    "regression": (
        ArgSpec("outputs", "int", default=1, minimum=1, aliases=("k",)),
        ArgSpec("loss", "choice", default="mse", choices=("mse", "l1", "huber")),
    ),
}

TASK_KINDS = tuple(_SCHEMAS)


def resolve_task(decl: ir.TaskDecl) -> tuple[Task | None, list[Diagnostic]]:
    expr = decl.value
    call = split_call(expr)
    if call is None:
        return None, [
            error(
                "E-task",
                "a task is one of " + ", ".join(TASK_KINDS),
                expr.span,
                label="not a task",
                help="e.g. `task multiclass(classes=10)`",
            )
        ]
    name, name_span, raw_args = call
    if name not in _SCHEMAS:
        hint = did_you_mean(name, TASK_KINDS)
        return None, [
            error(
                "E-task",
                f"unknown task `{name}`",
                name_span,
                label="unknown task",
                help=hint
                or "use multiclass(classes=C), binary, multilabel(labels=K) or regression(outputs=K, loss=mse|l1|huber)",
            )
        ]
    values, _, diags = bind_call(name, _SCHEMAS[name], raw_args, expr.span)
    if diags:
        return None, diags
    span = decl.span
    if name == "multiclass":
        return Task(
            kind="multiclass",
            outputs=values["classes"],
            loss="cross_entropy",
            target_dtype="int64",
            target_shape=("N",),
            label_smoothing=values["label_smoothing"],
            span=span,
        ), []
    if name == "binary":
        return Task(
            kind="binary", outputs=1, loss="bce_with_logits", target_dtype="float32", target_shape=("N", 1), span=span
        ), []
    if name == "multilabel":
        k = values["labels"]
        return Task(
            kind="multilabel",
            outputs=k,
            loss="bce_with_logits",
            target_dtype="float32",
            target_shape=("N", k),
            span=span,
        ), []
    k = values["outputs"]
    return Task(
        kind="regression", outputs=k, loss=values["loss"], target_dtype="float32", target_shape=("N", k), span=span
    ), []
