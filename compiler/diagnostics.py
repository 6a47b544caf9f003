"""Diagnostics as data: what went wrong, where, and how to fix it; rendering lives elsewhere."""

from __future__ import annotations

from enum import StrEnum

from netspec.compiler.record import Record
from netspec.compiler.source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Label(Record):
    """A secondary span with a short note ("declared here", "task is here")."""

    span: Span
    message: str = ""


class TextEdit(Record):
    """Replace the text of `span` with `replacement` (an empty span inserts, an empty replacement deletes)."""

    span: Span
    replacement: str


class Fix(Record):
    """One way to repair a diagnostic: a one-line title and the edits that do it.

    `applicable` marks a fix that `netc fix` may apply unasked: it repairs the spec and changes
    nothing else about the model the author meant.
    """

    title: str
    edits: tuple[TextEdit, ...]
    applicable: bool = False


class Diagnostic(Record):
    """One finding. `code` is stable and documented in docs/diagnostics.md."""

    severity: Severity
    code: str
    message: str
    span: Span
    label: str = ""
    secondary: tuple[Label, ...] = ()
    notes: tuple[str, ...] = ()
    help: str = ""
    # repairs, best first
    fixes: tuple[Fix, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, message: str, span: Span, **extra: object) -> Diagnostic:
    return Diagnostic(severity=Severity.ERROR, code=code, message=message, span=span, **extra)


def warning(code: str, message: str, span: Span, **extra: object) -> Diagnostic:
    return Diagnostic(severity=Severity.WARNING, code=code, message=message, span=span, **extra)


class CompileFailed(Exception):
    """Raised by pipeline helpers when a stage returned errors; carries them for rendering."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{sum(d.is_error for d in diagnostics)} error(s)")
        self.diagnostics = diagnostics


# Every code the compiler emits, with a one-line meaning (docs and tests read this).
CODES: dict[str, str] = {
    "E-syntax": "the text does not follow the grammar",
    "E-unknown-layer": "a layer, block or value name that does not exist",
    "E-unknown-arg": "a keyword argument the layer or block does not take",
    "E-unknown-value": "a named value used before it is defined",
    "E-arg-type": "an argument of the wrong type or out of range",
    "E-arg-count": "too many, too few, or repeated arguments",
    "E-duplicate": "a name defined twice",
    "E-recursion": "a block that uses itself",
    "E-structure": "a missing, repeated or misplaced section or declaration",
    "E-task": "an unknown or malformed task",
    "E-train": "an unknown or malformed training setting",
    "E-dtype": "a tensor dtype that is unknown or not accepted by a layer",
    "E-shape": "tensor shapes that do not line up",
    "E-symbolic": "a layer that needs a concrete size met a symbolic dimension",
    "E-task-output": "the model output does not match the task's contract",
    "E-logits": "an activation before a loss that already applies it",
    "E-flatten": "a linear layer applied to a multi-dimensional feature map",
    "E-assert": "a shape assertion in the spec does not hold",
    "E-file": "the file cannot be read",
    "E-import": "a `use` whose file or block cannot be found, or whose file has errors",
    "E-limit": "a number, nesting depth or size beyond what the compiler (or PyTorch) can hold",
    "W-linear-linear": "two linear layers with no activation in between",
    "W-dropout-last": "dropout as the last layer does nothing useful",
    "W-unused": "a named value that is never used",
    "W-axis": "a layer reads an axis in another role (time or a channels-last image dim as channels)",
    "W-repeat": "a repetition of a layer that changes nothing the second time (`relu * 3`)",
}
