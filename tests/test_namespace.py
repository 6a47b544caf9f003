"""One import namespace: every module imports the project as `netspec.*`, never a bare `compiler`/`runtime`."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT

BARE = {"compiler", "runtime", "grammar"}


def _python_files():
    for folder in ("netspec", "compiler", "runtime", "grammar", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            if "golden" not in path.parts:
                yield path


def test_nothing_imports_a_bare_top_level_package():
    offenders = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in BARE]
    assert offenders == []


def test_version_flag_and_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "netspec", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.startswith("netc "), proc.stderr


def test_import_netspec_is_light_and_lazy():
    code = "import sys, netspec; assert 'torch' not in sys.modules; print(netspec.load.__module__)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "netspec.runtime.load"
