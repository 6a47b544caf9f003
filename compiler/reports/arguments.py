"""E-arg-type, E-arg-count: arguments and input values that do not fit what a layer, block or setting takes."""

from __future__ import annotations

from netspec.compiler.arg_values import MAX_SIZE, ArgProblem, describe
from netspec.compiler.catalog.base import ArgSpec
from netspec.compiler.diagnostics import Diagnostic, Fix, error
from netspec.compiler.source import Span
from netspec.compiler.suggest import did_you_mean, rename_fixes


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


_INITIALIZERS = "write a number (`= 1e-6`), `= zeros`, `= ones`, `= normal(std=0.02)` or `= trunc_normal(std=0.02)`"


def _who(name: str, owner: str) -> str:
    return f"`{name}`" if owner == name else f"`{name}` of {owner}"


def _must(spec: ArgSpec, problem: ArgProblem) -> str:
    """What the argument must be, and what it was instead, for each kind of `ArgProblem`."""
    value = problem.value
    if problem.want == "int":
        return f"must be an integer, not {describe(value)}"
    if problem.want == "at_most":
        return f"must be at most {MAX_SIZE:,} (2**31), not {value:,}"
    if problem.want == "each_at_most":
        return f"must be at most {MAX_SIZE:,} (2**31) in each entry"
    if problem.want == "number":
        return f"must be a number, not {describe(value)}"
    if problem.want == "finite":
        return f"must be a finite number, not {value!r}"
    if problem.want == "bool":
        return f"must be true or false, not {describe(value)}"
    if problem.want == "choice":
        options = ", ".join(spec.choices)
        if not isinstance(value, str):
            return f"must be one of {options}, not {describe(value)}"
        hint = did_you_mean(value, spec.choices)
        return f"must be one of {options}, not `{value}`" + (f"; {hint}" if hint else "")
    if problem.want == "padding":
        return f"must be an integer, a list, `same` or `valid`, not `{value}`"
    if problem.want == "ints":
        want = f"an integer or a list of {spec.arity} integers" if spec.arity > 1 else "an integer"
        return f"must be {want}, not {describe(value)}"
    if problem.want == "int_list":
        return f"must be a list of integers, not {describe(value)}"
    if problem.want == "minimum":
        return f"must be at least {spec.minimum:g}, not {value}"
    return f"must be at most {spec.maximum:g}, not {value}"


def bad_argument(
    spec: ArgSpec, owner: str, problem: ArgProblem, raw: object, span: Span, fixes: tuple[Fix, ...]
) -> Diagnostic:
    return error(
        "E-arg-type", f"{_who(spec.name, owner)} {_must(spec, problem)}", span, label=describe(raw), fixes=fixes
    )


def signature(owner: str, schema: tuple[ArgSpec, ...]) -> str:
    """`conv2d(out_channels, kernel_size=3, ...)`: the help under an argument that does not bind."""
    parts = [s.name if s.required else f"{s.name}={_show_default(s.default)}" for s in schema]
    return f"{owner}({', '.join(parts)})"


def _show_default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return repr(value)


def too_many_positional(owner: str, schema: tuple[ArgSpec, ...], given: int, span: Span) -> Diagnostic:
    limit = len([s for s in schema if not s.keyword_only])
    return error(
        "E-arg-count",
        f"{owner} takes at most {limit} positional argument{'s' * (limit != 1)}, but {given} were given",
        span,
        label="extra argument",
        help=signature(owner, schema),
    )


def unknown_argument(owner: str, name: str, names: list[str], span: Span, *, help: str) -> Diagnostic:
    return error(
        "E-unknown-arg",
        f"{owner} has no argument `{name}`",
        span,
        label="unknown argument",
        help=did_you_mean(name, names) or help,
        fixes=rename_fixes(name, names, span),
    )


def given_twice(owner: str, name: str, span: Span, fixes: tuple[Fix, ...]) -> Diagnostic:
    return error(
        "E-arg-count",
        f"argument `{name}` of {owner} is given twice",
        span,
        label="given again here",
        help="remove one of them",
        fixes=fixes,
    )


def missing_argument(owner: str, name: str, schema: tuple[ArgSpec, ...], span: Span) -> Diagnostic:
    return error(
        "E-arg-count",
        f"{owner} needs the argument `{name}`",
        span,
        label=f"`{name}` missing",
        help=signature(owner, schema),
    )


def cannot_negate(span: Span) -> Diagnostic:
    return error("E-arg-type", "only numbers can be negated", span)


def arithmetic_needs_numbers(op: str, span: Span) -> Diagnostic:
    return error("E-arg-type", f"`{op}` needs numbers on both sides", span)


def division_by_zero(span: Span) -> Diagnostic:
    return error("E-arg-type", "division by zero", span)


def not_a_constant(span: Span) -> Diagnostic:
    return error(
        "E-arg-type", "expected a constant value here (a number, string, name or list)", span, label="not a constant"
    )


def arithmetic_overflows(span: Span) -> Diagnostic:
    return error("E-limit", "this arithmetic overflows: the result is not a finite number", span, label="overflows")


def integer_too_large(limit: int, span: Span) -> Diagnostic:
    return error("E-limit", f"this arithmetic gives an integer beyond {limit:,} (2**63 - 1)", span, label="too large")


def initializer_extra_argument(init: str, order: tuple[str, ...], span: Span) -> Diagnostic:
    return error(
        "E-arg-count",
        f"{init} takes at most {len(order)} positional arguments ({', '.join(order)})",
        span,
        label="extra argument",
        help=_INITIALIZERS,
    )


def initializer_unknown_argument(init: str, name: str, order: tuple[str, ...], span: Span) -> Diagnostic:
    return error(
        "E-unknown-arg",
        f"{init} has no argument `{name}`",
        span,
        label="unknown argument",
        help=f"{init}({', '.join(order)})",
    )


def unknown_initializer(param: str, found: str, span: Span) -> Diagnostic:
    return error(
        "E-arg-type",
        f"param {param} has an unknown initializer {found}",
        span,
        label="not an initializer",
        help=_INITIALIZERS,
    )
