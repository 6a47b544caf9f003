"""Source text and spans: the one place that maps offsets to lines and columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netspec.compiler.record import Record
from pydantic import SerializerFunctionWrapHandler, model_serializer


class Span(Record):
    """A region of a source file; lines and columns are 1-based, end is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int
    # the file the span lies in when it is not the spec itself (a block imported with `use`)
    file: str = ""

    @model_serializer(mode="wrap")
    def _without_own_file(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if not data.get("file"):
            data.pop("file", None)
        return data

    @staticmethod
    def point(line: int, column: int) -> Span:
        return Span(line=line, column=column, end_line=line, end_column=column + 1)

    def merge(self, other: Span) -> Span:
        start = min((self.line, self.column), (other.line, other.column))
        end = max((self.end_line, self.end_column), (other.end_line, other.end_column))
        return Span(line=start[0], column=start[1], end_line=end[0], end_column=end[1], file=self.file)


@dataclass(frozen=True)
class SourceFile:
    """A spec's text with its display name (a path, or `<string>`)."""

    name: str
    text: str
    _lines: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lines", self.text.split("\n"))

    def line_text(self, line: int) -> str:
        if 1 <= line <= len(self._lines):
            return self._lines[line - 1].rstrip("\r")
        return ""

    @property
    def line_count(self) -> int:
        return len(self._lines)

    def end_span(self) -> Span:
        """A one-character span just after the last character (for 'unexpected end of file')."""
        last = self.line_count
        while last > 1 and not self.line_text(last).strip():
            last -= 1
        col = len(self.line_text(last)) + 1
        return Span.point(last, col)
