"""E-dtype, E-shape, E-symbolic, E-flatten, E-assert and the model lints: what the tensors flowing through the graph do."""

from __future__ import annotations

from netspec.compiler.diagnostics import Diagnostic, error, warning
from netspec.compiler.source import Span


def assertion_not_a_dimension(span: Span) -> Diagnostic:
    return error("E-assert", "a shape assertion lists integers and dimension names", span, label="not a dimension")


def repeat_changes_nothing(name: str, count: int, span: Span, *, steps_before: str, body: str) -> Diagnostic:
    """`relu * 3`; `steps_before` is the chain before the repeated step, as written ('' at a chain's start)."""
    meant = f"did you mean `({steps_before} -> {body}) * {count}`?" if steps_before else f"write `{body}` once"
    return warning(
        "W-repeat",
        f"repeating {name} changes nothing: {name} applied twice equals {name} applied once",
        span,
        label=f"{name} repeated {count} times",
        help=meant,
        notes=("`*` repeats the one step before it; parenthesize a chain to repeat it all",),
    )
