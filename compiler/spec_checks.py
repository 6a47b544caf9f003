"""Whole-spec checks, in one place: one model, one task, one `layers:` and `train:`, inputs declared with `N` first."""

from __future__ import annotations

from netspec.compiler import ir
from netspec.compiler.arg_values import MAX_SIZE
from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.source import Span
from netspec.compiler.suggest import closest, rename_fixes
from netspec.compiler.tensor_types import DTYPES

_START = Span.point(1, 1)

# item kind -> (what it is called, the fix when it is missing, or None when it is optional)
_ONCE: tuple[tuple[type, str, str | None], ...] = (
    (ir.ModelDecl, "`model` declaration", "add `model MyNet`"),
    (ir.TaskDecl, "`task`", "add e.g. `task multiclass(classes=10)`"),
    (ir.LayersSection, "`layers` section", "add `layers:`"),
    (ir.TrainSection, "`train:` section", None),
)


def check_spec(program: ir.Program) -> tuple[list[Diagnostic], bool]:
    """The facts about the whole file that no single statement can break alone, and whether the
    inputs are sound enough to infer shapes from (a missing task still lets the layers be checked)."""
    diags: list[Diagnostic] = []
    for kind, what, add in _ONCE:
        found = [i for i in program.items if isinstance(i, kind)]
        if not found and add is not None:
            diags.append(error("E-structure", f"the spec has no {what}", _START, label="missing", help=add))
        diags += [
            error("E-structure", f"a spec has one {what}", extra.span, label="repeated", help="merge them into one")
            for extra in found[1:]
        ]
    inputs = [i for i in program.items if isinstance(i, ir.InputDecl)]
    if not inputs:
        diags.append(
            error(
                "E-structure",
                "the spec declares no input",
                _START,
                label="missing `input`",
                help="add e.g. `input x: float32[N, 1, 28, 28]`",
            )
        )
    input_problems = [d for decl in inputs for d in _check_input(decl)]
    return diags + input_problems, bool(inputs) and not input_problems


def _check_input(decl: ir.InputDecl) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    if decl.dtype not in DTYPES:
        match = closest(decl.dtype, DTYPES)
        diags.append(
            error(
                "E-dtype",
                f"unknown dtype `{decl.dtype}`",
                decl.dtype_span,
                label="not a dtype",
                help=f"did you mean `{match}`?" if match else f"dtypes: {', '.join(DTYPES)}",
                fixes=rename_fixes(decl.dtype, DTYPES, decl.dtype_span),
            )
        )
    if not decl.dims or decl.dims[0].value != "N":
        first = decl.dims[0].span if decl.dims else decl.span
        diags.append(
            error(
                "E-shape",
                "the first dimension of an input is the batch and must be written `N`",
                first,
                label="batch dimension",
                help=f"write `{decl.dtype}[N, ...]`",
            )
        )
    for dim in decl.dims[1:]:
        if dim.value == "N":
            diags.append(
                error(
                    "E-shape",
                    "`N` is the batch dimension and may only come first",
                    dim.span,
                    help="use another name for a symbolic size, e.g. T",
                )
            )
        elif isinstance(dim.value, int) and dim.value < 1:
            diags.append(error("E-shape", f"dimension sizes must be positive, not {dim.value}", dim.span))
        elif isinstance(dim.value, int) and dim.value > MAX_SIZE:
            diags.append(
                error("E-limit", f"dimension sizes must be at most {MAX_SIZE:,} (2**31), not {dim.value:,}", dim.span)
            )
    return diags
