"""The grammar cache lives only in a private folder: never a shared or foreign-owned one (it is a pickle)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from netspec.compiler.grammar_cache import grammar_cache

ROOT = Path(__file__).resolve().parent.parent


def test_cache_goes_in_a_private_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NETC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NETC_NO_CACHE", raising=False)
    path = grammar_cache("abc")
    assert isinstance(path, str) and Path(path).parent == tmp_path / "cache"
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_can_write_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("NETC_CACHE_DIR", str(shared))
    assert grammar_cache("abc") is False


def test_a_file_in_the_way_or_a_switch_turns_caching_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("NETC_CACHE_DIR", str(tmp_path / "file"))
    assert grammar_cache("abc") is False
    monkeypatch.setenv("NETC_CACHE_DIR", str(tmp_path / "ok"))
    monkeypatch.setenv("NETC_NO_CACHE", "1")
    assert grammar_cache("abc") is False


def test_check_writes_its_cache_there_and_works_without_one(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NETC_CACHE_DIR": str(tmp_path / "c")}
    env.pop("NETC_NO_CACHE", None)
    spec = str(ROOT / "specs" / "digits_cnn.net")
    for _ in range(2):  # the first run writes the cache, the second reads it
        done = subprocess.run([sys.executable, "-m", "netspec", "check", "-q", spec], env=env, capture_output=True)
        assert done.returncode == 0, done.stderr
    assert [p.suffix for p in (tmp_path / "c").iterdir()] == [".lark-cache"]
    (tmp_path / "c").chmod(0o777)  # now unsafe: no cache is read, the check still passes
    done = subprocess.run([sys.executable, "-m", "netspec", "check", "-q", spec], env=env, capture_output=True)
    assert done.returncode == 0 and done.stderr == b""
