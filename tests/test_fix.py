"""Fixes as data and `netc fix`: every offered fix repairs its diagnostic, the command is idempotent and keeps comments."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from netspec.compiler import SourceFile, apply_edits, compile_text, fix_source, parse
from netspec.compiler.diagnostics import TextEdit
from netspec.compiler.source import Span

from tests.conftest import CASES, ROOT, SPECS, assert_snapshot, netc

CASE_FILES = sorted(CASES.glob("*.net"))
SCHEMA = json.loads((ROOT / "docs" / "diagnostics.schema.json").read_text(encoding="utf-8"))

BROKEN = """\
# a CNN with three mistakes
model Broken
input x: float32[N, 1, 28, 28]
task multiclass(classes=10)
layers:
    conv2d(3 -> 32, 3) -> relu -> maxpool2d(2)   # keep this comment
    flatten
    linear(in_features=5000, out_features=128) -> relu

    linear(128 -> 10) -> softmax
"""


def _span(line: int, col: int, end_line: int, end_col: int) -> Span:
    return Span(line=line, column=col, end_line=end_line, end_column=end_col)


def test_apply_edits_replaces_inserts_and_deletes_against_the_original_text():
    text = "ab\ncd\nef\n"
    edits = [
        TextEdit(span=_span(1, 2, 1, 3), replacement="X"),
        TextEdit(span=_span(2, 1, 2, 1), replacement=">"),
        TextEdit(span=_span(3, 1, 4, 1), replacement=""),
    ]
    assert apply_edits(text, edits) == "aX\n>cd\n"


def test_apply_edits_refuses_overlaps():
    with pytest.raises(ValueError):
        apply_edits(
            "abcdef",
            [TextEdit(span=_span(1, 1, 1, 4), replacement=""), TextEdit(span=_span(1, 3, 1, 5), replacement="")],
        )


def test_fix_repairs_three_mistakes_and_keeps_comments_and_layout():
    result = fix_source(SourceFile("broken.net", BROKEN))
    assert compile_text(result.text).ok
    assert result.applied == [
        "write the inferred in_channels=1",
        "write the inferred in_features=5408",
        "remove `softmax`: the loss applies it",
    ]
    assert "# a CNN with three mistakes" in result.text and "# keep this comment" in result.text
    assert result.text == BROKEN.replace("3 -> 32", "1 -> 32").replace("5000", "5408").replace(" -> softmax", "")


def test_fix_is_idempotent():
    once = fix_source(SourceFile("broken.net", BROKEN)).text
    twice = fix_source(SourceFile("broken.net", once))
    assert twice.text == once and twice.applied == []


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_every_offered_fix_removes_its_diagnostic_and_parses(path):
    """Applied alone, each fix (applicable or not) leaves text that parses and no longer has that diagnostic."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    for diag in compile_text(text, path.name).diagnostics:
        for fix in diag.fixes:
            fixed = apply_edits(text, fix.edits)
            program, syntax = parse(SourceFile(path.name, fixed))
            assert program is not None, (fix.title, syntax)
            again = compile_text(fixed, path.name).diagnostics
            same = [d for d in again if d.code == diag.code and d.message == diag.message]
            assert not same, f"{path.stem}: fix {fix.title!r} left {diag.code}"


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_json_output_follows_the_versioned_schema(path):
    run = netc("check", "--format", "json", str(path.relative_to(ROOT)), cwd=ROOT)
    data = json.loads(run.out)
    jsonschema.validate(data, SCHEMA)
    assert all(d["version"] == 1 for d in data)


