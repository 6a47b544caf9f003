"""E-structure, E-limit: sections, statements and sizes that are misplaced, missing or beyond what can be held."""

from __future__ import annotations

from collections.abc import Sequence

from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.source import Span


def too_many_layers(limit: int, span: Span) -> Diagnostic:
    return error(
        "E-structure", f"the model expands to more than {limit} layers", span, help="reduce the repetition counts"
    )


def value_inside_chain(name: str, span: Span) -> Diagnostic:
    return error(
        "E-structure",
        f"`{name}` is a value, not a layer; only the first step of a chain can be a value",
        span,
        label="a value in the middle of a chain",
        help=f"to combine it, write e.g. `(... ) + {name}`; to restart from it, begin a new line with `{name} -> ...`",
    )


def block_parameter_as_layer(name: str, span: Span) -> Diagnostic:
    return error(
        "E-structure", f"`{name}` is a block parameter (a number), not a layer or value", span, label="block parameter"
    )


def value_called(name: str, span: Span) -> Diagnostic:
    return error("E-structure", f"`{name}` is a value and cannot be called", span, label="a value, not a layer")


def not_a_layer(span: Span, *, found: str) -> Diagnostic:
    """A constant, a negated constant or a number where a statement needs a layer or value."""
    scales = "; `x * 0.5` scales a value" if found == "a number" else ""
    return error(
        "E-structure",
        "expected a layer or value here",
        span,
        label=found,
        help=f"a statement applies layers, e.g. `conv2d(32, 3) -> relu`{scales}",
    )


def divide_by_value(span: Span) -> Diagnostic:
    return error(
        "E-structure",
        "`/` divides a value by a number, not by another value",
        span,
        label="two values",
        help="`+`, `-` and `*` between two values are elementwise; `x / 6` divides by a number",
    )


def tie_not_a_layer(name: str, kind: str, span: Span, *, other_block: bool) -> Diagnostic:
    return error(
        "E-structure",
        f"`{name}` is not {'a' if kind[0] not in 'aeiou' else 'an'} {kind} defined in this block",
        span,
        label="in another block" if other_block else f"not the output of an {kind}",
        help=f"name the {kind} itself, e.g. `{name} = {kind}(vocab, dim)`, in the same block",
    )


def which_input(span: Span) -> Diagnostic:
    return error(
        "E-structure",
        "this model has several inputs, so the chain must start with one of them",
        span,
        label="which input?",
        help="start the line with an input name, e.g. `x -> ...`",
    )


def empty_section(span: Span) -> Diagnostic:
    return error(
        "E-structure", "this section has no layers", span, label="empty", help="add at least one layer, e.g. `identity`"
    )


def after_out(span: Span) -> Diagnostic:
    return error(
        "E-structure", "statements after `out` are never used", span, label="unreachable", help="move `out` to the end"
    )


def blocks_too_deep(name: str, limit: int, stack: Sequence[str], span: Span) -> Diagnostic:
    return error(
        "E-limit",
        f"blocks nested more than {limit} deep (block `{name}` inside {' -> '.join(stack[-3:])} ...)",
        span,
        label="nested too deeply",
        help="flatten some of the blocks into their callers, or repeat one block with `* n`",
    )
