"""Render diagnostics for people (source excerpt with ^^^ underline) and for tools (JSON)."""

from __future__ import annotations

import json

from netspec.compiler.diagnostics import Diagnostic, Fix, Severity
from netspec.compiler.fix import applicable_fix, apply_edits
from netspec.compiler.source import SourceFile

# the version of docs/diagnostics.schema.json this JSON output follows
DIAGNOSTIC_SCHEMA_VERSION = 1

_COLORS = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "help": "\x1b[1;36m",
    "bold": "\x1b[1m",
    "blue": "\x1b[1;34m",
    "reset": "\x1b[0m",
}


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_COLORS[style]}{text}{_COLORS['reset']}" if color else text


def render_text(diag: Diagnostic, source: SourceFile, color: bool = False) -> str:
    span = diag.span
    sev = diag.severity.value
    lines = [_paint(f"{sev}[{diag.code}]", sev, color) + _paint(f": {diag.message}", "bold", color)]
    width = len(str(max([span.end_line] + [s.span.end_line for s in diag.secondary])))
    pad = " " * width
    lines.append(f"{pad}{_paint('-->', 'blue', color)} {source.name}:{span.line}:{span.column}")
    if source.text:
        lines.append(f"{pad} {_paint('|', 'blue', color)}")
        excerpts = sorted(
            [(span, diag.label, True)] + [(s.span, s.message, False) for s in diag.secondary], key=lambda e: e[0].line
        )
        last_line = None
        for ex_span, label, primary in excerpts:
            if last_line is not None and ex_span.line > last_line + 1:
                lines.append(_paint("...", "blue", color))
            text = source.line_text(ex_span.line)
            lines.append(f"{_paint(str(ex_span.line).rjust(width), 'blue', color)} {_paint('|', 'blue', color)} {text}")
            start = ex_span.column
            end = ex_span.end_column if ex_span.end_line == ex_span.line else len(text) + 1
            end = max(end, start + 1)
            mark = ("^" if primary else "-") * (end - start)
            under = " " * (start - 1) + mark + (f" {label}" if label else "")
            lines.append(f"{pad} {_paint('|', 'blue', color)} {_paint(under, sev if primary else 'blue', color)}")
            last_line = ex_span.line
    for note in diag.notes:
        lines.append(f"{pad} = note: {note}")
    if diag.help:
        lines.append(f"{pad} = {_paint('help', 'help', color)}: {diag.help}")
    if source.text:
        chosen = applicable_fix(diag)
        for fix in diag.fixes:
            lines += _render_fix(fix, fix is chosen, source, width, color)
    return "\n".join(lines)


def _render_fix(fix: Fix, chosen: bool, source: SourceFile, width: int, color: bool) -> list[str]:
    """`= fix: title`, then the lines the fix touches as they read after it (rustc's suggestion style)."""
    pad = " " * width
    tag = " (`netc fix` applies this one)" if chosen else ""
    out = [f"{pad} = {_paint('fix', 'help', color)}: {fix.title}{tag}"]
    first = min(e.span.line for e in fix.edits)
    # an edit that ends at column 1 stops before that line
    last = max(e.span.end_line - (e.span.end_column == 1 and e.span.end_line > e.span.line) for e in fix.edits)
    try:
        fixed = SourceFile(source.name, apply_edits(source.text, fix.edits))
    except ValueError:
        return out
    removed = source.line_count - fixed.line_count
    shown = range(first, last - removed + 1)
    gutter = _paint("|", "blue", color)
    for number in shown:
        if number > fixed.line_count:
            break
        out.append(f"{_paint(str(number).rjust(width), 'blue', color)} {gutter} {fixed.line_text(number)}")
    if not shown:
        out.append(f"{pad} {gutter} (line {first} removed)")
    return out


def render_all_text(diags: list[Diagnostic], source: SourceFile, color: bool = False) -> str:
    return "\n\n".join(render_text(d, source, color) for d in diags)


def summary(diags: list[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diags)
    warnings = len(diags) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return ", ".join(parts)


def to_json_obj(diag: Diagnostic, source: SourceFile) -> dict[str, object]:
    return {
        "severity": diag.severity.value,
        "code": diag.code,
        "message": diag.message,
        "file": source.name,
        "line": diag.span.line,
        "column": diag.span.column,
        "end_line": diag.span.end_line,
        "end_column": diag.span.end_column,
        "version": DIAGNOSTIC_SCHEMA_VERSION,
        "label": diag.label,
        "help": diag.help,
        "notes": list(diag.notes),
        "fixes": [
            {
                "title": fix.title,
                "applicable": fix.applicable,
                "edits": [
                    {
                        "line": e.span.line,
                        "column": e.span.column,
                        "end_line": e.span.end_line,
                        "end_column": e.span.end_column,
                        "replacement": e.replacement,
                    }
                    for e in fix.edits
                ],
            }
            for fix in diag.fixes
        ],
        "related": [
            {
                "message": s.message,
                "line": s.span.line,
                "column": s.span.column,
                "end_line": s.span.end_line,
                "end_column": s.span.end_column,
            }
            for s in diag.secondary
        ],
    }


def render_json(items: list[tuple[Diagnostic, SourceFile]]) -> str:
    return json.dumps([to_json_obj(d, s) for d, s in items], indent=2)
