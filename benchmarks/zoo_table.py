"""The zoo against torchvision, as a table: parameters, differences eval/train, spec vs torchvision lines, check time.

Run: .venv/bin/python benchmarks/zoo_table.py [STEM ...]  (every zoo model at its spec's input size; minutes on a CPU).
`netc check` time is the whole process (`python -m netspec check SPEC`), the best of 3; compile time is in process,
the best of 5. Prints markdown; writes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netspec.compiler import compile_file  # noqa: E402

from tests.zoo_oracle import ZOO, code_lines, compare, torchvision_source_lines  # noqa: E402


def check_seconds(spec: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "netspec", "check", str(spec)], check=True, env=env, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def compile_ms(spec: Path) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        compile_file(spec)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main(stems: list[str]) -> None:
    print(
        "| model | parameters | max diff eval | max diff train (out / grad) | spec lines | torchvision lines "
        "| netc check (process) | compile (in process) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for entry in ZOO:
        if stems and entry.stem not in stems:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            result = compare(entry, None, Path(tmp) / "weights.pt")
        assert result.params == result.torchvision_params
        spec_lines = code_lines(entry.spec.read_text())
        print(
            f"| {entry.stem} | {result.params:,} | {result.eval_diff:.1e} | {result.train_diff:.1e} / {result.grad_diff:.1e} "
            f"| {spec_lines} | {torchvision_source_lines(entry)} | {check_seconds(entry.spec):.2f} s "
            f"| {compile_ms(entry.spec):.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
