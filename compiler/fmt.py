"""`netc fmt`: print the IR back in the canonical layout, putting every comment back in place."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

from netspec.compiler import ir
from netspec.compiler.source import SourceFile

INDENT = "    "

# precedence levels, loosest first, mirroring grammar/net.lark: `* /` binds tighter than `->`,
# so a repeated chain is printed in parentheses, `(linear(16) -> relu) * 3`
_SUM, _CHAIN, _STEP, _PRODUCT, _UNARY, _ATOM = range(1, 7)


def _level(expr: ir.Expr) -> int:
    if isinstance(expr, ir.BinOp):
        return _SUM if expr.op in "+-" else _PRODUCT
    if isinstance(expr, ir.Chain):
        return _CHAIN
    if isinstance(expr, ir.AssertShape):
        return _STEP
    if isinstance(expr, ir.Neg):
        return _UNARY
    return _ATOM


def _float_text(node: ir.Float) -> str:
    return node.text or repr(node.value)


def expr_text(expr: ir.Expr, need: int = _SUM) -> str:
    text = _expr_text(expr)
    return f"({text})" if _level(expr) < need else text


def _expr_text(expr: ir.Expr) -> str:
    if isinstance(expr, ir.Int):
        return str(expr.value)
    if isinstance(expr, ir.Float):
        return _float_text(expr)
    if isinstance(expr, ir.Str):
        return json.dumps(expr.value, ensure_ascii=False)
    if isinstance(expr, ir.Name):
        return expr.id
    if isinstance(expr, ir.Call):
        return f"{expr.callee}({', '.join(_arg_text(a) for a in expr.args)})"
    if isinstance(expr, ir.ListExpr):
        return "[" + ", ".join(expr_text(i) for i in expr.items) + "]"
    if isinstance(expr, ir.Chain):
        return " -> ".join(_step_text(s, i) for i, s in enumerate(expr.steps))
    if isinstance(expr, ir.BinOp):
        left_need, right_need = (_SUM, _CHAIN) if expr.op in "+-" else (_PRODUCT, _UNARY)
        return f"{expr_text(expr.left, left_need)} {expr.op} {expr_text(expr.right, right_need)}"
    if isinstance(expr, ir.Neg):
        return f"-{expr_text(expr.operand, _UNARY)}"
    if isinstance(expr, ir.AssertShape):
        return f"{expr_text(expr.value, _PRODUCT)} : {expr_text(expr.shape)}"
    raise TypeError(type(expr))


def step_text(step: ir.Expr) -> str:
    """An expression as one step of a chain, parenthesized where `->` would otherwise split it."""
    return expr_text(step, _STEP)


def _step_text(step: ir.Expr, index: int) -> str:
    return step_text(step)


def _arg_text(arg: ir.Arg) -> str:
    value = expr_text(arg.value)
    return f"{arg.name}={value}" if arg.name else value


@dataclass
class Line:
    text: str
    origin: int | None  # source line it came from; None for a blank line


def _statement_lines(prefix: str, expr: ir.Expr, indent: str) -> list[Line]:
    """A statement; a chain keeps the line breaks the author chose, with canonical indentation."""
    if not isinstance(expr, ir.Chain):
        return [Line(indent + prefix + expr_text(expr), expr.span.line)]
    groups: list[list[tuple[int, ir.Expr]]] = []
    for index, step in enumerate(expr.steps):
        if groups and step.span.line <= groups[-1][-1][1].span.end_line:
            groups[-1].append((index, step))
        else:
            groups.append([(index, step)])
    lines = []
    for number, group in enumerate(groups):
        body = " -> ".join(_step_text(step, index) for index, step in group)
        if number == 0:
            lines.append(Line(indent + prefix + body, group[0][1].span.line))
        else:
            lines.append(Line(indent + INDENT + "-> " + body, group[0][1].span.line))
    return lines


def _statement(stmt: ir.Statement) -> list[Line]:
    if isinstance(stmt, ir.Assign):
        return _statement_lines(f"{stmt.target} = ", stmt.value, INDENT)
    if isinstance(stmt, ir.Output):
        return _statement_lines("out ", stmt.value, INDENT)
    if isinstance(stmt, ir.ParamDecl):
        return _statement_lines(f"param {stmt.target}: {expr_text(stmt.shape)} = ", stmt.init, INDENT)
    return _statement_lines("", stmt.value, INDENT)


class _Formatter:
    def __init__(self, program: ir.Program, source: SourceFile) -> None:
        self.program = program
        self.source = source
        self.lines: list[Line] = []

    def blank_between(self, prev_end: int, start: int) -> bool:
        return any(not self.source.line_text(n).strip() for n in range(prev_end + 1, start))

    def body(self, statements: tuple[ir.Statement, ...] | tuple[ir.Setting, ...]) -> None:
        prev_end: int | None = None
        for stmt in statements:
            if prev_end is not None and self.blank_between(prev_end, stmt.span.line):
                self.lines.append(Line("", None))
            if isinstance(stmt, ir.Setting):
                self.lines += _statement_lines(f"{stmt.key} ", stmt.value, INDENT)
            else:
                self.lines += _statement(stmt)
            prev_end = stmt.span.end_line

    def item(self, item: ir.Item) -> None:
        line = item.span.line
        if isinstance(item, ir.ModelDecl):
            self.lines.append(Line(f"model {item.name}", line))
        elif isinstance(item, ir.InputDecl):
            dims = ", ".join(str(d.value) for d in item.dims)
            self.lines.append(Line(f"input {item.name}: {item.dtype}[{dims}]", line))
        elif isinstance(item, ir.UseDecl):
            path = json.dumps(item.path)
            text = f"from {path} use {', '.join(item.names)}" if item.names else f"use {path}"
            self.lines.append(Line(text, line))
        elif isinstance(item, ir.TaskDecl):
            self.lines += _statement_lines("task ", item.value, "")
        elif isinstance(item, ir.BlockDef):
            params = ", ".join(
                p.name + (f"={expr_text(p.default)}" if p.default is not None else "") for p in item.params
            )
            self.lines.append(Line(f"block {item.name}({params}):", line))
            self.body(item.body)
        elif isinstance(item, ir.LayersSection):
            self.lines.append(Line("layers:", line))
            self.body(item.body)
        elif isinstance(item, ir.TrainSection):
            self.lines.append(Line("train:", line))
            self.body(item.settings)

    def run(self) -> str:
        prev: ir.Item | None = None
        for item in self.program.items:
            if prev is not None:
                sectioned = isinstance(item, ir.BlockDef | ir.LayersSection | ir.TrainSection) or isinstance(
                    prev, ir.BlockDef | ir.LayersSection | ir.TrainSection | ir.ModelDecl
                )
                if sectioned or self.blank_between(self.lines[-1].origin or 0, item.span.line):
                    self.lines.append(Line("", None))
            self.item(item)
            prev = item
        return self.with_comments()

    def with_comments(self) -> str:
        comments = list(self.program.comments)
        full_line = [c for c in comments if not self.source.line_text(c.line)[: c.column - 1].strip()]
        full_ids = {id(c) for c in full_line}
        trailing = [c for c in comments if id(c) not in full_ids]
        origins = sorted({ln.origin for ln in self.lines if ln.origin is not None})
        # a trailing comment goes to the first output line of the greatest origin at or before it
        by_origin: dict[int, list[ir.Comment]] = {}
        orphans: list[ir.Comment] = []
        for c in trailing:
            at = bisect.bisect_right(origins, c.line) - 1
            if at < 0:
                orphans.append(c)
            else:
                by_origin.setdefault(origins[at], []).append(c)
        out: list[str] = []
        pending = sorted(full_line, key=lambda c: c.line)
        next_pending = 0
        for line in self.lines:
            if line.origin is None:
                out.append("")
                continue
            indent = line.text[: len(line.text) - len(line.text.lstrip())]
            # a blank separator line stays above the comments that lead into this line
            while next_pending < len(pending) and pending[next_pending].line < line.origin:
                out.append(indent + pending[next_pending].text)
                next_pending += 1
            mine = by_origin.pop(line.origin, [])
            out.append(line.text + "".join(f"  {c.text}" for c in mine))
        out += [c.text for c in pending[next_pending:]]
        out += [c.text for c in orphans]
        return _tidy(out)


def _tidy(lines: list[str]) -> str:
    cleaned: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not cleaned or not cleaned[-1]):
            continue
        cleaned.append(line)
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return "\n".join(cleaned) + "\n"


def format_program(program: ir.Program, source: SourceFile) -> str:
    return _Formatter(program, source).run()
