"""Scale-out: `netc train --nproc 2` runs DistributedDataParallel on gloo and matches one process."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

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


def _train(spec, out, *extra):
    proc = subprocess.run(
        [sys.executable, "-m", "compiler.cli", "train", str(spec), "--quiet", "--out", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
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
    single, single_rows = _train(spec, tmp_path / "one", "--stream", "--workers", "1")
    ddp, ddp_rows = _train(spec, tmp_path / "two", "--stream", "--workers", "1", "--nproc", "2")
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
    a = torch.load(tmp_path / "straight" / "checkpoints" / "last.pt", weights_only=True)["model"]
    b = torch.load(last, weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
