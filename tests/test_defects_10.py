"""Issue #10's defects, each pinned by a spec that once built a module different from the spec."""

from __future__ import annotations

import pytest

from tests.model_check import check_text

HEADER = "model M\ninput x: float32[N, {width}]\ntask regression(outputs={out})\nlayers:\n"


def spec(body: str, *, width: int = 8, out: int = 4, blocks: str = "") -> str:
    return blocks + HEADER.format(width=width, out=out) + "".join(f"    {line}\n" for line in body.splitlines())


# ---- defect 1: one attribute per statement, no module shared by accident ----------------------
EQUAL_REPEATS = [
    spec("linear(16) * 2\nlinear(4) * 2"),
    spec(
        "fc(16) * 2\ndropout(0.1)\nfc(16) * 2\nlinear(1)",
        width=16,
        out=1,
        blocks="block fc(c):\n    linear(c) -> relu\n",
    ),
    # a named value taking the name a sequential would get
    spec("linear_x2 = linear(8) -> relu\nlinear(8) * 2\nlinear(4)"),
]


@pytest.mark.parametrize("text", EQUAL_REPEATS, ids=range(len(EQUAL_REPEATS)))
def test_equal_repetitions_get_their_own_modules(text, tmp_path):
    report = check_text(text, tmp_path)
    assert report.stateful_layers >= 4


# ---- defect 2 and 7: nested, repeated blocks used with different sizes -----------------------
NESTED = [
    spec("stack(16) -> relu\nstack(4)", blocks="block stack(c):\n    linear(c) * 2\n"),
    spec(
        "m3(4) -> (m3(6) * 2)",
        out=7,
        blocks=(
            "block b(c):\n    linear(c) -> relu\n"
            "block m2(c):\n    in -> (b(c) * 2)\n"
            "block m3(c):\n    in -> m2(c) -> m2(c + 1)\n"
        ),
    ),
]


@pytest.mark.parametrize("text", NESTED, ids=range(len(NESTED)))
def test_nested_repeated_blocks_build_with_different_sizes(text, tmp_path):
    check_text(text, tmp_path)
