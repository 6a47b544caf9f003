"""Shared test helpers: paths, snapshot comparison, running netc in-process."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.net"))
CASES = ROOT / "tests" / "cases"
SNAPSHOTS = ROOT / "tests" / "snapshots"
UPDATE = os.environ.get("NETC_UPDATE_SNAPSHOTS") == "1"


def assert_snapshot(name: str, text: str) -> None:
    """Compare with tests/snapshots/NAME; NETC_UPDATE_SNAPSHOTS=1 rewrites them (review the diff)."""
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        if not UPDATE and os.environ.get("CI"):
            pytest.fail(f"missing snapshot {path} (create it locally with NETC_UPDATE_SNAPSHOTS=1)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"snapshot {name} differs"


@dataclass
class Run:
    code: int
    out: str
    err: str


def netc(*argv: str, cwd: Path | None = None) -> Run:
    from netspec.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.chdir(old)
    return Run(code, out.getvalue(), err.getvalue())


def train_argv(spec: Path, out: Path, *extra: str) -> list[str]:
    """`netc train SPEC --quiet --out OUT ...` as a separate process (for kills, signals and torchrun)."""
    return [sys.executable, "-m", "netspec", "train", str(spec), "--quiet", "--out", str(out), *extra]
