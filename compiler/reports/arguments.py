"""E-arg-type, E-arg-count: arguments and input values that do not fit what a layer, block or setting takes."""

from __future__ import annotations

from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.source import Span


def scalar_not_a_number(op: str, found: str, span: Span) -> Diagnostic:
    return error(
        "E-arg-type",
        f"`{op}` combines a value with a number, not with {found}",
        span,
        label="not a number",
        help="write e.g. `x * 0.5` or `in + 1`",
    )


def bad_repeat_count(count: object, maximum: int, span: Span, *, body: str) -> Diagnostic:
    return error(
        "E-arg-type",
        f"a repetition count must be an integer from 1 to {maximum}, not {count!r}",
        span,
        label="repetition count",
        help="write e.g. `basic(64) * 2`"
        if not isinstance(count, float)
        else f"to scale a value, multiply the value: `(x -> {body}) * {count!r}` or `y * {count!r}`",
    )


def extra_input(callee: str, given: int, span: Span) -> Diagnostic:
    return error("E-arg-count", f"{callee} takes one input value, but {given} were given", span, label="extra input")


def input_not_first(callee: str, span: Span) -> Diagnostic:
    return error("E-arg-count", f"the input value of {callee} must be its first argument", span)


def inputs_not_first(callee: str, span: Span) -> Diagnostic:
    return error("E-arg-count", f"the input values of {callee} must come first", span)


def wrong_input_count(callee: str, arity: int, given: int, span: Span) -> Diagnostic:
    """`arity` 2: exactly two values; 0: two or more."""
    want = "two" if arity == 2 else "at least two"
    return error(
        "E-arg-count",
        f"{callee} takes {want} input values, but {given} {'was' if given == 1 else 'were'} given",
        span,
        help=f"e.g. `{callee}(a, b)` with values named earlier",
    )


def input_count_out_of_range(callee: str, low: int, high: int, given: int, span: Span) -> Diagnostic:
    return error(
        "E-arg-count",
        f"{callee} takes {low} to {high} input values, but {given} were given",
        span,
        help=f"e.g. `{callee}(x, memory, mask, ...)` with values named earlier",
    )


def missing_tie(callee: str, kind: str, span: Span) -> Diagnostic:
    return error(
        "E-arg-count",
        f"{callee} needs the name of the {kind} whose weight it shares",
        span,
        label=f"which {kind}?",
        help=f"name the {kind} (`tok = {kind}(vocab, dim)`) and write `{callee}(tok)`",
    )
