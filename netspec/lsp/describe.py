"""How the editor writes catalog entries and arguments: signatures, defaults and PyTorch forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netspec.compiler.catalog.base import ArgSpec, LayerSpec
from netspec.compiler.tensor_types import TensorType


def literal(value: Any) -> str:
    """A default value as it is written in a spec (`true`, `none`, `[1, 2]`, `1e-3`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    return repr(value)


def argument(spec: ArgSpec) -> str:
    return spec.name if spec.required else f"{spec.name}={literal(spec.default)}"


def signature(name: str, args: Sequence[ArgSpec]) -> str:
    return f"{name}({', '.join(argument(a) for a in args)})" if args else name


def argument_doc(spec: ArgSpec) -> str:
    parts = [spec.kind, "required" if spec.required else f"default {literal(spec.default)}"]
    if spec.choices:
        parts.append("one of " + ", ".join(spec.choices))
    if spec.aliases:
        parts.append("alias " + ", ".join(spec.aliases))
    if spec.keyword_only:
        parts.append("keyword only")
    return "; ".join(parts) + (f". {spec.doc}" if spec.doc else "")


def pytorch_form(spec: LayerSpec, inputs: list[TensorType], args: dict[str, Any]) -> str:
    """The PyTorch module (or functional call) the generated code uses for this application of the layer."""
    module = spec.module(inputs, args)
    if module is not None:
        cls, ctor = module
        return f"{cls}({', '.join(ctor)})"
    names = ["x"] if len(inputs) <= 1 else [chr(ord("a") + i) for i in range(len(inputs))]
    return spec.call(None, names, args)
