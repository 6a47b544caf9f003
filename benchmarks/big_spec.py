"""How `netc check`, `fmt` and `build` scale with spec size: 1,000 and 10,000 statements (issue #10).

Each measurement runs in a fresh process (peak memory is per process). The spec mixes what real
specs hold: named values, residuals, blocks used at several sizes, repetitions, shape assertions.
Run: .venv/bin/python benchmarks/big_spec.py [statements ...]. Prints a table; writes nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000)

_MEASURE = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import netspec  # noqa: F401  (maps netspec.compiler to the checkout)
from netspec.compiler import SourceFile, compile_source, parse, python_source
from netspec.compiler.fmt import format_program
text = open({path!r}).read()
source = SourceFile("big.net", text)
start = time.perf_counter()
if {command!r} == "check":
    assert compile_source(source).ok
elif {command!r} == "fmt":
    program, _ = parse(source)
    format_program(program, source)
else:
    python_source(source)
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def big_spec(statements: int) -> str:
    """About `statements` statements in `layers:` plus two blocks; every tenth line a block use."""
    lines = [
        "block mlp(c):",
        "    y = in -> linear(c) -> relu",
        "    out in + y",
        "block pair(c):",
        "    mlp(c) * 2",
        "",
        "model Big",
        "input x: float32[N, 32]",
        "task multiclass(classes=10)",
        "",
        "layers:",
    ]
    for i in range(statements):
        kind = i % 10
        if kind == 0:
            lines.append(f"    h{i} = linear(32) -> relu")
        elif kind == 1:
            lines.append(f"    h{i - 1} -> linear(32) * 2 -> relu")
        elif kind == 2:
            lines.append("    mlp(32) : [N, 32]")
        elif kind == 3:
            lines.append("    (linear(32) -> relu) * 2 -> dropout(0.1)")
        elif kind == 4:
            lines.append("    pair(32)")
        elif kind == 5:
            lines.append(f"    r{i} = linear(32) -> relu")
        elif kind == 6:
            lines.append(f"    r{i - 1} * 0.5 + r{i - 1}")
        elif kind == 7:
            lines.append("    layernorm")
        elif kind == 8:
            lines.append("    linear(32) -> gelu")
        else:
            lines.append("    relu")
    lines.append("    linear(10)")
    return "\n".join(lines) + "\n"


def measure(command: str, path: Path) -> dict[str, float]:
    code = _MEASURE.format(root=str(ROOT), path=str(path), command=command)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(sizes: tuple[int, ...]) -> None:
    tmp = ROOT / "runs" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    print(f"{'statements':>10}  {'command':<6}  {'seconds':>8}  {'per 1k':>7}  {'peak MB':>8}")
    for size in sizes:
        path = tmp / f"big_{size}.net"
        path.write_text(big_spec(size))
        for command in ("check", "fmt", "build"):
            result = measure(command, path)
            per_k = result["seconds"] / size * 1000
            print(f"{size:>10,}  {command:<6}  {result['seconds']:>8.2f}  {per_k:>7.3f}  {result['rss_mb']:>8.0f}")


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
