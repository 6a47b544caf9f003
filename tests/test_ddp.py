"""Scale-out: `netc train --nproc 2` runs DistributedDataParallel on gloo and matches one process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from netspec.runtime.checkpoint import read_checkpoint

from tests.conftest import ROOT, train_argv

SPEC = """model DDPNet
input x: float32[N, 64]
task multiclass(classes=10)
layers:
    linear(64) -> relu
    linear(10)
train:
    data digits
    optimizer adam(lr=2e-3)
    batch_size 32
    epochs 4
    seed 1
"""


def _netc_train(spec, out, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        train_argv(spec, out, *extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )


def _train(spec, out, *extra):
    proc = _netc_train(spec, out, *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "summary.json").read_text()), [
        json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()
    ]


def test_two_process_ddp_matches_single_process(tmp_path):
    spec = tmp_path / "ddp.net"
    spec.write_text(SPEC)
    single, single_rows = _train(spec, tmp_path / "one")
    ddp, ddp_rows = _train(spec, tmp_path / "two", "--nproc", "2")
    assert ddp["processes"] == 2 and single["processes"] == 1
    # each rank computes half of every global batch; DDP averages the gradients: the same training
    for a, b in zip(single_rows, ddp_rows, strict=True):
        assert abs(a["train_loss"] - b["train_loss"]) < 1e-4
        assert abs(a["val_accuracy"] - b["val_accuracy"]) < 0.01
    assert abs(single["test"]["accuracy"] - ddp["test"]["accuracy"]) < 0.01
    assert abs(single["test"]["loss"] - ddp["test"]["loss"]) < 1e-3
    # rank 0 alone wrote the run directory
    assert sorted(p.name for p in (tmp_path / "two" / "checkpoints").iterdir()) == ["best.pt", "last.pt"]


def _image_folder(tmp_path):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, value in (("dark", 30), ("light", 220)):
        folder = tmp_path / "imgs" / label
        folder.mkdir(parents=True)
        for i in range(30):
            Image.fromarray(np.clip(rng.normal(value, 20, (12, 12, 3)), 0, 255).astype(np.uint8)).save(
                folder / f"{i}.png"
            )
    spec = tmp_path / "img.net"
    spec.write_text(
        "model Img\ninput x: float32[N, 3, 12, 12]\ntask binary\nlayers:\n"
        "    conv2d(4, 3) -> relu -> adaptive_avgpool2d(1) -> flatten -> linear(1)\n"
        f'train:\n    data image_folder("{tmp_path / "imgs"}")\n    batch_size 8\n    epochs 4\n'
    )
    return spec


def test_ddp_with_streamed_data(tmp_path):
    spec = _image_folder(tmp_path)
    # 43 train samples in batches of 6 end with a batch of 1, which both runs drop; a last batch of
    # 2 or 3 would be dropped by the DDP run only (it could not give each rank 2 samples)
    batches = ("--batch-size", "6")
    single, single_rows = _train(spec, tmp_path / "one", "--stream", "--workers", "1", *batches)
    ddp, ddp_rows = _train(spec, tmp_path / "two", "--stream", "--workers", "1", "--nproc", "2", *batches)
    assert single["steps"] == ddp["steps"] == 4 * 7
    for a, b in zip(single_rows, ddp_rows, strict=True):
        assert abs(a["train_loss"] - b["train_loss"]) < 5e-3
    assert single["test"]["accuracy"] == ddp["test"]["accuracy"]


def test_streamed_run_resumes_exactly(tmp_path):
    import torch

    spec = _image_folder(tmp_path)
    _train(spec, tmp_path / "straight", "--stream", "--workers", "1")
    _train(spec, tmp_path / "split", "--stream", "--workers", "1", "--epochs", "2")
    last = tmp_path / "split" / "checkpoints" / "last.pt"
    _train(spec, tmp_path / "split", "--stream", "--workers", "1", "--resume", str(last))
    a = read_checkpoint(tmp_path / "straight" / "checkpoints" / "last.pt")["model"]
    b = read_checkpoint(last)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_divergence_on_one_rank_stops_every_rank(tmp_path):
    """One large input lands on one rank only: every rank must stop at that step, not wait in all-reduce.
    (Values beyond what float32 survives are refused before training; a cube of 1e14 overflows inside the model.)"""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = x.sum(1, keepdims=True).astype("float32")
    x[37] = 1e14  # accepted by the pre-flight checks, but h * h * h overflows float32
    np.savez(tmp_path / "big.npz", x=x, y=y)
    spec = tmp_path / "reg.net"
    spec.write_text(
        "model Reg\ninput x: float32[N, 4]\ntask regression(outputs=1)\nlayers:\n    h = linear(1)\n    h * h * h\n"
        f'train:\n    data npz("{tmp_path / "big.npz"}")\n    standardize false\n    batch_size 16\n    epochs 2\n'
    )
    outcomes = []
    for extra in ((), ("--nproc", "2")):
        proc = _netc_train(spec, tmp_path / "run", *extra)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "OMP_NUM_THREADS" not in proc.stderr
        assert proc.stderr.count("error[E-diverged]") == 1, proc.stderr  # reported once, by rank 0
        outcomes.append(proc.stderr)
    single, ddp = outcomes
    assert "the loss became inf at step " in single
    assert "the loss became inf on one of the 2 processes at step " in ddp
    step = single.split("at step ")[1].split()[0]
    assert f"at step {step} " in ddp  # the same step: each rank holds half of the same global batch


def test_problems_under_ddp_are_reported_once_with_their_exit_code(tmp_path):
    """Every rank meets a bad data set or a bad flag; rank 0 alone reports it, and no launcher traceback follows."""
    import numpy as np
    import torch

    np.savez(tmp_path / "wide.npz", x=np.zeros((100, 5), np.float32), y=np.zeros(100, np.int64))
    spec = tmp_path / "ddp.net"
    spec.write_text(SPEC)
    cases = [
        (("--data", str(tmp_path / "wide.npz")), 1, "error[E-data]: input `x` dimension 1 is 64 in the spec but 5")
    ]
    if not torch.cuda.is_available():
        cases.append((("--device", "cuda"), 2, "error[E-usage]: --device cuda was asked for"))
    for extra, code, message in cases:
        proc = _netc_train(spec, tmp_path / "run", "--nproc", "2", *extra)
        assert proc.returncode == code, proc.stderr
        assert proc.stderr.count(message) == 1, proc.stderr
        assert "Traceback" not in proc.stderr and "ChildFailedError" not in proc.stderr


def test_ctrl_c_under_ddp_stops_every_process_and_says_how_to_resume(tmp_path):
    import os
    import random
    import signal
    import time

    spec = tmp_path / "ddp.net"
    spec.write_text(SPEC.replace("epochs 4", "epochs 1000"))
    out = tmp_path / "run"
    argv = train_argv(spec, out, "--nproc", "2")
    # a terminal's Ctrl-C reaches the whole foreground process group: the launcher and both workers
    proc = subprocess.Popen(argv, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    metrics = out / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while not (metrics.exists() and metrics.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(random.Random(5).uniform(0.0, 1.0))  # somewhere in a later epoch, maybe in evaluation
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.count("netc: interrupted") == 1, err
    assert f"continue with --resume {out / 'checkpoints' / 'last.pt'}" in err
    assert "Traceback" not in err


def test_batchnorm_model_with_a_last_batch_of_two_and_one_validation_sample(tmp_path):
    """42 train samples in batches of 8 end with a batch of 2, one sample per rank: batchnorm cannot
    train on it (it crashed before; the batch is dropped now). Rank 1's share of the one-sample
    validation split is empty: evaluation must not wait on it (it hung before)."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(54, 4)).astype("float32")
    np.savez(tmp_path / "small.npz", x=x, y=(x[:, 0] > 0).astype("int64"))
    spec = tmp_path / "bn.net"
    spec.write_text(
        "model BN\ninput x: float32[N, 4]\ntask multiclass(classes=2)\n"
        "layers:\n    linear(8) -> batchnorm -> relu -> linear(2)\n"
        f'train:\n    data npz("{tmp_path / "small.npz"}")\n    val_split 0.025\n    batch_size 8\n    epochs 2\n'
    )
    summary, rows = _train(spec, tmp_path / "run", "--nproc", "2")
    assert len(rows) == 2 and rows[-1]["val_accuracy"] in (0.0, 1.0)  # exactly one validation sample
    assert summary["steps"] == 2 * 5  # 42 = 5 * 8 + 2: the batch of two is dropped
    assert summary["processes"] == 2 and 0.0 <= summary["test"]["accuracy"] <= 1.0


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the launcher's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(spec, out):
    import time

    proc = subprocess.Popen(train_argv(spec, out, "--nproc", "2"), cwd=ROOT, stderr=subprocess.PIPE, text=True)
    metrics, deadline = out / "metrics.jsonl", time.monotonic() + 120
    while not (metrics.exists() and metrics.read_text().count("\n") >= 1) and time.monotonic() < deadline:
        time.sleep(0.01)
    workers = _children(proc.pid)
    assert len(workers) == 2, workers
    return proc, workers


def test_a_killed_worker_is_reported_in_one_line_with_its_signal(tmp_path):
    import os
    import re
    import signal

    spec = tmp_path / "ddp.net"
    spec.write_text(SPEC.replace("epochs 4", "epochs 1000"))
    proc, workers = _running(spec, tmp_path / "run")
    os.kill(workers[-1], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + 9, err
    assert re.search(r"error\[E-ddp\]: training process [01] of 2 was killed by signal 9 \(SIGKILL\)", err), err
    assert "Traceback" not in err and "gloo" not in err and "signal 15" not in err
    assert len(err.strip().splitlines()) == 2, err  # the line and its help


def test_workers_end_within_seconds_when_the_launcher_dies(tmp_path):
    import os
    import signal
    import time

    spec = tmp_path / "ddp.net"
    spec.write_text(SPEC.replace("epochs 4", "epochs 1000"))
    proc, workers = _running(spec, tmp_path / "run")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    started = time.monotonic()
    while any(Path(f"/proc/{w}").exists() and _state(w) != "Z" for w in workers) and time.monotonic() - started < 15:
        time.sleep(0.1)
    assert time.monotonic() - started < 10, "the workers trained on after their launcher died"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
