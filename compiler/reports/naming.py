"""E-unknown-layer, E-unknown-value, E-unknown-arg, E-duplicate, E-recursion, W-unused: what names mean."""

from __future__ import annotations

from collections.abc import Sequence

from netspec.compiler.diagnostics import Diagnostic, Label, error, warning
from netspec.compiler.source import Span
from netspec.compiler.suggest import closest, rename_fixes


def unknown_value(name: str, span: Span, values: Sequence[str]) -> Diagnostic:
    match = closest(name, values)
    known = ", ".join(f"`{v}`" for v in values) or "none yet"
    return error(
        "E-unknown-value",
        f"unknown value `{name}`",
        span,
        label="not defined",
        help=f"did you mean `{match}`?" if match else f"values defined so far: {known}",
        fixes=rename_fixes(name, values, span),
        notes=("a value must be named with `name = ...` before it is used",),
    )


def unknown_layer(name: str, span: Span, callables: Sequence[str]) -> Diagnostic:
    match = closest(name, callables)
    return error(
        "E-unknown-layer",
        f"unknown layer `{name}`",
        span,
        label="not a layer, block or value",
        help=f"did you mean `{match}`?" if match else "see docs/layers.md for the layer catalog",
        fixes=rename_fixes(name, callables, span),
    )


def defined_again(name: str, span: Span, first: Span | None = None) -> Diagnostic:
    return error(
        "E-duplicate",
        f"`{name}` is already defined",
        span,
        label="defined again here",
        secondary=(Label(span=first, message="first defined here"),) if first else (),
        help="choose another name",
    )


def input_defined_again(name: str, span: Span) -> Diagnostic:
    return error("E-duplicate", f"`{name}` is already defined", span, label="defined again here")


def shadows_layer(name: str, span: Span) -> Diagnostic:
    return error(
        "E-duplicate",
        f"`{name}` is the name of a layer or block",
        span,
        label="shadows a layer",
        help=f"rename it, e.g. `{name}_out`",
    )


def block_defined_again(name: str, span: Span, *, built_in: bool) -> Diagnostic:
    return error(
        "E-duplicate",
        f"`{name}` is already a {'built-in layer' if built_in else 'block'}",
        span,
        label="defined again here",
        help="rename the block",
    )


def block_parameter_repeated(name: str, span: Span, *, reserved: bool) -> Diagnostic:
    return error(
        "E-duplicate", f"parameter `{name}` is {'reserved for the block input' if reserved else 'repeated'}", span
    )


def recursive_block(name: str, chain: Sequence[str], span: Span) -> Diagnostic:
    return error(
        "E-recursion",
        f"block `{name}` uses itself ({' -> '.join(chain)})",
        span,
        label="recursive use",
        help="blocks cannot be recursive; repeat them with `* n` instead",
    )


def unused_value(name: str, span: Span) -> Diagnostic:
    return warning(
        "W-unused", f"value `{name}` is never used", span, label="defined here", help="use it or remove the name"
    )


def unused_block(name: str, span: Span) -> Diagnostic:
    return warning(
        "W-unused", f"block `{name}` is never used", span, label="defined here", help="use it in `layers:` or remove it"
    )


def unused_input(name: str, span: Span) -> Diagnostic:
    return warning("W-unused", f"input `{name}` is never used", span, label="declared here")
