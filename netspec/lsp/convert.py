"""Compiler spans (1-based, code-point columns) to LSP ranges (0-based, UTF-16 code units) and back."""

from __future__ import annotations

from lsprotocol import types as lsp

from netspec.compiler.source import SourceFile, Span

UTF16 = "utf-16"


def units(text: str, encoding: str) -> int:
    """The length of `text` in the negotiated position encoding's code units (LSP: utf-16 unless agreed)."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _character(line_text: str, column: int, encoding: str) -> int:
    """The 0-based offset in code units of 1-based code-point `column` in a line (past the end: counted as 1 each)."""
    prefix = line_text[: max(column - 1, 0)]
    return units(prefix, encoding) + max(column - 1 - len(prefix), 0)


def _column(line_text: str, character: int, encoding: str) -> int:
    """The 1-based code-point column of a 0-based offset in code units."""
    counted = 0
    for index, char in enumerate(line_text):
        if counted >= character:
            return index + 1
        counted += units(char, encoding)
    return len(line_text) + 1 + max(character - counted, 0)


def position(source: SourceFile, line: int, column: int, encoding: str = UTF16) -> lsp.Position:
    return lsp.Position(line=max(line - 1, 0), character=_character(source.line_text(line), column, encoding))


def to_range(source: SourceFile, span: Span, encoding: str = UTF16) -> lsp.Range:
    return lsp.Range(
        start=position(source, span.line, span.column, encoding),
        end=position(source, span.end_line, span.end_column, encoding),
    )


def to_point(source: SourceFile, pos: lsp.Position, encoding: str = UTF16) -> tuple[int, int]:
    """An LSP position as the compiler's (line, column)."""
    line = pos.line + 1
    return line, _column(source.line_text(line), pos.character, encoding)


def to_span(source: SourceFile, rng: lsp.Range, encoding: str = UTF16) -> Span:
    start, end = to_point(source, rng.start, encoding), to_point(source, rng.end, encoding)
    return Span(line=start[0], column=start[1], end_line=end[0], end_column=end[1])


def contains(span: Span, line: int, column: int) -> bool:
    """Whether a cursor at (line, column) touches the span; its end counts (the cursor just after a word)."""
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def span_size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_column - span.column)


def offset(text: str, line: int, column: int) -> int:
    """The string index of a 1-based (line, column) in `text`."""
    index = 0
    for _ in range(line - 1):
        found = text.find("\n", index)
        if found < 0:
            return len(text)
        index = found + 1
    return min(index + column - 1, len(text))


def apply_edits(text: str, edits: list[tuple[Span, str]]) -> str:
    """Apply non-overlapping span replacements (any order) to `text`."""
    located = sorted(
        ((offset(text, s.line, s.column), offset(text, s.end_line, s.end_column), new) for s, new in edits),
        reverse=True,
    )
    for start, end, new in located:
        text = text[:start] + new + text[end:]
    return text
