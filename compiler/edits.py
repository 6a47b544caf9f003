"""Text edits on spec source: write a value as spec text, rewrite or drop one argument, delete one chain step."""

from __future__ import annotations

from typing import Any

from netspec.compiler.diagnostics import Fix, TextEdit
from netspec.compiler.graph import LayerNode
from netspec.compiler.source import SourceFile, Span


def literal(value: Any) -> str:
    """A bound argument value as the spec would write it (`true`, `none`, `[3, 5]`, `same`)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return str(value)


def span_text(source: SourceFile, span: Span) -> str:
    """The text a one-line span covers ('' for a span over several lines)."""
    if span.line != span.end_line:
        return ""
    return source.line_text(span.line)[span.column - 1 : span.end_column - 1]


def insert_at(line: int, column: int, text: str) -> TextEdit:
    return TextEdit(span=Span(line=line, column=column, end_line=line, end_column=column), replacement=text)


def set_arg_edits(
    node: LayerNode, io: tuple[str, str] | None, changes: dict[str, Any], source: SourceFile
) -> tuple[TextEdit, ...] | None:
    """Edits that give the layer call's arguments new values (None: drop and let netc infer); None if not possible."""
    edits: list[TextEdit] = []
    done: set[str] = set()
    for name, value in changes.items():
        if name in done:
            continue
        span = node.arg_spans.get(name)
        if span is None:
            if value is None:
                continue  # not written, nothing to drop
            added = _add_arg(node, name, value, source)
            if added is None:
                return None
            edits.append(added)
            done.add(name)
            continue
        written = span_text(source, span)
        if not written:
            return None
        if io is not None and name in io and node.arg_spans.get(io[0]) == node.arg_spans.get(io[1]):
            # `a -> b` form: rewrite both sides together
            inp = changes.get(io[0], node.args.get(io[0])) if io[0] in changes else node.args.get(io[0])
            out = changes.get(io[1], node.args.get(io[1])) if io[1] in changes else node.args.get(io[1])
            text = literal(out) if inp is None else f"{literal(inp)} -> {literal(out)}"
            edits.append(TextEdit(span=span, replacement=text))
            done |= set(io)
            continue
        keyword, eq, _ = written.partition("=")
        is_keyword = bool(eq) and keyword.strip().isidentifier()
        if value is None:
            edits.append(_drop_arg(span, source))
        elif is_keyword:
            edits.append(TextEdit(span=span, replacement=f"{keyword.strip()}={literal(value)}"))
        else:
            edits.append(TextEdit(span=span, replacement=literal(value)))
        done.add(name)
    return tuple(edits)


def _add_arg(node: LayerNode, name: str, value: Any, source: SourceFile) -> TextEdit | None:
    """Append `name=value` to the call: `pool(2)` -> `pool(2, padding=1)`, `pool` -> `pool(padding=1)`."""
    text = span_text(source, node.span)
    if not text:
        return None
    keyword = f"{name}={literal(value)}"
    if text == node.op:
        return TextEdit(span=node.span, replacement=f"{text}({keyword})")
    if not text.endswith(")"):
        return None
    inside = text[text.index("(") + 1 : -1].strip() if "(" in text else ""
    end = node.span.end_column - 1
    return insert_at(node.span.end_line, end, f", {keyword}" if inside else keyword)


def _drop_arg(span: Span, source: SourceFile) -> TextEdit:
    """Remove an argument with the comma that separates it from its neighbour."""
    text = source.line_text(span.line)
    after = text[span.end_column - 1 :]
    stripped = after.lstrip(" ")
    if stripped.startswith(","):
        end = span.end_column + (len(after) - len(stripped)) + 1
        while end - 1 < len(text) and text[end - 1] == " ":
            end += 1
        return TextEdit(
            span=Span(line=span.line, column=span.column, end_line=span.line, end_column=end), replacement=""
        )
    before = text[: span.column - 1]
    trimmed = before.rstrip(" ")
    if trimmed.endswith(","):
        start = len(trimmed)  # the comma's 1-based column
        return TextEdit(
            span=Span(line=span.line, column=start, end_line=span.line, end_column=span.end_column), replacement=""
        )
    return TextEdit(span=span, replacement="")


def remove_step(node: LayerNode, previous: LayerNode | None, source: SourceFile) -> TextEdit | None:
    """Delete one step of a chain: ` -> step` after the previous step, or a line holding only the step."""
    if (
        previous is not None
        and previous.span.end_line == node.span.line
        and previous.span.end_column <= node.span.column
    ):
        between = source.line_text(node.span.line)[previous.span.end_column - 1 : node.span.column - 1]
        if between.strip() == "->":
            return TextEdit(
                span=Span(
                    line=node.span.line,
                    column=previous.span.end_column,
                    end_line=node.span.line,
                    end_column=node.span.end_column,
                ),
                replacement="",
            )
    line = source.line_text(node.span.line)
    if line.strip() == span_text(source, node.span):
        return TextEdit(
            span=Span(line=node.span.line, column=1, end_line=node.span.line + 1, end_column=1), replacement=""
        )
    after = line[node.span.end_column - 1 :]
    if not after.strip() or after.strip().startswith("#"):
        return TextEdit(span=node.span, replacement="")  # the step alone before a comment: keep the comment
    if after.lstrip().startswith("->"):
        cut = len(after) - len(after.lstrip()) + 2
        cut += len(after[cut:]) - len(after[cut:].lstrip())
        return TextEdit(
            span=Span(
                line=node.span.line,
                column=node.span.column,
                end_line=node.span.line,
                end_column=node.span.end_column + cut,
            ),
            replacement="",
        )
    return None


def fix(title: str, edits: tuple[TextEdit, ...] | list[TextEdit] | None, applicable: bool = True) -> tuple[Fix, ...]:
    """A one-fix tuple, or no fix when the edits could not be worked out."""
    if not edits:
        return ()
    return (Fix(title=title, edits=tuple(edits), applicable=applicable),)
