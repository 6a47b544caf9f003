"""The task contract: output shape, loss, and target dtype/shape for each kind of task."""

from __future__ import annotations

from typing import Literal

from netspec.compiler import ir
from netspec.compiler.args import bind_call, split_call
from netspec.compiler.catalog.base import ArgSpec
from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.graph import Frozen
from netspec.compiler.source import Span
from netspec.compiler.suggest import did_you_mean, rename_fixes

TaskKind = Literal["multiclass", "binary", "multilabel", "regression"]
# where the classes sit in a multiclass output: [N, C] (sample), [N, ..., C] (token), [N, C, ...] (pixel)
Layout = Literal["sample", "token", "pixel"]


class Task(Frozen):
    kind: TaskKind
    outputs: int
    loss: Literal["cross_entropy", "bce_with_logits", "mse", "l1", "huber"]
    target_dtype: Literal["int64", "float32"]
    target_shape: tuple[int | str, ...]
    label_smoothing: float = 0.0
    ignore_index: int = -100
    layout: Layout = "sample"
    # the model's output shape when it is per token or per pixel (symbolic dims as text)
    dense_shape: tuple[int | str, ...] = ()
    span: Span

    @property
    def output_shape(self) -> tuple[int | str, ...]:
        return self.dense_shape or ("N", self.outputs)

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
        ArgSpec("ignore_index", "int", default=-100),
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
                fixes=rename_fixes(name, TASK_KINDS, name_span),
            )
        ]
    values, _, diags = bind_call(name, _SCHEMAS[name], raw_args, expr.span)
    if diags:
        return None, diags
    span = decl.span
    if name == "multiclass":
        if 0 <= values["ignore_index"] < values["classes"]:
            return None, [
                error(
                    "E-task",
                    f"ignore_index={values['ignore_index']} is a real class id (0..{values['classes'] - 1})",
                    expr.span,
                    label="ignored class",
                    help="mark targets to skip with a negative id, e.g. ignore_index=-100 (PyTorch's default)",
                    notes=("token accuracy and perplexity count every target in 0..C-1",),
                )
            ]
        return Task(
            kind="multiclass",
            outputs=values["classes"],
            loss="cross_entropy",
            target_dtype="int64",
            target_shape=("N",),
            label_smoothing=values["label_smoothing"],
            ignore_index=values["ignore_index"],
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


def dense_layout(task: Task, shape: tuple[int | str, ...], spatial: bool) -> Layout | None:
    """Which per-element form of multiclass an output [N, ...] of rank >= 3 is, if any.

    Sequences put the classes last ([N, T, C], as a linear head gives them); feature maps put
    them at dim 1 ([N, C, H, W], as a 1x1 conv gives them and CrossEntropyLoss reads them).
    """
    if task.kind != "multiclass" or len(shape) < 3:
        return None
    if spatial:  # a feature map: classes at dim 1, as a 1x1 conv gives them (a linear on a map is E-flatten)
        return "pixel" if shape[1] == task.outputs else None
    return "token" if shape[-1] == task.outputs else None


def per_element(task: Task, shape: tuple[int | str, ...], layout: Layout) -> Task:
    """The task with the target contract of a per-token or per-pixel output: one class id per element."""
    targets = shape[:-1] if layout == "token" else (shape[0], *shape[2:])
    return task.model_copy(update={"layout": layout, "dense_shape": shape, "target_shape": targets})
