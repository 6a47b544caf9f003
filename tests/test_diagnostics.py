"""Every diagnostic code: a spec that triggers it, the exact rendered text (snapshot), and the exit code."""

from __future__ import annotations

import json

import pytest
from netspec.compiler.diagnostics import CODES

from tests.conftest import CASES, ROOT, assert_snapshot, netc

CASE_FILES = sorted(CASES.glob("*.net"))


def _check(path):
    return netc("check", str(path.relative_to(ROOT)), cwd=ROOT)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_case_snapshot(path):
    run = _check(path)
    assert_snapshot(f"{path.stem}.txt", run.err)
    has_error = "error[" in run.err
    assert run.code == (1 if has_error else 0)


def test_every_code_has_a_case():
    seen: set[str] = set()
    for path in CASE_FILES:
        run = netc("check", "--format", "json", str(path.relative_to(ROOT)), cwd=ROOT)
        seen |= {d["code"] for d in json.loads(run.out)}
    assert seen == set(CODES), f"codes without a case: {set(CODES) - seen}; unknown codes: {seen - set(CODES)}"


@pytest.mark.parametrize(
    ("case", "code", "line", "column", "hint"),
    [
        ("syntax_unclosed_paren", "E-syntax", 5, 23, "close the parenthesis"),
        ("unknown_layer", "E-unknown-layer", 5, 5, "did you mean `conv2d`?"),
        ("unknown_arg", "E-unknown-arg", 5, 16, "did you mean `kernel`?"),
        ("unknown_value", "E-unknown-value", 9, 19, "did you mean `y`?"),
        ("unknown_value_chain", "E-unknown-value", 6, 5, "did you mean `h`?"),
        ("shape_wrong_in_features", "E-shape", 9, 5, "linear(1600 -> 128)"),
    ],
)
def test_must_show_errors_point_at_the_right_place(case, code, line, column, hint):
    run = netc("check", "--format", "json", str((CASES / f"{case}.net").relative_to(ROOT)), cwd=ROOT)
    assert run.code == 1
    errors = [d for d in json.loads(run.out) if d["severity"] == "error"]
    first = errors[0]
    assert (first["code"], first["line"], first["column"]) == (code, line, column)
    assert hint in first["help"]


def test_json_fields():
    run = netc("check", "--format", "json", str(CASES / "unknown_layer.net"))
    (diag,) = json.loads(run.out)
    assert {"severity", "code", "message", "file", "line", "column", "end_line", "end_column", "help"} <= set(diag)
    assert (diag["end_line"], diag["end_column"]) == (5, 12)


def test_several_independent_errors_in_one_run():
    run = netc("check", "--format", "json", str(CASES / "arg_type.net"))
    codes = [d["code"] for d in json.loads(run.out)]
    assert codes.count("E-arg-type") == 2


def test_several_files_one_report():
    run = netc("check", str(CASES / "unknown_layer.net"), str(CASES / "unknown_arg.net"))
    assert run.code == 1
    assert "unknown_layer.net:5:5" in run.err and "unknown_arg.net:5:16" in run.err
    assert run.err.strip().endswith("2 errors")
