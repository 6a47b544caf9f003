"""Syntax error recovery: after the first error, keep parsing (lark's interactive LALR parser) to report the rest.

Panic mode at the statement level, since a statement is a line: the token that does not fit is
dropped; an unfinished statement is completed with the fewest placeholder tokens the parser
accepts (a missing `)` or `]`, a name) so that its end of line is accepted. Only the first error of
a line is reported. The tree of a file with syntax errors is never used.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable

from lark import Lark, Token
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_interactive_parser import InteractiveParser
from netspec.compiler.diagnostics import Diagnostic
from netspec.compiler.source import SourceFile

MAX_ERRORS = 25
MAX_EXPANSIONS = 200
MAX_CLOSERS = 20
MAX_DEPTH = 6

# what to insert for each terminal when completing an unfinished statement, cheapest first
_PLACEHOLDERS: dict[str, str] = {
    "RPAR": ")",
    "RSQB": "]",
    "NAME": "_",
    "INT": "1",
    "COLON": ":",
    "LSQB": "[",
    "COMMA": ",",
    "EQUAL": "=",
    "FLOAT": "1.0",
    "STRING": '""',
}


def _close_brackets(parser: InteractiveParser, goal: str) -> tuple[InteractiveParser, list[Token]] | None:
    """Close open brackets while the goal is not yet accepted (cheap, and most unfinished lines need only that)."""
    state, run = parser.copy(), []
    for _ in range(MAX_CLOSERS + 1):
        accepts = state.accepts()
        if goal in accepts:
            return state, run
        closer = next((t for t in ("RPAR", "RSQB") if t in accepts), None)
        if closer is None:
            return state, run
        token = Token(closer, _PLACEHOLDERS[closer])
        state.feed_token(token)
        run.append(token)
    return None  # nested too deep to be worth completing


def _completion(parser: InteractiveParser, goal: str) -> list[Token] | None:
    """The shortest run of placeholder tokens after which the parser accepts `goal` (breadth first)."""
    closed = _close_brackets(parser, goal)
    if closed is None:
        return None
    start, prefix = closed
    queue: deque[tuple[InteractiveParser, list[Token]]] = deque([(start, prefix)])
    expansions = 0
    while queue and expansions < MAX_EXPANSIONS:
        state, run = queue.popleft()
        accepts = state.accepts()
        if goal in accepts:
            return run
        if len(run) >= len(prefix) + MAX_DEPTH:
            continue
        for terminal, text in _PLACEHOLDERS.items():
            if terminal not in accepts:
                continue
            expansions += 1
            nxt = state.copy()
            token = Token(terminal, text)
            try:
                nxt.feed_token(token)
            except UnexpectedInput:
                continue
            queue.append((nxt, [*run, token]))
    return None


def all_syntax_errors(
    lark: Lark,
    text: str,
    source: SourceFile,
    first: Diagnostic,
    describe: Callable[[UnexpectedInput, SourceFile], Diagnostic],
) -> list[Diagnostic]:
    """The first syntax error and those after it, without the cascades of earlier ones."""
    found: list[Diagnostic] = [first]
    reported_lines = {first.span.line}

    def on_error(exc: UnexpectedInput) -> bool:
        if len(found) >= MAX_ERRORS:
            return False
        line = getattr(exc, "line", None) or 0
        if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
            return False  # nothing left to recover for
        if line not in reported_lines:
            diag = describe(exc, source)
            if diag.span.line not in reported_lines:
                found.append(diag)
                reported_lines.add(diag.span.line)
        reported_lines.add(line)
        if isinstance(exc, UnexpectedToken) and exc.token.type == "_NL":
            # an unfinished statement: complete it, then let its end of line through
            parser = exc.interactive_parser
            run = _completion(parser, "_NL")
            if run is None:
                return False
            for token in run:
                parser.feed_token(token)
            parser.feed_token(exc.token)
        return True  # the token that did not fit is dropped

    with contextlib.suppress(UnexpectedInput, RecursionError):  # recovery gave up: what was found stands
        lark.parse(text, on_error=on_error)
    return sorted(found, key=lambda d: (d.span.line, d.span.column))
