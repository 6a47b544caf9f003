"""`use` / `from ... use`: blocks from other files and from the shipped library std/, checked like the spec's own."""

from __future__ import annotations

import tomllib

import pytest
from netspec.compiler.fmt import format_program
from netspec.compiler.pipeline import compile_file, compile_text, parse
from netspec.compiler.source import SourceFile
from netspec.grammar import STD_PATH

from tests.conftest import ROOT
from tests.test_shapes_oracle import check_spec

EVERY_STD_BLOCK = """
use "std/transformer.net"

model Std
input x: float32[N, T, 16]
task regression(outputs=1)
layers:
    h = x -> mlp(16, 32)
    h = h -> pre_norm_block(16, 4, 32) -> post_norm_block(16, 2, 48, drop=0.1)
    h = h -> encoder_layer(16, heads=4, hidden=32) -> decoder_layer(16, heads=1, hidden=16)
    last -> linear(1)
"""


def test_every_std_block_agrees_with_torch():
    text = EVERY_STD_BLOCK.replace("h = h ->", "h2 = h ->", 1).replace("h = h ->", "h3 = h2 ->", 1)
    text = text.replace("    last", "    h3 -> last")
    result = compile_text(text)
    assert result.ok, [d.message for d in result.diagnostics]
    assert check_spec(text) == "both-accept"


def test_std_library_is_package_data():
    assert sorted(p.name for p in STD_PATH.glob("*.net")) == ["transformer.net"]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "std/*.net" in config["tool"]["setuptools"]["package-data"]["netspec.grammar"]


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


MAIN = """from "lib/blocks.net" use wide

model M
input x: float32[N, T, 30]
task regression(outputs=1)
layers:
    wide(30)
    last -> linear(1)
"""


def test_relative_import_and_nested_relative_use(tmp_path):
    (tmp_path / "lib").mkdir()
    _write(tmp_path / "lib", "inner.net", "block act():\n    in -> relu\n")
    _write(tmp_path / "lib", "blocks.net", 'use "inner.net"\nblock wide(d):\n    in -> linear(d) -> act\n')
    result = compile_file(_write(tmp_path, "m.net", MAIN))
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.checked is not None and result.checked.total_params == 30 * 30 + 30 + 31


def test_error_inside_an_imported_block_points_at_its_use(tmp_path):
    (tmp_path / "lib").mkdir()
    _write(tmp_path / "lib", "blocks.net", "block wide(d):\n    in -> attention(heads=d)\n")
    result = compile_file(_write(tmp_path, "m.net", MAIN.replace("wide(30)", "wide(4)")))
    (diag,) = [d for d in result.diagnostics if d.is_error]
    assert diag.code == "E-shape" and "4 does not divide 30" in diag.message
    assert (diag.span.line, diag.span.file) == (7, "")  # the spec's own line `wide(4)`
    assert any("lib/blocks.net:2:" in note and "attention(heads=d)" in note for note in diag.notes)


def test_own_block_replaces_an_imported_one(tmp_path):
    (tmp_path / "lib").mkdir()
    _write(tmp_path / "lib", "blocks.net", "block wide(d):\n    in -> linear(d) -> relu\n")
    text = MAIN + "\nblock wide(d):\n    in -> linear(d) -> tanh\n"
    result = compile_file(_write(tmp_path, "m.net", text))
    assert result.ok
    assert [n.op for n in result.graph.nodes][:2] == ["linear", "tanh"]


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        (None, "cannot read lib/blocks.net"),
        ("block wide(d)\n    in -> relu\n", "lib/blocks.net does not parse"),
        ("block narrow(d):\n    in -> relu\n", "has no block `wide`"),
    ],
)
def test_import_problems_are_diagnostics(tmp_path, blocks, message):
    if blocks is not None:
        (tmp_path / "lib").mkdir()
        _write(tmp_path / "lib", "blocks.net", blocks)
    result = compile_file(_write(tmp_path, "m.net", MAIN))
    codes = {d.code for d in result.diagnostics if d.is_error}
    assert "E-import" in codes
    assert any(message in d.message for d in result.diagnostics), [d.message for d in result.diagnostics]


def test_imported_files_warnings_stay_there():
    """The library defines blocks this spec does not use: no W-unused for them."""
    result = compile_text(EVERY_STD_BLOCK.replace("use ", "from ").replace('.net"', '.net" use mlp', 1))
    assert not [d for d in result.diagnostics if d.code == "W-unused" and "block" in d.message]


def test_use_declarations_format_canonically():
    text = 'use   "std/transformer.net"\nfrom "a.net" use  x,y\n'
    program, _ = parse(SourceFile("t.net", text))
    assert format_program(program, SourceFile("t.net", text)) == 'use "std/transformer.net"\nfrom "a.net" use x, y\n'
