"""Parse tree -> spec IR. Pure translation with spans; every semantic check is a later pass."""

from __future__ import annotations

import ast
import re

from lark import Token, Tree
from netspec.compiler import ir
from netspec.compiler.source import SourceFile, Span

_COMMENT_OR_STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*")


def extract_comments(text: str) -> tuple[ir.Comment, ...]:
    """Every `#` comment with its position, skipping `#` inside string literals."""
    comments = []
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    line = 0
    for match in _COMMENT_OR_STRING.finditer(text):
        if not match.group().startswith("#"):
            continue
        while line + 1 < len(line_starts) and line_starts[line + 1] <= match.start():
            line += 1
        column = match.start() - line_starts[line] + 1
        comments.append(ir.Comment(line=line + 1, column=column, text=match.group().rstrip()))
    return tuple(comments)


def _tok_span(tok: Token) -> Span:
    return Span(line=tok.line, column=tok.column, end_line=tok.end_line, end_column=tok.end_column)


def _tree_span(tree: Tree) -> Span:
    m = tree.meta
    return Span(line=m.line, column=m.column, end_line=m.end_line, end_column=m.end_column)


def _span(node: Tree | Token) -> Span:
    return _tok_span(node) if isinstance(node, Token) else _tree_span(node)


def _string_value(tok: Token) -> str:
    try:
        value = ast.literal_eval(str(tok))
    except (ValueError, SyntaxError):
        return str(tok)[1:-1]
    return value if isinstance(value, str) else str(tok)[1:-1]


def build_expr(node: Tree | Token) -> ir.Expr:
    if isinstance(node, Token):  # bare atoms come through as tokens under their alias trees
        raise TypeError(f"unexpected token {node.type}")
    span = _tree_span(node)
    data, children = node.data, node.children
    if data == "int":
        return ir.Int(span=span, value=int(children[0]))
    if data == "float":
        return ir.Float(span=span, value=float(children[0]), text=str(children[0]))
    if data == "string":
        return ir.Str(span=span, value=_string_value(children[0]))
    if data == "name":
        return ir.Name(span=span, id=str(children[0]))
    if data == "call":
        callee, *args = children
        return ir.Call(
            span=span,
            callee=str(callee),
            callee_span=_tok_span(callee),
            args=tuple(_build_arg(a) for a in args if a is not None),
        )
    if data == "list":
        return ir.ListExpr(span=span, items=tuple(build_expr(c) for c in children if c is not None))
    if data == "chain":
        # the grammar's chain is left-recursive: walk it in a loop, so a long chain needs no deep stack
        rights: list[Tree | Token] = []
        while isinstance(node, Tree) and node.data == "chain":
            node, _arrow, right = node.children
            rights.append(right)
        head = build_expr(node)
        steps = head.steps if isinstance(head, ir.Chain) else (head,)
        return ir.Chain(span=span, steps=(*steps, *(build_expr(r) for r in reversed(rights))))
    if data in ("add", "sub", "mul", "div"):
        op = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[data]
        return ir.BinOp(span=span, op=op, left=build_expr(children[0]), right=build_expr(children[1]))
    if data == "neg":
        return ir.Neg(span=span, operand=build_expr(children[0]))
    if data == "assert_shape":
        shape = build_expr(children[1])
        assert isinstance(shape, ir.ListExpr)
        return ir.AssertShape(span=span, value=build_expr(children[0]), shape=shape)
    raise ValueError(f"unknown expression node {data}")


def _build_arg(node: Tree) -> ir.Arg:
    if node.data == "kwarg":
        name, value = node.children
        return ir.Arg(span=_tree_span(node), name=str(name), name_span=_tok_span(name), value=build_expr(value))
    return ir.Arg(span=_tree_span(node), value=build_expr(node.children[0]))


def _build_statement(node: Tree) -> ir.Statement:
    span = _statement_span(node)
    if node.data == "assign":
        target, value = node.children
        return ir.Assign(span=span, target=str(target), target_span=_tok_span(target), value=build_expr(value))
    if node.data == "output":
        return ir.Output(span=span, value=build_expr(node.children[0]))
    if node.data == "param_decl":
        _, target, shape, init = node.children
        return ir.ParamDecl(
            span=span, target=str(target), target_span=_tok_span(target), shape=build_expr(shape), init=build_expr(init)
        )
    return ir.ExprStmt(span=span, value=build_expr(node.children[0]))


def _statement_span(node: Tree) -> Span:
    """The statement without its trailing newline token."""
    parts = [c for c in node.children if c is not None]
    spans = [_span(c) for c in parts]
    start = _tree_span(node)
    end = spans[-1]
    return Span(line=start.line, column=start.column, end_line=end.end_line, end_column=end.end_column)


def _build_item(node: Tree) -> ir.Item:
    data = node.data
    keyword, *children = node.children
    span = _statement_span(node)
    if data == "model_decl":
        return ir.ModelDecl(span=span, name=str(children[0]), name_span=_tok_span(children[0]))
    if data == "input_decl":
        name, dtype, *dims = children
        return ir.InputDecl(
            span=_statement_span(node),
            name=str(name),
            name_span=_tok_span(name),
            dtype=str(dtype),
            dtype_span=_tok_span(dtype),
            dims=tuple(
                ir.Dim(span=_tree_span(d), value=int(d.children[0]) if d.data == "dim_int" else str(d.children[0]))
                for d in dims
            ),
        )
    if data == "use_decl":
        path = next(c for c in children if isinstance(c, Token) and c.type == "STRING")
        names = [c for c in children if isinstance(c, Token) and c.type == "NAME"]
        return ir.UseDecl(
            span=span,
            path=_string_value(path),
            path_span=_tok_span(path),
            names=tuple(str(n) for n in names),
            name_spans=tuple(_tok_span(n) for n in names),
        )
    if data == "task_decl":
        return ir.TaskDecl(span=span, value=build_expr(children[0]))
    if data == "block_def":
        name, *rest = children
        params = tuple(
            ir.Param(
                span=_tree_span(p),
                name=str(p.children[0]),
                default=build_expr(p.children[1]) if p.children[1] is not None else None,
            )
            for p in rest
            if isinstance(p, Tree) and p.data == "param"
        )
        body = tuple(_build_statement(s) for s in rest if isinstance(s, Tree) and s.data != "param")
        header_end = _tok_span(name)
        return ir.BlockDef(
            span=Span(
                line=span.line, column=span.column, end_line=header_end.end_line, end_column=header_end.end_column
            ),
            name=str(name),
            name_span=header_end,
            params=params,
            body=body,
        )
    if data == "layers_section":
        return ir.LayersSection(span=_head_span(keyword), body=tuple(_build_statement(s) for s in children))
    if data == "train_section":
        settings = tuple(
            ir.Setting(
                span=_statement_span(s),
                key=str(s.children[0]),
                key_span=_tok_span(s.children[0]),
                value=build_expr(s.children[1]),
            )
            for s in children
        )
        return ir.TrainSection(span=_head_span(keyword), settings=settings)
    raise ValueError(f"unknown item {data}")


def _head_span(keyword: Token) -> Span:
    """`layers:` / `train:` -- the keyword and its colon."""
    return Span(line=keyword.line, column=keyword.column, end_line=keyword.line, end_column=keyword.end_column + 1)


def build_program(tree: Tree, source: SourceFile) -> ir.Program:
    items = tuple(_build_item(c) for c in tree.children if isinstance(c, Tree))
    return ir.Program(file=source.name, items=items, comments=extract_comments(source.text))
