"""How fast is `netc check`? Whole-process time against `import torch`, and compile time vs spec size.

Run: `make bench` (or .venv/bin/python benchmarks/check_speed.py). Prints a table; writes nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netspec.compiler.pipeline import compile_text  # noqa: E402

# as on a user's machine: Python caches bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def process_seconds(argv: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, env=ENV)
        times.append(time.perf_counter() - start)
    return times


def generated_spec(layers: int) -> str:
    """A valid spec with `layers` layers: alternating linear and activation, in lines of ten."""
    lines = ["model Deep", "input x: float32[N, 64]", "task multiclass(classes=10)", "layers:"]
    remaining = layers - 1
    while remaining > 0:
        chunk = min(10, remaining)
        steps = ["linear(64)" if i % 2 == 0 else "relu" for i in range(chunk)]
        lines.append("    " + " -> ".join(steps))
        remaining -= chunk
    lines.append("    linear(10)")
    return "\n".join(lines) + "\n"


def compile_seconds(text: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = compile_text(text)
        times.append(time.perf_counter() - start)
        assert result.ok, result.diagnostics[:3]
    return statistics.median(times)


def main() -> None:
    python = sys.executable
    netc = [python, "-m", "netspec", "check", "-q", "specs/notes_cnn.net"]
    torch = [python, "-c", "import torch"]
    bare = [python, "-c", "pass"]
    process_seconds(netc, 1)  # warm the lark cache and the OS file cache
    process_seconds(torch, 1)
    netc_t, torch_t, bare_t = [], [], []
    for _ in range(15):  # interleaved, so that machine noise hits all three alike
        netc_t += process_seconds(netc, 1)
        torch_t += process_seconds(torch, 1)
        bare_t += process_seconds(bare, 1)
    n, t, b = (statistics.median(x) for x in (netc_t, torch_t, bare_t))
    print("whole process, median of 15 (interleaved)")
    print(f"  python -c pass                      {b * 1000:8.1f} ms")
    print(f"  netc check specs/notes_cnn.net      {n * 1000:8.1f} ms")
    print(f"  python -c 'import torch'            {t * 1000:8.1f} ms")
    print(f"  import torch / netc check           {t / n:8.1f} x")
    print()
    print("in-process compile (parse, resolve, shapes), median")
    print(f"  {'layers':>7}  {'seconds':>9}  {'us/layer':>9}")
    for size in (10, 100, 1000, 10000):
        text = generated_spec(size)
        seconds = compile_seconds(text, 5 if size < 10000 else 3)
        print(f"  {size:>7}  {seconds:9.4f}  {seconds / size * 1e6:9.1f}")


if __name__ == "__main__":
    main()
