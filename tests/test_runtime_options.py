"""Every training option does what it says, on real data sets that ship with the packages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, netc

IRIS = """model IrisNet
input x: float32[N, 4]
task multiclass(classes=3)
layers:
    linear(32) -> relu -> linear(3)
train:
    data iris
    batch_size 16
    epochs 20
{extra}
"""


def _run(tmp_path, extra: str = "", *flags: str) -> tuple[dict, list[dict]]:
    spec = tmp_path / "iris.net"
    spec.write_text(IRIS.format(extra=extra))
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"), *flags)
    assert run.code == 0, run.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    return summary, rows


@pytest.mark.parametrize(
    "extra",
    [
        "    optimizer sgd(lr=0.05, momentum=0.9, nesterov=true)",
        "    optimizer rmsprop(lr=0.005)",
        "    optimizer adamw(lr=0.01, weight_decay=0.01)",
        "    schedule step(size=5, gamma=0.5)",
        "    schedule cosine",
        "    schedule onecycle(max_lr=0.02)",
        "    clip 0.5",
    ],
)
def test_optimizers_and_schedules_learn(tmp_path, extra):
    summary, rows = _run(tmp_path, extra)
    assert summary["test"]["accuracy"] >= 0.8
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]


def test_step_schedule_changes_lr_per_epoch_count(tmp_path):
    _, rows = _run(tmp_path, "    optimizer adam(lr=0.01)\n    schedule step(size=5, gamma=0.5)")
    lrs = [round(r["lr"], 6) for r in rows]
    assert lrs[3] == 0.01 and lrs[4] == 0.005 and lrs[9] == 0.0025


def test_cosine_ends_near_zero(tmp_path):
    _, rows = _run(tmp_path, "    schedule cosine")
    assert rows[-1]["lr"] < 1e-6


def test_steps_instead_of_epochs(tmp_path):
    spec_extra = "    steps 13"
    spec = tmp_path / "iris.net"
    spec.write_text(IRIS.format(extra=spec_extra).replace("    epochs 20\n", ""))
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["steps"] == 13


def test_early_stopping(tmp_path):
    _summary, rows = _run(
        tmp_path, "    optimizer adam(lr=0.05)\n    early_stopping val_loss(patience=2)", "--epochs", "200"
    )
    assert len(rows) < 200
    best = min(r["val_loss"] for r in rows)
    assert all(r["val_loss"] >= best for r in rows[-2:])


def test_flags_override_the_spec(tmp_path):
    summary, rows = _run(
        tmp_path, "", "--epochs", "3", "--batch-size", "8", "--lr", "0.02", "--optimizer", "sgd", "--seed", "5"
    )
    assert len(rows) == 3 and summary["epochs"] == 3
    assert rows[0]["lr"] == pytest.approx(0.02)


def test_seed_makes_runs_repeatable(tmp_path):
    first, _ = _run(tmp_path, "", "--seed", "7", "--deterministic")
    second, _ = _run(tmp_path, "", "--seed", "7", "--deterministic")
    assert first["test"] == second["test"]


def test_bf16_autocast(tmp_path):
    summary, _ = _run(tmp_path, "    precision bf16")
    assert summary["test"]["accuracy"] >= 0.8
    assert summary["precision"] == "bf16"


def test_precision_auto_uses_bf16_only_where_the_hardware_has_it(tmp_path, monkeypatch):
    import torch
    from netspec.runtime import precision

    cpu = torch.device("cpu")
    probes = (torch.cpu._is_avx512_bf16_supported(), torch.cpu._is_amx_tile_supported())
    assert precision.native_bf16("cpu") == any(probes)
    assert precision.native_bf16("mps") is False
    summary, _ = _run(tmp_path, "    precision auto")
    assert summary["precision"] == ("bf16" if any(probes) else "fp32")
    assert summary["test"]["accuracy"] >= 0.8
    for native in (True, False):
        monkeypatch.setattr(precision, "native_bf16", lambda _type, native=native: native)
        assert precision.effective_precision("auto", cpu) == ("bf16" if native else "fp32")
        assert precision.effective_precision("fp32", cpu) == "fp32"
        assert precision.effective_precision("bf16", cpu) == "bf16"
        with precision.autocast(cpu, "auto"):
            assert torch.is_autocast_enabled("cpu") is native


@pytest.mark.parametrize("name", ["adam", "adamw", "sgd"])
def test_fused_optimizers_make_the_same_update_as_the_plain_ones(name):
    import torch
    from netspec.compiler.train_config import Choice, TrainConfig
    from netspec.runtime.train import make_optimizer

    args = {"lr": 1e-2, "momentum": 0.9, "weight_decay": 1e-3} if name == "sgd" else {"lr": 1e-2, "weight_decay": 1e-3}
    reference_class = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[name]
    torch.manual_seed(0)
    fused_model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    plain_model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    plain_model.load_state_dict(fused_model.state_dict())
    choice = TrainConfig(optimizer=Choice(name=name, args=args)).optimizer  # the schema binds the other defaults
    fused = make_optimizer(choice, fused_model.parameters(), torch.device("cpu"))
    plain = reference_class(plain_model.parameters(), **args, foreach=False)
    assert fused.defaults["fused"] is True
    x, y = torch.randn(32, 6), torch.randint(0, 3, (32,))
    for _ in range(5):
        for model, optimizer in ((fused_model, fused), (plain_model, plain)):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
    for a, b in zip(fused_model.parameters(), plain_model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_outputs(tmp_path):
    summary, rows = _run(tmp_path)
    run = tmp_path / "run"
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"loss", "accuracy"} <= set(summary["test"]) and {"loss", "accuracy"} <= set(summary["val"])
    assert 0.0 <= summary["test"]["accuracy"] <= 1.0
    assert {"epoch", "train_loss", "val_loss", "val_accuracy", "lr", "samples_per_s"} <= set(rows[0])


def test_regression_metrics(tmp_path):
    run = netc("train", str(ROOT / "specs" / "diabetes.net"), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["test"]["r2"] >= 0.4 and summary["test"]["mae"] > 0


def test_binary_breast_cancer(tmp_path):
    run = netc("train", str(ROOT / "specs" / "breast_cancer.net"), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["test"]["accuracy"] >= 0.95


def test_digits_demo_reaches_97_percent(tmp_path):
    run = netc("train", str(ROOT / "specs" / "digits_cnn.net"), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["test"]["accuracy"] >= 0.97


def test_mnist1d_generated_offline(tmp_path):
    spec = tmp_path / "m1d.net"
    spec.write_text(
        "model M1D\ninput x: float32[N, 1, 40]\ntask multiclass(classes=10)\nlayers:\n"
        "    conv1d(32, 5, padding=2) -> relu -> maxpool1d(2)\n    flatten -> linear(10)\n"
        "train:\n    data mnist1d(samples=1000)\n    epochs 3\n"
    )
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["test"]["accuracy"] > 0.2  # above chance after 3 short epochs


def _image_folder_spec(tmp_path) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, value in (("dark", 30), ("light", 220)):
        (tmp_path / "imgs" / label).mkdir(parents=True)
        for i in range(20):
            pixels = np.clip(rng.normal(value, 20, size=(12, 12, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "imgs" / label / f"{i}.png")
    spec = tmp_path / "img.net"
    spec.write_text(
        "model Img\ninput x: float32[N, 3, 12, 12]\ntask binary\nlayers:\n"
        "    conv2d(4, 3) -> relu -> adaptive_avgpool2d(1) -> flatten -> linear(1)\n"
        f'train:\n    data image_folder("{tmp_path / "imgs"}")\n    batch_size 8\n    epochs 15\n'
    )
    return spec


def test_image_folder(tmp_path):
    spec = _image_folder_spec(tmp_path)
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["test"]["accuracy"] >= 0.8


def test_streamed_image_folder_trains_like_in_memory(tmp_path):
    """--stream decodes images in DataLoader workers; the batch order and the result stay the same."""
    spec = _image_folder_spec(tmp_path)
    memory = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "memory"))
    streamed = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "streamed"), "--stream", "--workers", "2")
    assert memory.code == 0 and streamed.code == 0, streamed.err
    a = [json.loads(x) for x in (tmp_path / "memory" / "metrics.jsonl").read_text().splitlines()]
    b = [json.loads(x) for x in (tmp_path / "streamed" / "metrics.jsonl").read_text().splitlines()]
    assert [round(r["train_loss"], 4) for r in a] == [round(r["train_loss"], 4) for r in b]
    sa = json.loads((tmp_path / "memory" / "summary.json").read_text())
    sb = json.loads((tmp_path / "streamed" / "summary.json").read_text())
    assert sa["test"]["accuracy"] == sb["test"]["accuracy"]


def test_torch_compile(tmp_path):
    _summary, rows = _run(tmp_path, "", "--compile", "--epochs", "4", "--lr", "0.02")
    assert len(rows) == 4
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]


def test_tensorboard_event_files(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _run(tmp_path, "", "--epochs", "3")
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    assert {"train_loss", "val_loss", "val_accuracy", "lr"} <= set(events.Tags()["scalars"])
    assert [e.step for e in events.Scalars("train_loss")] == [1, 2, 3]
