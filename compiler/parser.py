"""Text -> lark parse tree, with syntax errors turned into diagnostics that speak in words."""

from __future__ import annotations

import functools
import hashlib
import math
import re

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.grammar_cache import grammar_cache
from netspec.compiler.source import SourceFile, Span
from netspec.grammar import GRAMMAR_PATH

# How each terminal reads in an error message.
_TERMINAL_WORDS: dict[str, str] = {
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a number",
    "STRING": "a string",
    "ARROW": "`->`",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
}

_KEYWORDS = ("model", "input", "task", "block", "layers", "train", "out", "param", "use", "from")


@functools.cache
def _lark() -> Lark:
    text = GRAMMAR_PATH.read_text(encoding="utf-8")
    # one cache file per grammar text, so that checkouts with different grammars do not overwrite each other's
    return Lark(
        text,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=grammar_cache(hashlib.sha256(text.encode()).hexdigest()[:16]),
    )


def describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    if name.lower() in _KEYWORDS:
        return f"`{name.lower()}`"
    return name.lower()


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "ARROW":
        return "`->`"
    text = str(token)
    if token.type == "NAME" or token.type.lower() in _KEYWORDS:
        return f"`{text}`"
    return f"`{text}`" if len(text) <= 20 else f"`{text[:17]}...`"


_VALUE_START = {"INT", "FLOAT", "STRING", "NAME", "LPAR", "LSQB", "MINUS"}
_TOP_LEVEL = {"MODEL", "INPUT", "TASK", "BLOCK", "LAYERS", "TRAIN", "USE", "FROM"}


def _expected_words(expected: set[str]) -> str:
    expected = set(expected)
    groups: list[str] = []
    if expected >= _VALUE_START:
        expected -= _VALUE_START
        groups.append("a layer or value")
    if expected >= _TOP_LEVEL:
        expected -= _TOP_LEVEL | {"$END"}
        groups.append("a declaration (`model`, `input`, `task`, `block`, `layers:` or `train:`)")
    operators = {"PLUS", "MINUS", "STAR", "SLASH", "ARROW", "COLON"}
    if expected - operators:
        expected -= operators
    words = groups + sorted({describe_terminal(t) for t in expected})
    if len(words) > 6:
        words = [*words[:6], "..."]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _token_span(token: Token, source: SourceFile) -> Span:
    if token.type == "$END" or token.line is None:
        return source.end_span()
    if token.type == "_NL":
        line = token.line
        return Span.point(line, len(source.line_text(line)) + 1)
    if token.type == "ARROW":
        # the arrow may have swallowed newlines: point at the arrow itself
        return Span(
            line=token.end_line,
            column=token.end_column - 2,
            end_line=token.end_line,
            end_column=token.end_column,
        )
    return Span(
        line=token.line,
        column=token.column,
        end_line=token.end_line or token.line,
        end_column=token.end_column or token.column + 1,
    )


def _open_brackets(source: SourceFile, token: Token) -> str:
    """Which brackets are still open on the token's line before it ('RPAR', 'RSQB' or '')."""
    if token.line is None:
        return ""
    text = source.line_text(token.line)[: (token.column or 1) - 1]
    depth_paren = text.count("(") - text.count(")")
    depth_square = text.count("[") - text.count("]")
    return "RPAR" if depth_paren > 0 else ("RSQB" if depth_square > 0 else "")


_PARAM_LINE = re.compile(r"^\s*param\b\s*([=:])?")


def _help_for(expected: set[str], found: Token | None, source: SourceFile) -> str:
    declaration = _PARAM_LINE.match(source.line_text(found.line)) if found is not None and found.line else None
    if declaration:
        if declaration.group(1):
            return "`param` starts a learnable-tensor declaration; name a value something else"
        return "declare a learnable tensor as `param NAME: [sizes] = INIT`, e.g. `param gamma: [64, 1, 1] = 1e-6`"
    if found is not None and found.type in _VALUE_START and "_NL" in expected and not _open_brackets(source, found):
        return "one statement per line; join layers into a chain with `->`"
    if found is not None and found.type == "_NL" and "RPAR" in expected:
        return "close the parenthesis with `)`, or continue the arguments on the same line"
    if found is not None and found.type == "_NL" and "RSQB" in expected:
        return "close the bracket with `]`"
    if found is not None and found.type in _VALUE_START and "COMMA" in expected:
        return "separate arguments with `,`"
    if "NAME" in expected and found is not None and found.type in ("INT", "FLOAT"):
        return "names start with a letter or `_`"
    if expected == {"_NL"} or expected == {"_NL", "ARROW"}:
        return "one statement per line; join layers into a chain with `->`"
    if found is not None and found.type in ("COLON",) and "_NL" in expected:
        return "a shape assertion is written after a layer: `conv2d(32, 3) : [N, 32, 26, 26]`"
    return ""


