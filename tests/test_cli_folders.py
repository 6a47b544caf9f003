"""`netc check DIR` and `netc fmt DIR` walk the folder for .net files, as ruff does."""

from __future__ import annotations

from tests.conftest import CASES, ROOT, netc


def test_check_a_folder_checks_every_spec_under_it():
    run = netc("check", str(ROOT / "specs"))
    assert run.code == 0, run.err
    assert f"ok: {len(list((ROOT / 'specs').rglob('*.net')))} files checked" in run.err  # specs/zoo/ too


def test_check_recurses_and_skips_hidden_and_environment_folders(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    good = (ROOT / "specs" / "notes_mlp.net").read_text()
    (tmp_path / "a" / "b" / "deep.net").write_text(good)
    (tmp_path / "top.net").write_text(good)
    for skipped in (".git", ".venv", "__pycache__"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "broken.net").write_text("model")
    run = netc("check", str(tmp_path))
    assert run.code == 0, run.err
    assert "ok: 2 files checked" in run.err
    (tmp_path / "a" / "broken.net").write_text((CASES / "unknown_layer.net").read_text())
    run = netc("check", str(tmp_path))
    assert run.code == 1 and "broken.net" in run.err


def test_fmt_a_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    messy = (ROOT / "specs" / "notes_mlp.net").read_text().replace("\n    ", "\n  ")
    (tmp_path / "sub" / "m.net").write_text(messy)
    run = netc("fmt", "--check", str(tmp_path))
    assert run.code == 1 and "would reformat" in run.err
    assert netc("fmt", str(tmp_path)).code == 0
    assert netc("fmt", "--check", str(tmp_path)).code == 0


def test_an_empty_folder_is_a_usage_error(tmp_path):
    run = netc("check", str(tmp_path))
    assert run.code == 2 and "no .net files under" in run.err
