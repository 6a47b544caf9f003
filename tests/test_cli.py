"""`netc` as users run it: exit codes, usage errors, ir/shapes/fmt output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from netspec.compiler import ir

from tests.conftest import CASES, ROOT, SPECS, netc


def test_check_all_specs_clean():
    run = netc("check", *map(str, SPECS))
    assert run.code == 0, run.err
    assert f"ok: {len(SPECS)} files checked" in run.err


def test_fmt_check_all_specs_clean():
    run = netc("fmt", "--check", *map(str, SPECS))
    assert run.code == 0, run.err


@pytest.mark.parametrize(
    "argv",
    [
        ("check", "does/not/exist.net"),
        ("check",),
        ("check", "--bogus", "x.net"),
        ("frobnicate",),
        ("fmt", "missing.net"),
        ("ir", "missing.net"),
        ("shapes", "missing.net"),
        ("shapes", str(ROOT / "specs")),  # one-file commands refuse a folder (check and fmt walk it)
    ],
)
def test_usage_errors_exit_2(argv):
    run = netc(*argv)
    assert run.code == 2
    assert "Traceback" not in run.err


def test_missing_file_message():
    run = netc("check", "nope.net")
    assert run.err.strip() == "netc: error: no such file: nope.net"


def test_ir_json_round_trips():
    for spec in SPECS:
        run = netc("ir", "--json", str(spec))
        assert run.code == 0
        program = ir.Program.model_validate_json(run.out)
        assert program.version == ir.IR_VERSION
        assert json.loads(program.model_dump_json()) == json.loads(run.out)


def test_ir_has_spans_everywhere():
    run = netc("ir", "--json", str(ROOT / "specs" / "resnet18.net"))
    data = json.loads(run.out)

    def walk(node):
        if isinstance(node, dict):
            if "kind" in node and node["kind"] not in ("program",):
                assert "span" in node, node["kind"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data["items"])


def test_ir_of_broken_spec_is_a_diagnostic():
    run = netc("ir", str(CASES / "syntax_unclosed_paren.net"))
    assert run.code == 1
    assert "error[E-syntax]" in run.err


def test_shapes_json_resnet18():
    run = netc("shapes", "--format", "json", str(ROOT / "specs" / "resnet18.net"))
    data = json.loads(run.out)
    assert data["total_params"] == 11_689_512
    assert data["output_shape"] == ["N", 1000]
    assert data["model"] == "ResNet18"
    assert data["inputs"] == [{"name": "x", "dtype": "float32", "shape": ["N", 3, 224, 224]}]
    assert sum(layer["params"] for layer in data["layers"]) == data["total_params"]


def test_shapes_text_table():
    run = netc("shapes", str(ROOT / "specs" / "notes_cnn.net"))
    assert run.code == 0
    assert "[N, 64, 5, 5]" in run.out and "[N, 1600]" in run.out
    assert "total parameters: 34,826" in run.out


def test_build_to_stdout_is_python():
    run = netc("build", str(ROOT / "specs" / "digits_cnn.net"))
    assert run.code == 0
    compile(run.out, "digits_cnn.py", "exec")
    assert "class DigitsCNN(nn.Module):" in run.out


def test_module_entry_point_in_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "netspec", "check", str(CASES / "unknown_layer.net")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 1
    assert "did you mean `conv2d`?" in proc.stderr


def test_unwritable_output_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    run = netc("build", str(ROOT / "specs" / "notes_mlp.net"), "-o", str(blocker / "sub" / "x.py"))
    assert run.code == 2 and "netc: error:" in run.err and "Traceback" not in run.err


def test_fmt_stdout_prints_even_when_clean():
    run = netc("fmt", "--stdout", str(ROOT / "specs" / "notes_mlp.net"))
    assert run.code == 0 and run.out == (ROOT / "specs" / "notes_mlp.net").read_text()


def test_empty_file_lists_what_is_missing(tmp_path):
    empty = tmp_path / "empty.net"
    empty.write_text("")
    run = netc("check", "--format", "json", str(empty))
    assert run.code == 1
    assert {d["message"] for d in json.loads(run.out)} >= {"the spec has no `task`", "the spec declares no input"}
