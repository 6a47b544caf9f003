"""How long does the editor wait? `netc check` as a process against `import torch`, the in-process re-check,
and the LSP round trip didChange -> publishDiagnostics over stdio, for a 50-layer and a 500-line spec.

Run: .venv/bin/python benchmarks/lsp_speed.py [rounds]. Prints medians; writes nothing.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Empty, Queue

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netspec.lsp.analysis import analyze  # noqa: E402
from netspec.lsp.hints import line_shapes  # noqa: E402
from netspec.lsp.protocol import diagnostic  # noqa: E402

# as on a user's machine: Python caches bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"PYTHONPATH": str(ROOT)}


def layer_spec(lines: int) -> str:
    """A valid spec of `lines` lines: one layer per line, linear and relu in turn."""
    out = ["model Deep", "input x: float32[N, 64]", "task multiclass(classes=10)", "layers:"]
    out += ["    linear(64)" if i % 2 == 0 else "    relu" for i in range(lines - 5)]
    out.append("    linear(10)")
    return "\n".join(out) + "\n"


def edited(text: str, round_: int) -> str:
    """The text after a keystroke: the first layer's width changes every round (a real re-check each time)."""
    return text.replace("linear(64)", f"linear({64 + round_ % 7})", 1)


# ---- whole process ----------------------------------------------------------------------------------------


def _run(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def process_ratio(rounds: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of `netc check`, `import torch` and a bare interpreter, interleaved."""
    python = sys.executable
    argvs = {
        "netc check specs/notes_cnn.net": [python, "-m", "netspec", "check", "-q", "specs/notes_cnn.net"],
        "python -c 'import torch'": [python, "-c", "import torch"],
        "python -c pass": [python, "-c", "pass"],
    }
    for argv in argvs.values():  # warm the grammar cache and the OS file cache
        _run(argv)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in argvs}
    for _ in range(rounds):  # interleaved, so that machine noise hits all alike
        for name, argv in argvs.items():
            runs[name].append(_run(argv))
    return {
        name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)) for name, rs in runs.items()
    }


# ---- in process -------------------------------------------------------------------------------------------


def recheck_ms(text: str, rounds: int, clock=time.perf_counter) -> tuple[float, float]:
    """Median ms from new text to the diagnostics the server publishes, and to the inlay hints."""
    analyze(text, "bench.net")
    checks, hints = [], []
    for r in range(rounds):
        new = edited(text, r + 1)
        start = clock()
        analysis = analyze(new, "bench.net")
        [diagnostic(analysis, d, "file:///bench.net", "utf-16") for d in analysis.compilation.diagnostics]
        middle = clock()
        line_shapes(analysis)
        checks.append(middle - start)
        hints.append(clock() - middle)
    return statistics.median(checks) * 1000, statistics.median(hints) * 1000


# ---- over stdio -------------------------------------------------------------------------------------------


class Client:
    """A bare LSP client: JSON-RPC frames over the server's stdin/stdout, notifications into a queue."""

    def __init__(self, debounce_ms: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "netspec", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env=ENV,
        )
        self.inbox: Queue[dict] = Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.request(
            1,
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": None,
                "capabilities": {},
                "initializationOptions": {"debounce_ms": debounce_ms},
            },
        )
        self.notify("initialized", {})

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, id_: int, method: str, params: dict | None) -> dict:
        self.send({"id": id_, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == id_ and "method" not in m)

    def wait(self, match, timeout: float = 30) -> dict:
        deadline = time.perf_counter() + timeout
        while True:
            try:
                message = self.inbox.get(timeout=max(deadline - time.perf_counter(), 0.001))
            except Empty:
                raise TimeoutError("no answer from netc lsp") from None
            if match(message):
                return message

    def close(self) -> None:
        self.request(2, "shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=10)


def round_trip_ms(text: str, rounds: int, debounce_ms: float) -> float:
    client = Client(debounce_ms)
    uri = "file:///bench.net"

    def published(version: int):
        return lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version

    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "netspec", "version": 1, "text": text}}
    )
    client.wait(published(1))
    times = []
    for version in range(2, rounds + 2):
        start = time.perf_counter()
        change = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": edited(text, version)}]}
        client.notify("textDocument/didChange", change)
        client.wait(published(version))
        times.append(time.perf_counter() - start)
    client.close()
    return statistics.median(times) * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    specs = {"50 layers": layer_spec(55), "500 lines": layer_spec(500)}
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (CPU time is the steadier figure on a busy machine)"
    )
    times = process_ratio(max(rounds // 2, 5))
    print("whole process, median (interleaved)          wall        CPU")
    for name, (wall, cpu) in times.items():
        print(f"  {name:40} {wall * 1000:8.1f} ms {cpu * 1000:8.1f} ms")
    netc, torch = times["netc check specs/notes_cnn.net"], times["python -c 'import torch'"]
    print(f"  {'import torch / netc check (goal >= 20 x)':40} {torch[0] / netc[0]:8.1f} x  {torch[1] / netc[1]:8.1f} x")
    print()
    print("in process: change -> diagnostics ready to publish (goals: 5 ms, 50 ms), then inlay hints; medians")
    for name, text in specs.items():
        check, hints = recheck_ms(text, rounds)
        check_cpu, hints_cpu = recheck_ms(text, rounds, time.process_time)
        print(
            f"  {name:10}  wall: check {check:7.2f} ms  hints +{hints:6.2f} ms   CPU: check {check_cpu:7.2f} ms  hints +{hints_cpu:6.2f} ms"
        )
    print()
    print("LSP over stdio: didChange -> publishDiagnostics of that version, median ms")
    for name, text in specs.items():
        immediate = round_trip_ms(text, rounds, 0)
        debounced = round_trip_ms(text, rounds, 75)
        print(f"  {name:10}  no debounce {immediate:7.2f} ms   default 75 ms debounce {debounced:7.2f} ms")


if __name__ == "__main__":
    main()
