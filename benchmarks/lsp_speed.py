"""How long does the editor wait? `netc check` as a process against `import torch`, the in-process re-check,
and the LSP round trip didChange -> publishDiagnostics over stdio, for a 50-layer and a 500-line spec.

Run: .venv/bin/python benchmarks/lsp_speed.py [rounds]. Prints medians; writes nothing.
"""

from __future__ import annotations

import json
import os
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
from netspec.lsp.server import _diagnostic  # noqa: E402

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


def process_ratio(rounds: int) -> tuple[float, float, float]:
    python = sys.executable
    netc = [python, "-m", "netspec", "check", "-q", "specs/notes_cnn.net"]
    torch = [python, "-c", "import torch"]
    for argv in (netc, torch):  # warm the grammar cache and the OS file cache
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, env=ENV)
    netc_t, torch_t = [], []
    for _ in range(rounds):  # interleaved, so that machine noise hits both alike
        for argv, times in ((netc, netc_t), (torch, torch_t)):
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, cwd=ROOT, env=ENV)
            times.append(time.perf_counter() - start)
    n, t = statistics.median(netc_t), statistics.median(torch_t)
    return n, t, t / n


# ---- in process -------------------------------------------------------------------------------------------


def recheck_ms(text: str, rounds: int) -> tuple[float, float]:
    """Median ms from new text to the diagnostics the server publishes, and to the inlay hints."""
    analyze(text, "bench.net")
    checks, hints = [], []
    for r in range(rounds):
        new = edited(text, r + 1)
        start = time.perf_counter()
        analysis = analyze(new, "bench.net")
        [_diagnostic(analysis, d, "file:///bench.net", "utf-16") for d in analysis.compilation.diagnostics]
        middle = time.perf_counter()
        line_shapes(analysis)
        checks.append(middle - start)
        hints.append(time.perf_counter() - middle)
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
    n, t, ratio = process_ratio(max(rounds // 2, 5))
    print("whole process, median (interleaved)")
    print(f"  netc check specs/notes_cnn.net   {n * 1000:8.1f} ms")
    print(f"  python -c 'import torch'         {t * 1000:8.1f} ms")
    print(f"  import torch / netc check        {ratio:8.1f} x   (goal: >= 20 x)")
    print()
    print("in process: change -> diagnostics ready to publish, and -> inlay hints, median ms (goals: 5, 50)")
    for name, text in specs.items():
        check, hints = recheck_ms(text, rounds)
        print(f"  {name:10}  check {check:7.2f} ms   hints +{hints:6.2f} ms")
    print()
    print("LSP over stdio: didChange -> publishDiagnostics of that version, median ms")
    for name, text in specs.items():
        immediate = round_trip_ms(text, rounds, 0)
        debounced = round_trip_ms(text, rounds, 75)
        print(f"  {name:10}  no debounce {immediate:7.2f} ms   default 75 ms debounce {debounced:7.2f} ms")


if __name__ == "__main__":
    main()
