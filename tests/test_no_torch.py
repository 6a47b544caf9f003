"""`netc check` must stay fast: the compiler never imports torch."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_check_does_not_import_torch():
    code = (
        "import sys\n"
        "from netspec.cli import main\n"
        "rc = main(['check', '-q', 'specs/resnet18.net', 'specs/notes_cnn.net'])\n"
        "rc2 = main(['shapes', 'specs/notes_lstm.net'])\n"
        "rc3 = main(['build', 'specs/notes_mlp.net'])\n"
        "assert 'torch' not in sys.modules, 'compiler imported torch'\n"
        "sys.exit(rc or rc2 or rc3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_no_torch_import_statement_in_compiler():
    for path in (ROOT / "compiler").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import torch", "from torch")), f"{path}: {line}"
