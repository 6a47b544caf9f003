"""Document symbols (the outline): the model, its inputs and task, each block with its values, layers and train."""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.compiler import ir
from netspec.compiler.fmt import expr_text
from netspec.compiler.source import Span
from netspec.lsp.symbols import declared_name


@dataclass
class Entry:
    name: str
    kind: str  # model, input, task, block, param, value, section, setting, or a newer declaration's kind
    span: Span
    selection: Span
    detail: str = ""
    children: list[Entry] = field(default_factory=list)


def _values(body: tuple[ir.Statement, ...]) -> list[Entry]:
    """Each statement that names a value (`y = ...`, `param gamma: ...`)."""
    entries = []
    for stmt in body:
        if isinstance(stmt, ir.Assign):
            entries.append(Entry(stmt.target, "value", stmt.span, stmt.target_span, expr_text(stmt.value)))
        elif isinstance(getattr(stmt, "target", None), str) and isinstance(getattr(stmt, "target_span", None), Span):
            entries.append(Entry(stmt.target, "value", stmt.span, stmt.target_span, stmt.kind))
    return entries


def _item(item: ir.Item) -> Entry:
    if isinstance(item, ir.InputDecl):
        dims = ", ".join(str(d.value) for d in item.dims)
        return Entry(item.name, "input", item.span, item.name_span, f"{item.dtype}[{dims}]")
    if isinstance(item, ir.TaskDecl):
        return Entry("task", "task", item.span, item.span, expr_text(item.value))
    if isinstance(item, ir.BlockDef):
        params = [Entry(p.name, "param", p.span, p.span) for p in item.params]
        signature = ", ".join(p.name for p in item.params)
        return Entry(item.name, "block", item.span, item.name_span, f"({signature})", params + _values(item.body))
    if isinstance(item, ir.LayersSection):
        return Entry("layers", "section", item.span, item.span, f"{len(item.body)} statements", _values(item.body))
    if isinstance(item, ir.TrainSection):
        settings = [Entry(s.key, "setting", s.span, s.key_span, expr_text(s.value)) for s in item.settings]
        return Entry("train", "section", item.span, item.span, "", settings)
    named = declared_name(item)
    if named is not None:
        return Entry(named[0], item.kind, item.span, named[1])
    return Entry(item.kind, item.kind, item.span, item.span)


def outline(program: ir.Program | None) -> list[Entry]:
    return [] if program is None else [_item(item) for item in program.items]