def syntax_diagnostic(exc: UnexpectedInput, source: SourceFile) -> Diagnostic:
    """Say in words what the parser expected and what it found."""
    if isinstance(exc, UnexpectedCharacters):
        char = source.line_text(exc.line)[exc.column - 1 : exc.column] or "?"
        span = Span.point(exc.line, exc.column)
        before = source.line_text(exc.line)[: exc.column - 1].rstrip()
        if char == ">" and before.endswith("-"):
            return error(
                "E-syntax",
                "expected a layer or value, found `->`",
                Span(line=exc.line, column=exc.column - 1, end_line=exc.line, end_column=exc.column + 1),
                label="a second arrow",
                help="each `->` needs a layer on both sides; remove the extra arrow",
            )
        if char in "\"'":
            return error(
                "E-syntax",
                "unterminated string",
                span,
                label="this string is never closed",
                help=f"close it with {char} on the same line",
            )
        return error(
            "E-syntax",
            f"unexpected character `{char}`",
            span,
            label="not allowed here",
            help="names use letters, digits and `_`; comments start with `#`",
        )
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = {t for t in exc.expected if not t.startswith("__")}
        found = _describe_token(token)
        if token.type == "ARROW" and expected >= _VALUE_START:
            return error(
                "E-syntax",
                "expected a layer or value, found `->`",
                _token_span(token, source),
                label="a second arrow",
                help="each `->` needs a layer on both sides; remove the extra arrow",
            )
        wanted = _expected_words(expected)
        if "_NL" in expected and token.type in _VALUE_START and "RPAR" not in _open_brackets(source, token):
            wanted = "`->` or the end of the line"
        return error(
            "E-syntax",
            f"expected {wanted}, found {found}",
            _token_span(token, source),
            label=f"unexpected {found.removeprefix('the ')}",
            help=_help_for(expected, token, source),
        )
    if isinstance(exc, UnexpectedEOF):
        expected = {t for t in exc.expected if not t.startswith("__")}
        return error(
            "E-syntax",
            f"expected {_expected_words(expected)}, found the end of the file",
            source.end_span(),
            label="the file ends here",
        )
    return error("E-syntax", "invalid syntax", source.end_span())


_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_tree(source: SourceFile) -> tuple[Tree | None, list[Diagnostic]]:
    """Parse the text; on failure return every syntax error found, one per line (see compiler/recover.py)."""
    text = source.text
    if not text.endswith("\n"):
        text += "\n"
    bad = _BAD_CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return None, [
            error(
                "E-syntax",
                f"control character {bad.group()!r} in the spec",
                Span.point(line, col),
                label="not text",
                help="a .net file is plain UTF-8 text",
            )
        ]
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        first = syntax_diagnostic(exc, source)
        tree = None
    except RecursionError:
        return None, [
            error(
                "E-syntax",
                "expression nested too deeply",
                source.end_span(),
                help="split it into named values",
            )
        ]
    if tree is not None:
        problems = check_limits(tree)
        return (None, problems) if problems else (tree, [])
    from netspec.compiler.recover import all_syntax_errors  # only a file with a syntax error pays for it

    return None, all_syntax_errors(_lark(), text, source, first, syntax_diagnostic)


# Limits named in docs/language.md. A literal beyond them cannot mean a model (no size reaches 2**63,
# no float beyond 1.8e308 is finite); nesting beyond them would exhaust Python's stack in later passes.
MAX_INT = 2**63 - 1
MAX_NESTING = 100
# chains and statements are flat lists, so only these nest: operators, calls, lists, assertions
_NESTING = {"add", "sub", "mul", "div", "neg", "call", "list", "assert_shape"}


def check_limits(tree: Tree) -> list[Diagnostic]:
    """Number literals in range and expressions nested at most MAX_NESTING deep (walked without recursion)."""
    stack: list[tuple[Tree | Token, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Token):
            problem = _literal_problem(node)
            if problem:
                return [problem]
            continue
        if node.data in _NESTING:
            depth += 1
            if depth > MAX_NESTING:
                return [
                    error(
                        "E-limit",
                        f"expression nested more than {MAX_NESTING} levels deep",
                        Span.point(node.meta.line, node.meta.column),
                        label="nested too deeply",
                        help="split it into named values (`h = ...` on lines of their own), or use concat(...)",
                    )
                ]
        stack.extend((child, depth) for child in node.children if child is not None)
    return []


def _literal_problem(token: Token) -> Diagnostic | None:
    span = Span(line=token.line, column=token.column, end_line=token.end_line, end_column=token.end_column)
    if token.type == "INT" and (len(token) > 19 or int(token) > MAX_INT):
        shown = token if len(token) <= 24 else f"{token[:10]}...({len(token)} digits)"
        return error(
            "E-limit",
            f"integer {shown} is too large (at most {MAX_INT:,}, 2**63 - 1)",
            span,
            label="too large",
            help="no size, count or seed comes near this; check the number",
        )
    if token.type == "FLOAT" and not math.isfinite(float(token)):
        return error(
            "E-limit",
            f"number {token if len(token) <= 24 else token[:20] + '...'} is beyond the largest float (about 1.8e308)",
            span,
            label="not a finite number",
            help="write a finite number (an infinite eps, slope, rate or clip breaks the model or its training)",
        )
    return None
