"""The loss a task's generated module builds: class name, arguments, and the helper class per-token losses need."""

from __future__ import annotations

from netspec.compiler.tasks import Task

LOSS_CLASSES = {
    "cross_entropy": "CrossEntropyLoss",
    "bce_with_logits": "BCEWithLogitsLoss",
    "mse": "MSELoss",
    "l1": "L1Loss",
    "huber": "HuberLoss",
}

SEQUENCE_LOSS = '''
class SequenceCrossEntropyLoss(nn.CrossEntropyLoss):
    """CrossEntropyLoss for [N, T, C] logits and [N, T] targets: the classes are the last dim, not dim 1."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return super().forward(logits.flatten(0, -2), target.flatten())
'''


def loss_class(task: Task) -> str:
    """The loss class as generated code names it (`nn.` prefix for PyTorch's own)."""
    if task.layout == "token":
        return "SequenceCrossEntropyLoss"
    return "nn." + LOSS_CLASSES[task.loss]


def loss_arguments(task: Task) -> str:
    args = []
    if task.label_smoothing:
        args.append(f"label_smoothing={task.label_smoothing!r}")
    if task.kind == "multiclass" and task.ignore_index != -100:
        args.append(f"ignore_index={task.ignore_index!r}")
    return ", ".join(args)


def task_support(task: Task) -> tuple[str, ...]:
    return (SEQUENCE_LOSS,) if task.layout == "token" else ()
