"""A value and a number (`x * 0.5`, `in + 1`, `1 - x`, `x / 6`, `-x`): elementwise, written as Python arithmetic."""

from __future__ import annotations

import math

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.tensor_types import TensorType

# the integers PyTorch holds in each integer dtype; outside them its arithmetic wraps around silently
INT_RANGES = {
    "int64": (-(2**63), 2**63 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int8": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
}
# a Python int beyond this cannot be converted to a scalar by PyTorch at all (OverflowError)
MAX_INT = 2**63 - 1


def _shape(inputs: list[TensorType], args: Args) -> TensorType:
    t, op, number = inputs[0], args["op"], args["value"]
    written = _written(args)
    if t.dtype == "bool":
        raise ShapeError(
            f"`{written}` does arithmetic on a bool value",
            code="E-dtype",
            label="bool value",
            help="compare or combine bool masks with layers that take them; declare the input as float32 for arithmetic",
        )
    if isinstance(number, float) and not math.isfinite(number):
        raise ShapeError(f"`{written}`: the number must be finite, not {number!r}", code="E-arg-type")
    if not t.is_float:
        if op == "/" or isinstance(number, float):
            what = "true division" if op == "/" else f"`{op}` with the float {number!r}"
            raise ShapeError(
                f"`{written}` on a {t.dtype} value: {what} makes a float tensor in PyTorch, not {t.dtype}",
                code="E-dtype",
                label=f"{t.dtype} value",
                help="declare the input as float32, or use an integer with `+`, `-` or `*`",
                notes=("PyTorch would run it and return float32; netc keeps every value's dtype explicit",),
            )
        low, high = INT_RANGES[t.dtype]
        if not low <= number <= high:
            raise ShapeError(
                f"`{written}`: {number} does not fit in {t.dtype} ({low} to {high})",
                code="E-arg-type",
                help=f"use a number from {low} to {high}, or declare the input as float32",
                notes=("PyTorch would run it and wrap around silently",),
            )
    elif isinstance(number, int) and abs(number) > MAX_INT:
        raise ShapeError(
            f"`{written}`: {number} is too large for a PyTorch scalar (at most {MAX_INT})",
            code="E-arg-type",
            help=f"write it as a float, e.g. `{float(number):.3g}`",
        )
    if op == "/" and number == 0:
        raise ShapeError(f"`{written}` divides by zero", code="E-arg-type", help="divide by a nonzero number")
    return t


def _written(args: Args) -> str:
    number = repr(args["value"])
    return f"{number} {args['op']} x" if args["left"] else f"x {args['op']} {number}"


def _call(attr: str | None, names: list[str], args: Args) -> str:
    number = repr(args["value"])
    if args["left"]:
        return f"{number} {args['op']} {names[0]}"
    return f"{names[0]} {args['op']} {number}"


SCALAR = LayerSpec(
    name="scalar",
    category="combine",
    doc=(
        "A value and a number, elementwise: written `x * 0.5`, `in + 1`, `1 - x`, `x / 6`. Floats stay their dtype; "
        "an integer value takes integers with `+`, `-`, `*` only."
    ),
    args=(
        ArgSpec("op", "choice", choices=("+", "-", "*", "/")),
        ArgSpec("value", "number"),
        ArgSpec("left", "bool", default=False, doc="the number is written first (`1 - x`)"),
    ),
    shape=_shape,
    call=_call,
    example="x * 0.5",
    flops=flop_rules.no_flops,
)


def _neg_shape(inputs: list[TensorType], args: Args) -> TensorType:
    if inputs[0].dtype == "bool":
        raise ShapeError(
            "`-x` negates a bool value, which PyTorch does not support",
            code="E-dtype",
            label="bool value",
            help="declare the input as float32",
        )
    return inputs[0]


NEG = LayerSpec(
    name="neg",
    category="combine",
    doc="Elementwise negation, written `-x`.",
    args=(),
    shape=_neg_shape,
    call=lambda attr, names, args: f"-{names[0]}",
    example="-x",
    flops=flop_rules.no_flops,
)

LAYERS = (SCALAR, NEG)
