"""Checkpoints and resume: a run killed with SIGKILL at random points and resumed ends with the
same weights, bit for bit, as a run that never stopped."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from netspec.runtime.checkpoint import read_checkpoint

from tests.conftest import ROOT, netc, train_argv

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
    return read_checkpoint(run / "checkpoints" / "last.pt")["model"]


def _start(spec: Path, out: Path, resume: bool) -> subprocess.Popen:
    argv = train_argv(spec, out)
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


def test_ctrl_c_stops_cleanly_and_the_resumed_run_ends_identical(tmp_path):
    spec = tmp_path / "resumable.net"
    spec.write_text(SPEC)
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "straight")).code == 0
    out = tmp_path / "run"
    proc = _start(spec, out, resume=False)
    while _epochs_done(out) < 2 and proc.poll() is None:
        time.sleep(0.005)
    time.sleep(random.Random(99).uniform(0.0, 0.1))
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    last = out / "checkpoints" / "last.pt"
    assert f"continue with --resume {last}" in err and "Traceback" not in err
    assert _epochs_done(out) < 8
    proc = _start(spec, out, resume=True)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    reference, resumed = _weights(tmp_path / "straight"), _weights(out)
    assert all(torch.equal(reference[name], resumed[name]) for name in reference)


def test_a_second_ctrl_c_stops_at_once_and_sigterm_only_asks():
    from netspec.runtime.stopping import StopRequest

    stop = StopRequest()
    stop.install()
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # what torchrun sends its workers after the terminal's SIGINT
        assert stop.requested
        os.kill(os.getpid(), signal.SIGTERM)  # still only a request
        with pytest.raises(KeyboardInterrupt):  # the second Ctrl-C does not wait for a step boundary
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    finally:
        stop.uninstall()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _sleep_in_child() -> None:
    time.sleep(60)


def test_forked_children_still_die_when_terminated():
    """DataLoader workers are forked after the handler is installed; one that ignored SIGTERM hung the exit."""
    import multiprocessing

    from netspec.runtime.stopping import StopRequest

    stop = StopRequest()
    stop.install()
    try:
        child = multiprocessing.get_context("fork").Process(target=_sleep_in_child, daemon=True)
        child.start()
        time.sleep(0.2)
        child.terminate()
        child.join(timeout=10)
        alive = child.is_alive()
        if alive:
            child.kill()
            child.join()
        assert not alive and child.exitcode == -signal.SIGTERM
        assert not stop.requested  # the child's signal is not the parent's stop request
    finally:
        stop.uninstall()


def test_sigkill_at_random_steps_inside_epochs_resumes_bit_exactly(tmp_path):
    """With --checkpoint-every, last.pt is also written inside epochs; a kill at any step resumes from there."""
    spec = tmp_path / "resumable.net"
    spec.write_text(SPEC.replace("epochs 8", "epochs 3"))
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "straight")).code == 0
    reference = _weights(tmp_path / "straight")

    out = tmp_path / "killed"
    last = out / "checkpoints" / "last.pt"
    rng = random.Random(4321)
    positions = []
    for _ in range(4):
        argv = train_argv(spec, out, "--checkpoint-every", "7")
        if last.exists():
            argv += ["--resume", str(last)]
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started = last.stat().st_mtime_ns if last.exists() else 0
        while proc.poll() is None and (not last.exists() or last.stat().st_mtime_ns == started):
            time.sleep(0.005)  # wait for this process's first checkpoint, then kill at a random step after it
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        positions.append(read_checkpoint(last)["position"])
    assert any(p is not None and p["done"] > 0 for p in positions), "no kill left a mid-epoch checkpoint"
    proc = subprocess.Popen(
        [*train_argv(spec, out), "--resume", str(last)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    resumed = _weights(out)
    assert all(torch.equal(reference[name], resumed[name]) for name in reference)
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [int(json.loads(line)["epoch"]) for line in lines] == [1, 2, 3]
    straight = (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()
    # the epoch's train loss is carried across the kill too (only the timings differ)
    assert [json.loads(a)["train_loss"] for a in lines] == [json.loads(b)["train_loss"] for b in straight]
