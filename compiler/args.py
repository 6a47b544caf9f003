"""Constant argument values: evaluate spec expressions to Python values and bind them to a schema."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from netspec.compiler import ir
from netspec.compiler.arg_values import (
    IO,
    MAX_INT,
    MAX_SIZE,
    UNKNOWN,
    WORD_PADDINGS,
    WORDS,
    ArgProblem,
    Unknown,
    Word,
    is_int,
)
from netspec.compiler.catalog.base import ArgSpec
from netspec.compiler.diagnostics import Diagnostic, Fix, TextEdit
from netspec.compiler.reports import arguments
from netspec.compiler.source import Span
from netspec.compiler.suggest import closest, rename_fixes


class NotConstant(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def constant(expr: ir.Expr, env: Mapping[str, Any]) -> Any:
    """Evaluate a constant expression; names look up block parameters, then true/false/none."""
    if isinstance(expr, ir.Int | ir.Float | ir.Str):
        return expr.value
    if isinstance(expr, ir.Name):
        if expr.id in env:
            return env[expr.id]
        if expr.id in WORDS:
            return WORDS[expr.id]
        return Word(expr.id)
    if isinstance(expr, ir.Neg):
        value = constant(expr.operand, env)
        if isinstance(value, Unknown):
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NotConstant(arguments.cannot_negate(expr.span))
        return -value
    if isinstance(expr, ir.ListExpr):
        return tuple(constant(item, env) for item in expr.items)
    if isinstance(expr, ir.Chain) and len(expr.steps) == 2:
        return IO(constant(expr.steps[0], env), constant(expr.steps[1], env))
    if isinstance(expr, ir.BinOp):
        left, right = constant(expr.left, env), constant(expr.right, env)
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return UNKNOWN
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right)):
            raise NotConstant(arguments.arithmetic_needs_numbers(expr.op, expr.span))
        if expr.op == "/" and right == 0:
            raise NotConstant(arguments.division_by_zero(expr.span))
        return _in_range(_arithmetic(expr.op, left, right), expr.span)
    raise NotConstant(arguments.not_a_constant(expr.span))


def _arithmetic(op: str, left: int | float, right: int | float) -> int | float:
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        return left // right if isinstance(left, int) and isinstance(right, int) else left / right
    except OverflowError:  # an int too large to become a float
        return math.inf


def _in_range(value: int | float, span: Span) -> int | float:
    """Constant arithmetic stays finite and within 64-bit integers, or it is an error at the expression."""
    if isinstance(value, float) and not math.isfinite(value):
        raise NotConstant(arguments.arithmetic_overflows(span))
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise NotConstant(arguments.integer_too_large(MAX_INT, span))
    return value


def check_arg(spec: ArgSpec, value: Any) -> tuple[Any, ArgProblem | None]:
    """Validate and normalize one value; returns (value, problem) with problem None when fine."""
    if isinstance(value, Unknown) or (isinstance(value, tuple) and any(isinstance(v, Unknown) for v in value)):
        return value, None
    kind = spec.kind
    if isinstance(value, Word) and kind in ("choice", "padding", "str"):
        value = value.text
    if kind in ("optional_int", "optional_ints", "optional_float") and value is None:
        return None, None
    if kind in ("int", "optional_int"):
        if not is_int(value):
            return value, ArgProblem("int", value)
        if abs(value) > MAX_SIZE:
            return value, ArgProblem("at_most", value)
    elif kind in ("float", "optional_float", "number"):
        if is_int(value) and kind != "number":
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, ArgProblem("number", value)
        if isinstance(value, float) and not math.isfinite(value):
            return value, ArgProblem("finite", value)
    elif kind == "bool":
        if not isinstance(value, bool):
            return value, ArgProblem("bool", value)
    elif kind == "choice" or kind == "str":
        if not isinstance(value, str) or (spec.choices and value not in spec.choices):
            return value, ArgProblem("choice", value)
        return value, None
    elif kind in ("ints", "optional_ints", "padding", "adaptive"):
        if kind == "padding" and isinstance(value, str):
            return value, None if value in WORD_PADDINGS else ArgProblem("padding", value)
        items = value if isinstance(value, tuple) else (value,)
        ok = all(is_int(v) or (kind == "adaptive" and v is None) for v in items)
        if not ok or (isinstance(value, tuple) and len(value) != spec.arity):
            return value, ArgProblem("ints", value)
        if any(v is not None and abs(v) > MAX_SIZE for v in items):
            return value, ArgProblem("each_at_most", value)
        if spec.arity == 1 and isinstance(value, tuple):
            value = value[0]
        return value, _range_problem(spec, [v for v in items if v is not None])
    elif kind == "int_list":
        items = value if isinstance(value, tuple) else (value,)
        if not items or not all(is_int(v) for v in items):
            return value, ArgProblem("int_list", value)
        if any(abs(v) > MAX_SIZE for v in items):
            return value, ArgProblem("each_at_most", value)
        return tuple(items), None
    return value, _range_problem(spec, [value])


def _range_problem(spec: ArgSpec, values: list[Any]) -> ArgProblem | None:
    for v in values:
        if spec.minimum is not None and v < spec.minimum:
            return ArgProblem("minimum", v)
        if spec.maximum is not None and v > spec.maximum:
            return ArgProblem("maximum", v)
    return None


def bind(
    owner: str,
    schema: tuple[ArgSpec, ...],
    call_args: list[tuple[ir.Arg, Any]],
    call_span: Span,
    io: tuple[str, str] | None = None,
    varargs: bool = False,
) -> tuple[dict[str, Any], dict[str, Span], list[Diagnostic]]:
    """Bind evaluated (positional, keyword) arguments to the schema, checking names, counts and types.

    With `varargs`, every positional value goes into the first schema entry as a tuple
    (`reshape(4, 7, 7)`, `permute(0, 2, 1)`).
    """
    diags: list[Diagnostic] = []
    values: dict[str, Any] = {}
    spans: dict[str, Span] = {}
    written: dict[str, ir.Arg] = {}  # the argument each single value came from, for fixes
    positional = [(a, v) for a, v in call_args if a.name is None]
    keywords = [(a, v) for a, v in call_args if a.name is not None]
    if varargs and positional:
        first = schema[0].name
        flat = (
            positional[0][1]
            if len(positional) == 1 and isinstance(positional[0][1], tuple)
            else tuple(v for _, v in positional)
        )
        values[first] = flat
        spans[first] = positional[0][0].span.merge(positional[-1][0].span)
        positional = []
    positional_schema = [s for s in schema if not s.keyword_only]
    for index, (arg, value) in enumerate(positional):
        if index == 0 and isinstance(value, IO) and io is not None:
            values[io[0]], values[io[1]] = value.inp, value.out
            spans[io[0]] = spans[io[1]] = arg.span
            continue
        if index >= len(positional_schema):
            diags.append(arguments.too_many_positional(owner, schema, len(positional), arg.span))
            break
        name = positional_schema[index].name
        values[name], spans[name], written[name] = value, arg.span, arg
    for arg, value in keywords:
        assert arg.name is not None and arg.name_span is not None
        spec = next((s for s in schema if s.name == arg.name or arg.name in s.aliases), None)
        if spec is None:
            names = [s.name for s in schema] + [a for s in schema for a in s.aliases]
            help = arguments.signature(owner, schema)
            diags.append(arguments.unknown_argument(owner, arg.name, names, arg.name_span, help=help))
            continue
        if spec.name in values:
            fixes = _drop_repeated(arg, call_args, same=value == values[spec.name])
            diags.append(arguments.given_twice(owner, spec.name, arg.span, fixes))
            continue
        values[spec.name], spans[spec.name], written[spec.name] = value, arg.span, arg
    bound: dict[str, Any] = {}
    typos = {
        closest(a.name, [s.name for s in schema])
        for a, _ in keywords
        if a.name and not any(a.name == s.name or a.name in s.aliases for s in schema)
    }
    for spec in schema:
        if spec.name not in values:
            if spec.required and spec.name not in typos:
                diags.append(arguments.missing_argument(owner, spec.name, schema, call_span))
            else:
                bound[spec.name] = spec.default
            continue
        value, problem = check_arg(spec, values[spec.name])
        if problem is not None:
            raw = values[spec.name]
            word = raw.text if isinstance(raw, Word) else raw if isinstance(raw, str) else None
            source_arg = written.get(spec.name)
            words = spec.choices or (WORD_PADDINGS if spec.kind == "padding" else ())
            fixes = (
                rename_fixes(word, words, source_arg.value.span)
                if word is not None and words and source_arg is not None
                else ()
            )
            diags.append(arguments.bad_argument(spec, owner, problem, raw, spans[spec.name], fixes))
        # a bare word a schema kept as it is (a block parameter of kind "any") travels on as its text
        bound[spec.name] = value.text if isinstance(value, Word) else value
    return bound, spans, diags


def _drop_repeated(arg: ir.Arg, call_args: list[tuple[ir.Arg, Any]], same: bool) -> tuple[Fix, ...]:
    """Delete a repeated argument with the comma before it; machine-applicable when both give the same value."""
    index = next(i for i, (a, _) in enumerate(call_args) if a is arg)
    if index == 0:
        return ()
    before = call_args[index - 1][0].span
    span = Span(
        line=before.end_line, column=before.end_column, end_line=arg.span.end_line, end_column=arg.span.end_column
    )
    return (
        Fix(title=f"remove the repeated `{arg.name}`", edits=(TextEdit(span=span, replacement=""),), applicable=same),
    )


def split_call(expr: ir.Expr) -> tuple[str, Span, list[ir.Arg]] | None:
    """`name` or `name(args...)` as (name, name span, arguments); None for anything else."""
    if isinstance(expr, ir.Name):
        return expr.id, expr.span, []
    if isinstance(expr, ir.Call):
        return expr.callee, expr.callee_span, list(expr.args)
    return None


def bind_call(
    owner: str,
    schema: tuple[ArgSpec, ...],
    args: list[ir.Arg],
    call_span: Span,
    env: dict[str, Any] | None = None,
    io: tuple[str, str] | None = None,
    varargs: bool = False,
) -> tuple[dict[str, Any], dict[str, Span], list[Diagnostic]]:
    """The one path of every call with a schema (layer, block, task, train setting): each argument
    to a constant (names looked up in `env`), then bound and checked against the schema."""
    evaluated: list[tuple[ir.Arg, Any]] = []
    diags: list[Diagnostic] = []
    for arg in args:
        try:
            evaluated.append((arg, constant(arg.value, env or {})))
        except NotConstant as exc:
            diags.append(exc.diagnostic)
    if diags:  # a binding of the rest would only add "missing argument" cascades
        return {}, {}, diags
    return bind(owner, schema, evaluated, call_span, io=io, varargs=varargs)
