"""One schema for training settings: spec -> METADATA -> runtime, flags and `--set` bound by the same schema."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from netspec.compiler import compile_text
from netspec.compiler.train_config import OPTIMIZERS, Choice, TrainConfig
from pydantic import ValidationError

from tests.conftest import ROOT, netc

SPEC = """model Small
input x: float32[N, 4]
task multiclass(classes=3)
layers:
    linear(8) -> relu -> linear(3)
train:
    data iris
    optimizer sgd(lr=0.05, momentum=0.9)
    steps 40
"""


def _config(*argv: str, spec: str = SPEC, tmp_path=None) -> dict:
    path = tmp_path / "m.net"
    path.write_text(spec)
    run = netc("train", str(path), "--print-config", *argv)
    assert run.code == 0, run.err
    return json.loads(run.out)


def test_metadata_records_only_what_the_spec_wrote():
    from netspec import load

    loaded = load(ROOT / "specs" / "resnet18.net")
    assert loaded.metadata["train"] == {}  # no `data: digits` for a 224x224 model
    compiled = compile_text(SPEC)
    meta_train = load(ROOT / "specs" / "digits_cnn.net").metadata["train"]
    assert set(meta_train) == set(TrainConfig.model_validate(meta_train).model_fields_set)
    written = compiled.train.written()
    assert set(written) == {"data", "optimizer", "steps"}
    back = TrainConfig.model_validate(written)
    assert back == TrainConfig.model_validate(compiled.train.model_dump())
    assert back.model_fields_set == {"data", "optimizer", "steps"}
    # the argument the spec left out comes from the schema's one default
    assert back.optimizer.args == {"lr": 0.05, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0}


def test_defaults_are_the_schema_defaults():
    config = TrainConfig()
    assert config.data is None
    assert config.optimizer.args == {a.name: a.default for a in OPTIMIZERS["adam"]}
    # a caller's config is bound like a spec's: missing arguments filled, unknown ones refused
    assert TrainConfig(optimizer=Choice(name="sgd", args={"lr": 0.3})).optimizer.args["momentum"] == 0.0
    with pytest.raises(ValidationError, match="no argument 'betas'"):
        TrainConfig(optimizer=Choice(name="adam", args={"betas": [0.9, 0.99]}))
    with pytest.raises(ValidationError, match="unknown optimizer 'lion'"):
        TrainConfig.model_validate({"optimizer": {"name": "lion", "args": {}}})


def test_train_without_data_says_so_with_a_fix():
    run = netc("train", str(ROOT / "specs" / "resnet18.net"), "--epochs", "1")
    assert run.code == 2
    assert "the spec names no data to train on" in run.err
    assert "--data" in run.err and "data NAME" in run.err


def test_set_binds_every_setting_through_the_schema(tmp_path):
    out = _config(
        "--set",
        "optimizer=adamw",
        "--set",
        "schedule step(size=2)",
        "--set",
        "early_stopping=val_accuracy(patience=3)",
        "--set",
        "clip=1.5",
        "--set",
        "epochs=3",
        tmp_path=tmp_path,
    )
    t = out["train"]
    assert t["optimizer"] == {"name": "adamw", "args": {"lr": 1e-3, "weight_decay": 0.01}}  # adamw's own defaults
    assert t["schedule"] == {"name": "step", "args": {"size": 2, "gamma": 0.1}}
    assert t["early_stopping"] == {"name": "val_accuracy", "args": {"patience": 3}}
    assert t["clip"] == 1.5
    assert t["epochs"] == 3 and t["steps"] is None  # epochs replaces the spec's steps
    assert "seed" not in out["written"] and "clip" in out["written"]


def test_lr_flag_keeps_the_other_optimizer_arguments(tmp_path):
    t = _config("--lr", "0.2", tmp_path=tmp_path)["train"]
    assert t["optimizer"] == {
        "name": "sgd",
        "args": {"lr": 0.2, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
    }
    t = _config("--optimizer", "adam", "--lr", "0.2", tmp_path=tmp_path)["train"]
    assert t["optimizer"] == {"name": "adam", "args": {"lr": 0.2, "weight_decay": 0.0}}


def test_bad_overrides_are_diagnostics_with_a_location(tmp_path):
    spec = tmp_path / "m.net"
    spec.write_text(SPEC)
    run = netc("train", str(spec), "--set", "seed=(")
    assert run.code == 2 and "error[E-syntax]" in run.err and "--> --set:2:11" in run.err
    run = netc("train", str(spec), "--set", "optimiser=sgd")
    assert run.code == 2
    assert "unknown training setting `optimiser`" in run.err and "did you mean `optimizer`?" in run.err
    assert "--> --set:2:5" in run.err
    run = netc("train", str(spec), "--set", "early_stopping=val_r2")
    assert run.code == 2 and "unknown early_stopping `val_r2`" in run.err  # not a metric of multiclass
    run = netc("train", str(spec), "--set", "batch_size=0")
    assert run.code == 2 and "`batch_size` must be at least 1, not 0" in run.err
    assert "Traceback" not in run.err


def test_data_paths_are_relative_to_the_spec(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    np.savez(folder / "d.npz", x=x, y=(x[:, 0] > 0).astype(np.int64))
    spec = folder / "m.net"
    spec.write_text(SPEC.replace("data iris", 'data npz("d.npz")').replace("steps 40", "steps 2\n    batch_size 16"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = netc("train", str(spec), "--print-config", cwd=elsewhere)
    assert json.loads(run.out)["train"]["data"]["args"]["path"] == str((folder / "d.npz").resolve())
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"), cwd=elsewhere)
    assert run.code == 0, run.err
    # a path typed on the command line is the shell's: relative to the current folder
    run = netc("train", str(spec), "--data", "d.npz", "--quiet", "--out", str(tmp_path / "run2"), cwd=elsewhere)
    assert run.code == 2 and "no such file" in run.err


def test_a_closed_pipe_ends_quietly(tmp_path):
    big = tmp_path / "big.net"  # its IR is far larger than a pipe's buffer, so the writer meets the closed end
    big.write_text(SPEC.split("layers:")[0] + "layers:\n" + "    linear(8) -> relu\n" * 2000 + "    linear(3)\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "netspec", "ir", "--json", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert err == ""


def test_early_stopping_on_macro_f1(tmp_path):
    out = _config("--set", "early_stopping=val_f1(patience=2)", tmp_path=tmp_path)
    assert out["train"]["early_stopping"] == {"name": "val_f1", "args": {"patience": 2}}
    spec = tmp_path / "m.net"
    run = netc(
        "train", str(spec), "--set", "early_stopping=val_f1(patience=2)", "--quiet", "--out", str(tmp_path / "run")
    )
    assert run.code == 0, run.err
    history = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    best = max(range(len(history)), key=lambda i: (history[i]["val_f1"], -i))  # higher is better, first wins
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["best_epoch"] == best + 1
