"""Whatever text arrives, netc answers with diagnostics, never a traceback (property tests).

CI runs a few hundred examples per property; `make fuzz` runs NETC_FUZZ_EXAMPLES (e.g. 100000).
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark
from netspec.compiler.fmt import format_program
from netspec.compiler.pipeline import compile_text, parse
from netspec.compiler.render import render_all_text, render_json
from netspec.compiler.source import SourceFile
from netspec.grammar import GRAMMAR_PATH

from tests.conftest import CASES, SPECS

EXAMPLES = int(os.environ.get("NETC_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

CORPUS = [p.read_text() for p in SPECS] + [p.read_text(errors="replace") for p in sorted(CASES.glob("*.net"))]
TOKEN = re.compile(r"\s+|[A-Za-z_][A-Za-z0-9_]*|\d+\.?\d*(?:[eE][+-]?\d+)?|->|\"[^\"\n]*\"|#[^\n]*|.", re.S)


def assert_only_diagnostics(text: str) -> None:
    result = compile_text(text, "fuzz.net")
    source = SourceFile("fuzz.net", text)
    for diag in result.diagnostics:
        assert 1 <= diag.span.line <= source.line_count + 1, diag
        assert diag.span.column >= 1
        assert diag.code and diag.message
    render_all_text(result.diagnostics, source)
    render_json([(d, source) for d in result.diagnostics])
    program, _ = parse(source)
    if program is not None:
        once = format_program(program, source)
        again_program, diags = parse(SourceFile("fmt.net", once))
        assert again_program is not None, (text, once, diags)
        assert format_program(again_program, SourceFile("fmt.net", once)) == once


def _tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


@st.composite
def mutated_spec(draw) -> str:
    tokens = _tokens(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 4))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["delete", "swap", "duplicate", "replace"]))
        if action == "delete":
            del tokens[i]
        elif action == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif action == "duplicate":
            tokens.insert(i, tokens[i])
        else:
            tokens[i] = draw(
                st.sampled_from(
                    [
                        "->",
                        "(",
                        ")",
                        "[",
                        "]",
                        ",",
                        ":",
                        "=",
                        "+",
                        "*",
                        "-",
                        "\n",
                        "    ",
                        "N",
                        "0",
                        "-1",
                        "1e999",
                        "x",
                        "in",
                        "out",
                        "layers:",
                        "block",
                        "\t",
                        '"',
                        "#",
                    ]
                )
            )
    return "".join(tokens)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data):
    assert_only_diagnostics(data.decode("utf-8", errors="replace"))


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text):
    assert_only_diagnostics(text)


@FUZZ
@given(st.sampled_from(CORPUS), st.data())
def test_truncations(text, data):
    cut = data.draw(st.integers(0, len(text)))
    assert_only_diagnostics(text[:cut])


@FUZZ
@given(mutated_spec())
def test_token_mutations(text):
    assert_only_diagnostics(text)


@FUZZ
@given(from_lark(Lark(GRAMMAR_PATH.read_text(), parser="lalr", lexer="contextual"), start="start"))
def test_grammar_generated(text):
    assert_only_diagnostics(text)


def test_deep_nesting_is_a_diagnostic():
    text = "model D\ninput x: float32[N, 4]\ntask regression\nlayers:\n    " + "(" * 5000 + "relu" + ")" * 5000 + "\n"
    assert_only_diagnostics(text)


def test_huge_repetition_is_bounded():
    text = "model D\ninput x: float32[N, 4]\ntask regression\nlayers:\n    relu * 1000000000\n    linear(1)\n"
    result = compile_text(text)
    assert [d.code for d in result.diagnostics] == ["E-arg-type"]
