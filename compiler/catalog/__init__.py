"""The layer catalog: every layer kind the language knows, in one registry."""

from __future__ import annotations

from netspec.compiler.catalog import (
    activation,
    attention,
    channels,
    combine,
    conv,
    dense,
    norm,
    parameter,
    pool,
    positions,
    recurrent,
    resample,
    scalar,
    structure,
)
from netspec.compiler.catalog.base import REQUIRED, Args, ArgSpec, LayerSpec, ShapeError

CATALOG: dict[str, LayerSpec] = {
    spec.name: spec
    for module in (
        dense,
        conv,
        pool,
        norm,
        recurrent,
        structure,
        channels,
        resample,
        activation,
        combine,
        parameter,
        scalar,
        attention,
        positions,
    )
    for spec in module.LAYERS
}

# `+`, `-` and `*` between values are written as operators, not called by name
OPERATOR_LAYERS = {"+": "add", "-": "sub", "*": "mul"}

__all__ = ["CATALOG", "OPERATOR_LAYERS", "REQUIRED", "ArgSpec", "Args", "LayerSpec", "ShapeError"]
