"""`netc fix`: apply the machine-applicable fixes, recompile, repeat until none apply; comments and layout stay."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from netspec.compiler.diagnostics import Diagnostic, Fix, TextEdit
from netspec.compiler.pipeline import compile_source, parse
from netspec.compiler.source import SourceFile, Span

MAX_ROUNDS = 20


class OverlappingEdits(ValueError):
    """Two edits of one change touch the same text; the caller drops the later fix."""


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _offset(starts: list[int], text: str, line: int, column: int) -> int:
    if line > len(starts):
        return len(text)
    return min(starts[line - 1] + column - 1, len(text))


def apply_edits(text: str, edits: list[TextEdit] | tuple[TextEdit, ...]) -> str:
    """The text with every edit made; spans refer to the original text. Overlapping edits raise."""
    starts = _line_starts(text)
    ranges = sorted(
        (
            (
                _offset(starts, text, e.span.line, e.span.column),
                _offset(starts, text, e.span.end_line, e.span.end_column),
                e.replacement,
            )
            for e in edits
        ),
        key=lambda r: (r[0], r[1]),
    )
    for (_, end, _), (start, _, _) in itertools.pairwise(ranges):
        if start < end:
            raise OverlappingEdits("overlapping edits")
    out, pos = [], 0
    for start, end, replacement in ranges:
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def applicable_fix(diag: Diagnostic) -> Fix | None:
    """The fix `netc fix` would apply for this diagnostic: its best machine-applicable one."""
    return next((f for f in diag.fixes if f.applicable), None)


def _touches(a: Span, b: Span) -> bool:
    return (a.line, a.column) <= (b.end_line, b.end_column) and (b.line, b.column) <= (a.end_line, a.end_column)


@dataclass
class FixResult:
    """The repaired text, the titles of the fixes applied (in order) and what is left to report."""

    text: str
    applied: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def changed(self, original: str) -> bool:
        return self.text != original


def _one_round(source: SourceFile, diags: list[Diagnostic]) -> tuple[str, list[str]]:
    """Apply every applicable fix whose edits do not touch an earlier one's."""
    chosen: list[Fix] = []
    for diag in diags:
        fix = applicable_fix(diag)
        if fix is None:
            continue
        if any(_touches(e.span, o.span) for other in chosen for o in other.edits for e in fix.edits):
            continue  # the next round sees it again, on the updated text
        chosen.append(fix)
    if not chosen:
        return source.text, []
    text = apply_edits(source.text, [e for f in chosen for e in f.edits])
    return text, [f.title for f in chosen]


def fix_source(source: SourceFile) -> FixResult:
    """Repair `source` as far as machine-applicable fixes go. Never returns text that fails to parse."""
    seen = {source.text}
    result = FixResult(text=source.text)
    current = source
    for _ in range(MAX_ROUNDS):
        diags = compile_source(current).diagnostics
        result.diagnostics = diags
        try:
            text, titles = _one_round(current, diags)
        except OverlappingEdits:
            break
        if not titles or text in seen:
            break
        candidate = SourceFile(source.name, text)
        program, _ = parse(candidate)
        if program is None:
            break  # a fix that breaks the syntax is a bug in the fix; keep the last text that parsed
        seen.add(text)
        result.text, current = text, candidate
        result.applied += titles
    else:
        result.diagnostics = compile_source(current).diagnostics
    return result
