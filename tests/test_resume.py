"""Checkpoints and resume: a run killed with SIGKILL at random points and resumed ends with the
same weights, bit for bit, as a run that never stopped."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from tests.conftest import ROOT, netc

SPEC = """model Resumable
input x: float32[N, 64]
task multiclass(classes=10)
layers:
    linear(96) -> relu -> dropout(0.2)
    linear(10)
train:
    data digits
    optimizer adamw(lr=2e-3)
    schedule onecycle
    batch_size 8
    epochs 8
    seed 3
"""


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)["model"]


def _start(spec: Path, out: Path, resume: bool) -> subprocess.Popen:
    argv = [sys.executable, "-m", "compiler.cli", "train", str(spec), "--quiet", "--out", str(out)]
    if resume and (out / "checkpoints" / "last.pt").exists():
        argv += ["--resume", str(out / "checkpoints" / "last.pt")]
    return subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _epochs_done(out: Path) -> int:
    path = out / "metrics.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_sigkill_and_resume_gives_identical_weights(tmp_path):
    spec = tmp_path / "resumable.net"
    spec.write_text(SPEC)
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "straight")).code == 0
    reference = _weights(tmp_path / "straight")

    out = tmp_path / "killed"
    rng = random.Random(1234)
    kills = 0
    for target_epoch in (1, 3, 6):  # kill somewhere inside these epochs
        proc = _start(spec, out, resume=True)
        while _epochs_done(out) < target_epoch and proc.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.15))  # land at a random step, possibly mid-checkpoint
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    proc = _start(spec, out, resume=True)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert kills >= 2, "the run finished before it could be killed; slow it down"
    resumed = _weights(out)
    assert reference.keys() == resumed.keys()
    for name in reference:
        assert torch.equal(reference[name], resumed[name]), name
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [int(json.loads(line)["epoch"]) for line in lines] == list(range(1, 9))
    assert not list((out / "checkpoints").glob("*.tmp"))
