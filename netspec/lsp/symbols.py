"""Where each block and named value is defined and used: the index behind definition, references and rename."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from netspec.compiler import ir
from netspec.compiler.record import Record
from netspec.compiler.source import Span
from netspec.lsp.convert import contains, span_size

# top-level items whose names the layers cannot use as values
_NOT_VALUES = {"model", "input"}


@dataclass
class Symbol:
    """A name defined once in a scope (the file, `layers:` or one block) and the places that use it."""

    name: str
    kind: str  # the IR kind of its definition: model, input, block, param, assign, or a newer declaration's kind
    span: Span  # the name where it is defined
    scope: str  # "" for the file, "layers", or the name of the block it lives in
    definition: Span  # the whole defining item or statement (for the outline)
    references: list[Span] = field(default_factory=list)

    @property
    def occurrences(self) -> list[Span]:
        return [self.span, *self.references]


@dataclass
class SymbolIndex:
    symbols: list[Symbol] = field(default_factory=list)

    def at(self, line: int, column: int) -> tuple[Symbol, Span] | None:
        """The symbol whose definition or use is under the cursor (the narrowest one)."""
        best: tuple[Symbol, Span] | None = None
        for symbol in self.symbols:
            for span in symbol.occurrences:
                if contains(span, line, column) and (best is None or span_size(span) < span_size(best[1])):
                    best = (symbol, span)
        return best

    def in_scope(self, scope: str) -> list[Symbol]:
        return [s for s in self.symbols if s.scope == scope]

    def find(self, name: str, scope: str) -> Symbol | None:
        return next((s for s in self.symbols if s.name == name and s.scope == scope), None)


def _name_span(name: str, start: Span) -> Span:
    return Span(line=start.line, column=start.column, end_line=start.line, end_column=start.column + len(name))


def declared_name(item: Record) -> tuple[str, Span] | None:
    """A top-level item's declared name: any item with `name` and `name_span` (model, input, block, and later ones)."""
    name, span = getattr(item, "name", None), getattr(item, "name_span", None)
    if isinstance(name, str) and isinstance(span, Span):
        return name, span
    return None


def _children(node: Record) -> Iterator[Record]:
    for key in type(node).model_fields:
        value = getattr(node, key)
        if isinstance(value, Record) and not isinstance(value, Span):
            yield value
        elif isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, Record) and not isinstance(v, Span))


def _uses(node: Record, found: Callable[[str, Span], None]) -> None:
    """Report every name an expression or statement uses: bare names and the callees of calls."""
    if isinstance(node, ir.Name):
        found(node.id, node.span)
    elif isinstance(node, ir.Call):
        found(node.callee, node.callee_span)
    for child in _children(node):
        _uses(child, found)


def _body_symbols(body: tuple[ir.Statement, ...], scope: str) -> list[Symbol]:
    """The statements that name a value: any with a `target` and its span (`y = ...`, `param gamma: ...`)."""
    return [
        Symbol(stmt.target, stmt.kind, stmt.target_span, scope, stmt.span)
        for stmt in body
        if isinstance(getattr(stmt, "target", None), str) and isinstance(getattr(stmt, "target_span", None), Span)
    ]


def index_program(program: ir.Program | None) -> SymbolIndex:
    index = SymbolIndex()
    if program is None:
        return index
    file_scope: dict[str, Symbol] = {}
    for item in program.items:
        named = declared_name(item)
        if named is not None:
            symbol = Symbol(named[0], item.kind, named[1], "", item.span)
            file_scope.setdefault(symbol.name, symbol)
            index.symbols.append(symbol)
    shared = {name: s for name, s in file_scope.items() if s.kind not in _NOT_VALUES}

    def resolver(local: dict[str, Symbol], outer: dict[str, Symbol]) -> Callable[[str, Span], None]:
        def found(name: str, span: Span) -> None:
            symbol = local.get(name) or outer.get(name)
            if symbol is not None and span != symbol.span:
                symbol.references.append(span)

        return found

    for item in program.items:
        if isinstance(item, ir.BlockDef):
            params = [Symbol(p.name, "param", _name_span(p.name, p.span), item.name, p.span) for p in item.params]
            local = {s.name: s for s in [*params, *_body_symbols(item.body, item.name)]}
            index.symbols += local.values()
            found = resolver(local, shared)
            for param in item.params:
                if param.default is not None:
                    _uses(param.default, resolver({}, shared))
            for stmt in item.body:
                _uses(stmt, found)
        elif isinstance(item, ir.LayersSection):
            local = {s.name: s for s in _body_symbols(item.body, "layers")}
            index.symbols += local.values()
            found = resolver(local, file_scope)
            for stmt in item.body:
                _uses(stmt, found)
        elif not isinstance(item, ir.TaskDecl | ir.TrainSection):
            # a declaration the index does not know by kind may still use names (e.g. a constant's value)
            _uses(item, resolver({}, file_scope))
    return index
