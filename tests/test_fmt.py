"""`netc fmt`: canonical, idempotent, comment-preserving, meaning-preserving."""

from __future__ import annotations

import shutil

import pytest
from netspec.compiler.fmt import format_program
from netspec.compiler.pipeline import compile_text, parse
from netspec.compiler.source import SourceFile

from tests.conftest import CASES, ROOT, SPECS, assert_snapshot, netc

FMT = ROOT / "tests" / "fmt"
PARSEABLE = [
    p
    for p in [*SPECS, *sorted(CASES.glob("*.net")), *sorted(FMT.glob("*.net"))]
    if parse(SourceFile(p.name, p.read_text(errors="replace")))[0]
]


def fmt_text(text: str) -> str:
    source = SourceFile("t.net", text)
    program, diags = parse(source)
    assert program is not None, diags
    return format_program(program, source)


def _comments(text: str) -> list[str]:
    return [line[line.index("#") :].strip() for line in text.splitlines() if "#" in line]


@pytest.mark.parametrize("path", PARSEABLE, ids=lambda p: p.stem)
def test_idempotent_and_keeps_comments_and_meaning(path):
    text = path.read_text()
    once = fmt_text(text)
    assert fmt_text(once) == once
    assert _comments(once) == _comments(text)
    before, after = compile_text(text), compile_text(once)
    assert [d.code for d in before.diagnostics] == [d.code for d in after.diagnostics]
    if before.checked is not None:
        assert before.checked.graph.model_dump(
            exclude={"nodes", "inputs", "blocks", "assertions", "repeats"}
        ) == after.checked.graph.model_dump(exclude={"nodes", "inputs", "blocks", "assertions", "repeats"})
        assert [(n.op, n.args, n.inputs) for n in before.checked.graph.nodes] == [
            (n.op, n.args, n.inputs) for n in after.checked.graph.nodes
        ]


def test_messy_file_snapshot():
    assert_snapshot("fmt_messy.net.txt", fmt_text((FMT / "messy.net").read_text()))


def test_check_flag_and_rewrite(tmp_path):
    target = tmp_path / "messy.net"
    shutil.copy(FMT / "messy.net", target)
    run = netc("fmt", "--check", str(target))
    assert run.code == 1 and "would reformat" in run.err
    assert target.read_text() == (FMT / "messy.net").read_text()
    assert netc("fmt", str(target)).code == 0
    assert netc("fmt", "--check", str(target)).code == 0


def test_fmt_refuses_broken_syntax(tmp_path):
    target = tmp_path / "bad.net"
    shutil.copy(CASES / "syntax_double_arrow.net", target)
    run = netc("fmt", str(target))
    assert run.code == 1
    assert target.read_text() == (CASES / "syntax_double_arrow.net").read_text()


def test_precedence_parentheses_are_kept():
    text = "model P\ninput x: float32[N, 4]\ntask regression\nlayers:\n    a = linear(4)\n    (a + a) -> linear(1)\n"
    assert "(a + a) -> linear(1)" in fmt_text(text)
