"""The spec IR: a frozen, versioned, JSON-round-trippable tree with a span on every node."""

from __future__ import annotations

from typing import Annotated, Literal

from netspec.compiler.record import Record
from netspec.compiler.source import Span
from pydantic import Field

IR_VERSION = 1


class Node(Record):
    span: Span


# ---- expressions -----------------------------------------------------------


class Int(Node):
    kind: Literal["int"] = "int"
    value: int


class Float(Node):
    kind: Literal["float"] = "float"
    value: float
    text: str = ""  # as written (`1e-3`), so that `netc fmt` keeps it


class Str(Node):
    kind: Literal["str"] = "str"
    value: str


class Name(Node):
    kind: Literal["name"] = "name"
    id: str


class Arg(Node):
    """A call argument; `name` is None for a positional one."""

    kind: Literal["arg"] = "arg"
    name: str | None = None
    name_span: Span | None = None
    value: Expr


class Call(Node):
    kind: Literal["call"] = "call"
    callee: str
    callee_span: Span
    args: tuple[Arg, ...] = ()


class ListExpr(Node):
    kind: Literal["list"] = "list"
    items: tuple[Expr, ...] = ()


class Chain(Node):
    """`a -> b -> c`: data flows left to right."""

    kind: Literal["chain"] = "chain"
    steps: tuple[Expr, ...]


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: Literal["+", "-", "*", "/"]
    left: Expr
    right: Expr


class Neg(Node):
    kind: Literal["neg"] = "neg"
    operand: Expr


class AssertShape(Node):
    """`expr : [N, 32, 13, 13]`: the compiler checks the shape of `expr`."""

    kind: Literal["assert"] = "assert"
    value: Expr
    shape: ListExpr


Expr = Annotated[
    Int | Float | Str | Name | Call | ListExpr | Chain | BinOp | Neg | AssertShape,
    Field(discriminator="kind"),
]


# ---- statements and declarations --------------------------------------------


class Assign(Node):
    kind: Literal["assign"] = "assign"
    target: str
    target_span: Span
    value: Expr


class Output(Node):
    kind: Literal["output"] = "output"
    value: Expr


class ExprStmt(Node):
    kind: Literal["expr"] = "expr"
    value: Expr


class ParamDecl(Node):
    """`param gamma: [c, 1, 1] = 1e-6`: a learnable tensor of the block or model, used as a value."""

    kind: Literal["param_decl"] = "param_decl"
    target: str
    target_span: Span
    shape: ListExpr
    init: Expr


Statement = Annotated[Assign | Output | ExprStmt | ParamDecl, Field(discriminator="kind")]


class ModelDecl(Node):
    kind: Literal["model"] = "model"
    name: str
    name_span: Span


class Dim(Node):
    kind: Literal["dim"] = "dim"
    value: int | str


class InputDecl(Node):
    kind: Literal["input"] = "input"
    name: str
    name_span: Span
    dtype: str
    dtype_span: Span
    dims: tuple[Dim, ...]


class TaskDecl(Node):
    kind: Literal["task"] = "task"
    value: Expr


class Param(Node):
    kind: Literal["param"] = "param"
    name: str
    default: Expr | None = None


class BlockDef(Node):
    kind: Literal["block"] = "block"
    name: str
    name_span: Span
    params: tuple[Param, ...] = ()
    body: tuple[Statement, ...] = ()


class LayersSection(Node):
    kind: Literal["layers"] = "layers"
    body: tuple[Statement, ...] = ()


class Setting(Node):
    kind: Literal["setting"] = "setting"
    key: str
    key_span: Span
    value: Expr


class TrainSection(Node):
    kind: Literal["train"] = "train"
    settings: tuple[Setting, ...] = ()


class UseDecl(Node):
    """`use "std/transformer.net"` or `from "blocks.net" use a, b`: blocks defined in another file."""

    kind: Literal["use"] = "use"
    path: str
    path_span: Span
    names: tuple[str, ...] = ()  # empty: every block of the file
    name_spans: tuple[Span, ...] = ()


Item = Annotated[
    ModelDecl | InputDecl | TaskDecl | BlockDef | LayersSection | TrainSection | UseDecl,
    Field(discriminator="kind"),
]


class Comment(Record):
    line: int
    column: int
    text: str


class Program(Record):
    """A whole spec file. `comments` are kept so that `netc fmt` can put them back."""

    kind: Literal["program"] = "program"
    version: int = IR_VERSION
    file: str
    items: tuple[Item, ...] = ()
    comments: tuple[Comment, ...] = ()