def test_schema_rejects_a_fix_without_edits():
    run = netc("check", "--format", "json", str(CASES / "unknown_layer.net"))
    data = json.loads(run.out)
    data[0]["fixes"][0]["edits"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def test_cli_fix_writes_diff_and_check(tmp_path: Path):
    spec = tmp_path / "broken.net"
    spec.write_text(BROKEN, encoding="utf-8")
    diff = netc("fix", "--diff", str(spec))
    assert diff.code == 0 and spec.read_text(encoding="utf-8") == BROKEN
    assert "-    conv2d(3 -> 32, 3)" in diff.out and "+    conv2d(1 -> 32, 3)" in diff.out
    check = netc("fix", "--check", str(spec))
    assert check.code == 1 and spec.read_text(encoding="utf-8") == BROKEN
    assert "would fix" in check.err
    done = netc("fix", str(spec))
    assert done.code == 0 and "fixed" in done.err
    assert netc("check", str(spec)).code == 0
    assert netc("fix", "--check", str(spec)).code == 0


def test_cli_fix_reports_what_it_cannot_fix(tmp_path: Path):
    spec = tmp_path / "typo.net"
    spec.write_text((CASES / "unknown_value.net").read_text(encoding="utf-8"), encoding="utf-8")
    run = netc("fix", str(spec))
    assert run.code == 1 and "E-unknown-value" in run.err


def test_cli_fix_usage_errors():
    assert netc("fix", "no/such/file.net").code == 2


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_fix_leaves_clean_specs_alone(path):
    assert netc("fix", "--check", str(path)).code == 0


def test_rendered_fix_shows_the_edited_line():
    run = netc("check", "tests/cases/shape_wrong_in_features.net", cwd=ROOT)  # a path that reads the same anywhere
    assert_snapshot("fix_shape_wrong_in_features.txt", run.err)
    assert "= fix: write the inferred in_features=1600 (`netc fix` applies this one)" in run.err


def test_rendered_fix_that_removes_a_line(tmp_path: Path):
    spec = tmp_path / "soft.net"
    spec.write_text(
        "model Soft\ninput x: float32[N, 4]\ntask multiclass(classes=3)\nlayers:\n    linear(3)\n    softmax\n",
        encoding="utf-8",
    )
    run = netc("check", str(spec))
    assert "(line 6 removed)" in run.err
    assert netc("fix", str(spec)).code == 0
    assert spec.read_text(encoding="utf-8").endswith("    linear(3)\n")


def test_shrink_fix_declares_the_smallest_input_that_fits():
    text = (CASES / "shape_shrinks_to_zero.net").read_text(encoding="utf-8")
    (diag,) = [d for d in compile_text(text).diagnostics if d.is_error]
    assert any(n.startswith("shrunk by: input `x`") for n in diag.notes)
    declare = next(f for f in diag.fixes if f.title.startswith("declare an input"))
    assert not declare.applicable  # the data decides the input size, not netc
    fixed = apply_edits(text, declare.edits)
    assert compile_text(fixed).ok
    (edit,) = declare.edits
    smaller = edit.replacement.replace("10, 10", "9, 9")
    assert smaller != edit.replacement
    assert not compile_text(apply_edits(text, [edit.model_copy(update={"replacement": smaller})])).ok


def test_argument_fixes_a_choice_typo_a_repeat_and_a_setting():
    text = """\
model A
input x: float32[N, 3, 32, 32]
task multiclass(classes=10)
layers:
    conv2d(16, 3, padding=sme) -> relu
    conv2d(16, 3, stride=1, stride=1) -> relu
    adaptive_avgpool2d(1) -> flatten -> linear(10)
train:
    schedule cosin
"""
    result = fix_source(SourceFile("a.net", text))
    assert result.applied == ["change `sme` to `same`", "remove the repeated `stride`", "change `cosin` to `cosine`"]
    assert compile_text(result.text).ok
    assert "padding=same" in result.text and "stride=1, stride" not in result.text


def test_a_repeat_with_different_values_is_not_applied():
    text = "model A\ninput x: float32[N, 4]\ntask binary\nlayers:\n    linear(8, bias=true, bias=false) -> linear(1)\n"
    (diag,) = [d for d in compile_text(text).diagnostics if d.code == "E-arg-count"]
    assert diag.fixes and not diag.fixes[0].applicable
    assert fix_source(SourceFile("a.net", text)).applied == []
