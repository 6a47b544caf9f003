"""Quick fixes: each one a list of (span, replacement) edits, offered only when applying it removes the diagnostic.

A diagnostic may carry machine-applicable edits itself (a `fixes` field whose items have `span` and
`replacement`, or `edits` of those); those are offered as they are. Until every diagnostic does, the
replacements its `help` text spells out in backticks are tried, and a candidate is kept only when
re-checking the fixed text shows that diagnostic gone and no error added -- so a fix never lies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from netspec.compiler import Diagnostic, compile_text
from netspec.compiler.source import SourceFile, Span
from netspec.lsp.convert import apply_edits, offset

Edit = tuple[Span, str]
MAX_CANDIDATES = 8  # re-checks per diagnostic, at most
_SNIPPET = re.compile(r"`([^`]+)`")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    preferred: bool = False


def _declared_fixes(diagnostic: Diagnostic) -> list[Fix]:
    """Edits the compiler attached to the diagnostic (any object with span + replacement, or edits of those)."""
    fixes = []
    for fix in getattr(diagnostic, "fixes", None) or ():
        edits = tuple(
            (edit.span, edit.replacement)
            for edit in (getattr(fix, "edits", None) or (fix,))
            if isinstance(getattr(edit, "span", None), Span) and isinstance(getattr(edit, "replacement", None), str)
        )
        if edits:
            title = getattr(fix, "title", "") or getattr(fix, "message", "") or _title(edits)
            fixes.append(Fix(str(title), edits, preferred=True))
    return fixes


def _title(edits: tuple[Edit, ...]) -> str:
    span, new = edits[0]
    return (
        f"Replace with `{new.strip()}`"
        if span.line != span.end_line or span.column != span.end_column
        else (f"Insert `{new.strip()}`")
    )


def _span_text(source: SourceFile, span: Span) -> str:
    return source.text[
        offset(source.text, span.line, span.column) : offset(source.text, span.end_line, span.end_column)
    ]


def _modes(help_text: str) -> set[str]:
    """Which edits the help's wording asks for: replace the span, or insert a layer before or after it."""
    words = help_text.lower()
    if words.startswith("add") or "end the model with" in words or words.startswith("end with"):
        if "before" in words or "between" in words:
            return {"before"}
        if "at the end" in words or "end the model" in words or words.startswith("end with"):
            return {"after"}
        return {"before", "after"}
    return {"replace"}


def _candidates(diagnostic: Diagnostic, source: SourceFile) -> Iterator[Fix]:
    """Edits the help text spells out: a replacement for the span, or a layer to put before or after it."""
    span = diagnostic.span
    here = _span_text(source, span)
    modes = _modes(diagnostic.help)
    before = Span(line=span.line, column=span.column, end_line=span.line, end_column=span.column)
    after = Span(line=span.end_line, column=span.end_column, end_line=span.end_line, end_column=span.end_column)
    if diagnostic.label.lower().startswith("remove") or diagnostic.help.lower().startswith("remove"):
        # a layer to remove: take the arrow that joined it to the chain with it
        line = source.line_text(span.line)
        arrow = re.search(r"\s*->\s*$", line[: span.column - 1])
        start = span.column - len(arrow.group()) if arrow else span.column
        gone = Span(line=span.line, column=start, end_line=span.end_line, end_column=span.end_column)
        yield Fix(f"Remove `{here}`", ((gone, ""),))
    for snippet in _SNIPPET.findall(diagnostic.help):
        if "..." in snippet or "\n" in snippet:
            continue
        text = snippet.strip()
        if text.startswith(":") and here.startswith("["):
            text = text[1:].strip()  # `: [N, 64, 4, 4]` for an assertion whose span is the list
        if "replace" in modes and here and text != here and _same_form(here, text):
            yield Fix(f"Replace `{here}` with `{text}`", ((span, text),))
        chain = text.strip("-> ").strip()
        if not _NAME.match(chain):
            continue
        if "before" in modes:
            yield Fix(f"Insert `{chain} ->` before `{here}`", ((before, f"{chain} -> "),))
        if "after" in modes:
            yield Fix(f"Append `-> {chain}`", ((after, f" -> {chain}"),))


def _same_form(here: str, text: str) -> bool:
    """A replacement that is the same kind of thing as the text it replaces: a name for a name, a call of the same
    layer for a call, a shape for a shape. (A suggestion for a wider piece than the span is not applied to the span.)"""
    if _NAME.fullmatch(here):
        return _NAME.fullmatch(text) is not None
    if here.startswith("["):
        return text.startswith("[")
    callee = _NAME.match(here)
    return callee is not None and _NAME.match(text) is not None and _NAME.match(text).group() == callee.group()


def _same(a: Diagnostic, b: Diagnostic) -> bool:
    return a.code == b.code and a.message == b.message


def _fixes(diagnostic: Diagnostic, before: list[Diagnostic], after: list[Diagnostic], lines: set[int]) -> bool:
    """The diagnostic is gone, and the edit made no syntax error and no new problem of its kind where it edited."""
    if any(_same(diagnostic, d) and d.span.line == diagnostic.span.line for d in after):
        return False
    new = [d for d in after if not any(_same(d, old) for old in before)]
    return not any(d.code == "E-syntax" or (d.code == diagnostic.code and d.span.line in lines) for d in new)


def fixes_for(diagnostic: Diagnostic, source: SourceFile) -> list[Fix]:
    declared = _declared_fixes(diagnostic)
    if declared:
        return declared
    before = compile_text(source.text, source.name).diagnostics
    found: list[Fix] = []
    for index, fix in enumerate(_candidates(diagnostic, source)):
        if index == MAX_CANDIDATES:
            break
        after = compile_text(apply_edits(source.text, list(fix.edits)), source.name).diagnostics
        lines = {line for span, _ in fix.edits for line in range(span.line, span.end_line + 1)}
        if _fixes(diagnostic, before, after, lines):
            found.append(fix)
    if len(found) == 1:
        found = [Fix(found[0].title, found[0].edits, preferred=True)]
    return found
