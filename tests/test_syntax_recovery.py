"""Syntax errors recover: a file with several unrelated mistakes reports each, and one mistake reports one."""

from __future__ import annotations

import random
from pathlib import Path

from netspec.compiler import compile_text

from tests.conftest import SPECS, assert_snapshot, netc

VALID = [p.read_text(encoding="utf-8") for p in SPECS] + [
    p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent / "realbugs").glob("*/fixed.net"))
]
BREAKABLE = "()[],:>="

THREE = """\
model Three
input x: float32[N, 1, 28, 28
task multiclass(classes=10)
layers:
    conv2d(32, 3 -> relu
    maxpool2d(2) relu
    flatten
    linear(10))
"""


def _syntax_lines(text: str) -> list[int]:
    return [d.span.line for d in compile_text(text).diagnostics if d.code == "E-syntax"]


def _break(line: str, rng: random.Random) -> str | None:
    code = line.split("#", 1)[0]
    spots = [i for i, ch in enumerate(code) if ch in BREAKABLE]
    if not spots:
        return None
    i = rng.choice(spots)
    return code[:i] + code[i + 1 :] if rng.random() < 0.6 else code[:i] + rng.choice("()[],:") + code[i:]


def test_four_mistakes_four_errors(tmp_path):
    assert _syntax_lines(THREE) == [2, 5, 6, 8]
    spec = tmp_path / "three.net"
    spec.write_text(THREE, encoding="utf-8")
    run = netc("check", str(spec))
    assert run.code == 1 and run.err.strip().endswith("4 errors")
    assert_snapshot("syntax_recovery_four.txt", run.err.replace(str(spec), "three.net"))


def test_one_mistake_is_one_error():
    """No cascades: 150 specs with one character removed or added report exactly one syntax error."""
    rng = random.Random(1)
    seen = 0
    while seen < 150:
        text = rng.choice(VALID)
        lines = text.split("\n")
        index = rng.randrange(len(lines))
        broken_line = _break(lines[index], rng)
        if broken_line is None:
            continue
        broken = "\n".join([*lines[:index], broken_line, *lines[index + 1 :]])
        found = _syntax_lines(broken)
        if not found:
            continue
        seen += 1
        assert len(found) == 1, (broken_line, found)


def test_three_separate_mistakes_three_errors():
    """Three statements broken two or more lines apart: each is reported on its own line (>= 95%)."""
    rng = random.Random(2)
    exact = total = 0
    while total < 100:
        lines = rng.choice(VALID).split("\n")
        spots = [i for i, line in enumerate(lines) if any(ch in line.split("#", 1)[0] for ch in BREAKABLE)]
        if len(spots) < 5:
            continue
        picks = sorted(rng.sample(spots, 3))
        if picks[1] - picks[0] < 2 or picks[2] - picks[1] < 2:
            continue
        broken = list(lines)
        for p in picks:
            broken[p] = _break(lines[p], rng) or lines[p]
        alone = [_syntax_lines("\n".join([*lines[:p], broken[p], *lines[p + 1 :]])) for p in picks]
        if not all(alone):
            continue
        total += 1
        exact += sorted(_syntax_lines("\n".join(broken))) == [p + 1 for p in picks]
    print(f"\nsyntax recovery: {exact}/{total} files with three mistakes reported exactly those three lines")
    assert exact >= 95
