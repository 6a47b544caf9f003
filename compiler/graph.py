"""The resolved model: a flat, topologically ordered graph of catalog layers with concrete arguments."""

from __future__ import annotations

from typing import Any, Literal

from netspec.compiler.record import Record
from netspec.compiler.source import Span
from pydantic import Field


class Frozen(Record):
    """Every graph-level model: frozen, checked by the passes that build it."""


class InputNode(Frozen):
    kind: Literal["input"] = "input"
    id: str
    dtype: str
    dims: tuple[int | str, ...]
    span: Span


class LayerNode(Frozen):
    """One application of a catalog layer. `scope` is the path of block instances around it."""

    kind: Literal["layer"] = "layer"
    id: str
    op: str
    args: dict[str, Any]
    inputs: tuple[str, ...]
    span: Span
    scope: tuple[str, ...] = ()
    # spans of the arguments the user wrote, for pointing at one argument in a message
    arg_spans: dict[str, Span] = Field(default_factory=dict)


class BlockInstance(Frozen):
    id: str
    block: str
    args: dict[str, Any]
    span: Span
    input: str
    output: str
    scope: tuple[str, ...] = ()


class Repeat(Frozen):
    """`x * n`: the n applications, when each is one block instance or one layer (codegen: nn.Sequential)."""

    members: tuple[str, ...]
    span: Span
    scope: tuple[str, ...] = ()


class ShapeAssertion(Frozen):
    node: str
    dims: tuple[int | str, ...]
    span: Span


class Graph(Frozen):
    model: str
    inputs: tuple[InputNode, ...]
    nodes: tuple[LayerNode, ...]
    output: str
    blocks: tuple[BlockInstance, ...] = ()
    assertions: tuple[ShapeAssertion, ...] = ()
    repeats: tuple[Repeat, ...] = ()
    # user-given value names -> node ids
    names: dict[str, str] = Field(default_factory=dict)
