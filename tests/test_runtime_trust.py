"""No silent wrong answers at run time: the data contract, metrics, pre-flight checks, resume, trusted checkpoints."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch
from netspec.runtime.checkpoint import read_checkpoint, save_atomic
from netspec.runtime.errors import RuntimeProblem
from sklearn import metrics as skm

from tests.conftest import netc

COLUMNS = ["f0", "f1", "f2", "f3"]
BINARY = """model Table
input x: float32[N, 4]
task binary
layers:
    linear(16) -> relu -> linear(1)
train:
    data csv("train.csv", target="label")
    epochs 3
    batch_size 16
"""
TOKENS = """model Tokens
input t: int64[N, 6]
task multiclass(classes=3)
layers:
    embedding(vocab=20, dim=4) -> flatten -> linear(3)
train:
    data npz("tokens.npz")
    epochs 1
    batch_size 16
"""
REGRESSION = """model Reg
input x: float32[N, 3]
task regression(outputs=2)
layers:
    linear(8) -> relu -> linear(2)
train:
    data npz("reg.npz")
    epochs 2
    batch_size 16
"""


def _table(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32) * np.array([1, 5, 0.1, 2], dtype=np.float32)
    return x, ((x[:, 1] / 5 - x[:, 2] * 10) > 0).astype(np.int64)


def _write_csv(path: Path, header: list[str], columns: list[np.ndarray]) -> None:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in zip(*columns, strict=True)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("table")
    x, y = _table()
    _write_csv(folder / "train.csv", [*COLUMNS, "label"], [*x.T, y])
    (folder / "m.net").write_text(BINARY)
    run = netc("train", str(folder / "m.net"), "--quiet", "--out", str(folder / "run"))
    assert run.code == 0, run.err
    return folder


def _predict(folder: Path, csv: Path) -> list[dict]:
    run = netc(
        "predict", str(folder / "m.net"), "--checkpoint", str(folder / "run/checkpoints/best.pt"), "--input", str(csv)
    )
    assert run.code == 0, run.err
    return [json.loads(line) for line in run.out.splitlines()]


def test_predict_matches_csv_columns_by_name(table_run):
    x, y = _table(n=12, seed=5)
    _write_csv(table_run / "plain.csv", COLUMNS, list(x.T))
    order = [2, 0, 3, 1]  # other order, and the target column still there
    _write_csv(table_run / "shuffled.csv", ["f2", "f0", "label", "f3", "f1"], [x[:, 2], x[:, 0], y, x[:, 3], x[:, 1]])
    plain, shuffled = _predict(table_run, table_run / "plain.csv"), _predict(table_run, table_run / "shuffled.csv")
    assert plain == shuffled
    _write_csv(table_run / "by_position.csv", COLUMNS, [x[:, i] for i in order])  # right names on wrong columns
    assert _predict(table_run, table_run / "by_position.csv") != plain


def test_a_missing_or_renamed_column_is_an_error_naming_it(table_run):
    x, _ = _table(n=5, seed=6)
    _write_csv(table_run / "renamed.csv", ["f0", "f1", "f2", "feature3"], list(x.T))
    run = netc(
        "predict",
        str(table_run / "m.net"),
        "--checkpoint",
        str(table_run / "run/checkpoints/best.pt"),
        "--input",
        str(table_run / "renamed.csv"),
    )
    assert run.code == 1
    assert "has no column 'f3', which the model was trained on" in run.err
    assert "'feature3'" in run.err and "Traceback" not in run.err


def test_the_checkpoint_carries_the_data_contract(table_run):
    state = read_checkpoint(table_run / "run/checkpoints/best.pt")
    contract = state["data"]
    assert contract["features"] == COLUMNS and contract["target"] == "label"
    assert contract["source"] == {"name": "csv", "args": {"path": str(table_run / "train.csv"), "target": "label"}}
    assert contract["inputs"] == {"x": "float32"}
    assert set(state["normalizer"]) == {"x_mean", "x_std"}


def test_classification_metrics_come_from_scikit_learn(table_run):
    summary = json.loads((table_run / "run" / "summary.json").read_text())
    test = summary["test"]
    assert {"accuracy", "precision", "recall", "f1", "roc_auc", "confusion_matrix"} <= set(test)
    matrix = np.array(test["confusion_matrix"])
    assert matrix.shape == (2, 2)
    # accuracy, precision and recall are what scikit-learn computes from that confusion matrix
    (tn, fp), (fn, tp) = matrix
    assert test["accuracy"] == pytest.approx((tp + tn) / matrix.sum())
    assert test["precision"] == pytest.approx(tp / (tp + fp) if tp + fp else 0.0)
    assert test["recall"] == pytest.approx(tp / (tp + fn) if tp + fn else 0.0)
    assert json.loads((table_run / "run" / "confusion.json").read_text())["matrix"] == test["confusion_matrix"]
    assert (table_run / "run" / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    history = [json.loads(line) for line in (table_run / "run" / "metrics.jsonl").read_text().splitlines()]
    assert {"val_f1", "val_precision", "val_recall", "val_roc_auc"} <= set(history[0])


def test_r2_has_scikit_learn_semantics_on_a_constant_column():
    from netspec.runtime.metrics import MetricSums

    rng = np.random.default_rng(0)
    true = np.stack([rng.normal(size=50), np.full(50, 3.0)], axis=1).astype(np.float32)
    pred = true + rng.normal(scale=0.1, size=true.shape).astype(np.float32)
    sums = MetricSums("regression")
    sums.add(torch.tensor(0.0), torch.from_numpy(pred), torch.from_numpy(true), None)
    r2 = sums.as_dict()["r2"]
    assert r2 == pytest.approx(skm.r2_score(true, pred))
    assert -1.0 < r2 < 1.0  # the hand-written version reported about -1.6e10 here


def test_eval_defaults_to_the_data_the_checkpoint_was_trained_on(table_run, tmp_path):
    x, y = _table(n=160, seed=11)
    _write_csv(tmp_path / "other.csv", [*COLUMNS, "label"], [*x.T, y])
    spec = tmp_path / "m.net"
    spec.write_text(BINARY)  # this spec's data, train.csv, does not exist here
    run = netc(
        "train",
        str(spec),
        "--data",
        str(tmp_path / "other.csv"),
        "--target",
        "label",
        "--quiet",
        "--out",
        str(tmp_path / "run"),
    )
    assert run.code == 0, run.err
    run = netc("eval", str(spec), "--checkpoint", str(tmp_path / "run/checkpoints/best.pt"))
    assert run.code == 0, run.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert json.loads(run.out)["test"]["accuracy"] == pytest.approx(summary["test"]["accuracy"])


def test_token_ids_beyond_vocab_are_caught_before_training(tmp_path):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20, size=(80, 6))
    ids[7, 3] = 20
    np.savez(tmp_path / "tokens.npz", x=ids, y=rng.integers(0, 3, size=80))
    spec = tmp_path / "t.net"
    spec.write_text(TOKENS)
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 1
    assert "holds token id 20 (sample 7, position [3]), but its embedding has vocab=20" in run.err
    assert "set vocab=21" in run.err and "Traceback" not in run.err
    ids[7, 3] = 1
    np.savez(tmp_path / "tokens.npz", x=ids, y=rng.integers(0, 3, size=80))
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run")).code == 0
    bad = ids[:4].copy()
    bad[2, 0] = -1
    np.savez(tmp_path / "new.npz", t=bad)
    run = netc(
        "predict",
        str(spec),
        "--checkpoint",
        str(tmp_path / "run/checkpoints/last.pt"),
        "--input",
        str(tmp_path / "new.npz"),
    )
    assert run.code == 1 and "holds token id -1" in run.err and "negative ids" in run.err


def _regression_data(folder: Path, scale: float = 1.0) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 3)).astype(np.float32)
    y = np.stack([x.sum(1), x[:, 0] * 2], axis=1) * scale
    np.savez(folder / "reg.npz", x=x, y=y)


def test_extreme_regression_targets_are_refused(tmp_path):
    _regression_data(tmp_path, scale=1e30)
    spec = tmp_path / "r.net"
    spec.write_text(REGRESSION)
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 1
    assert "a regression target reaches" in run.err and "beyond what float32 training survives" in run.err


def test_empty_npz_and_foreign_files_leak_nothing(tmp_path):
    (tmp_path / "empty.npz").write_bytes(b"")
    spec = tmp_path / "r.net"
    spec.write_text(REGRESSION)
    run = netc("train", str(spec), "--data", str(tmp_path / "empty.npz"), "--quiet")
    assert run.code == 1 and "is empty (0 bytes)" in run.err
    secret = "s3cret:x:0:0:s3cret:/home/s3cret:/bin/bash\nhidden:x:1:1:hidden:/usr/sbin:/usr/sbin/nologin\n"
    (tmp_path / "system.csv").write_text(secret)
    run = netc("train", str(spec), "--data", str(tmp_path / "system.csv"), "--target", "y", "--quiet")
    assert run.code == 1 and "has no column 'y'" in run.err
    assert "s3cret" not in run.err and "hidden" not in run.err
    (tmp_path / "cells.csv").write_text("a,b,y\n1,2,3\n4,a-very-long-secret-value-that-goes-on-and-on,6\n")
    run = netc("train", str(spec), "--data", str(tmp_path / "cells.csv"), "--target", "y", "--quiet")
    assert run.code == 1 and "column 'b' holds 'a-very-long-secret-va...'" in run.err
    assert "goes-on-and-on" not in run.err


def _resume_spec(tmp_path: Path, schedule: str) -> Path:
    _regression_data(tmp_path)
    spec = tmp_path / "r.net"
    spec.write_text(REGRESSION.replace("epochs 2", f"epochs 2\n    schedule {schedule}"))
    return spec


def test_extending_a_cosine_run_is_refused_with_the_reason(tmp_path):
    spec = _resume_spec(tmp_path, "cosine")
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run")).code == 0
    run = netc("train", str(spec), "--quiet", "--resume", str(tmp_path / "run/checkpoints/last.pt"), "--epochs", "4")
    assert run.code == 2
    assert "cosine schedule spans its" in run.err and "would raise the learning rate again" in run.err
    assert "resume with --epochs 2" in run.err


def test_extending_a_run_continues_in_its_own_folder(tmp_path):
    spec = _resume_spec(tmp_path, "none")
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run")).code == 0
    run = netc("train", str(spec), "--quiet", "--resume", str(tmp_path / "run/checkpoints/last.pt"), "--epochs", "4")
    assert run.code == 0, run.err
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3, 4]
    assert not (tmp_path / "runs").exists()
    # resumed into another folder: the source run's best.pt comes along, the summary is written
    run = netc(
        "train",
        str(spec),
        "--quiet",
        "--resume",
        str(tmp_path / "run/checkpoints/last.pt"),
        "--epochs",
        "4",
        "--out",
        str(tmp_path / "elsewhere"),
    )
    assert run.code == 0, run.err
    assert (tmp_path / "elsewhere" / "checkpoints" / "best.pt").is_file()
    assert "best epoch" in run.out


def test_run_files_honour_the_umask(tmp_path):
    spec = _resume_spec(tmp_path, "none")
    old = os.umask(0o002)
    try:
        assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run")).code == 0
    finally:
        os.umask(old)
    for name in ("checkpoints/last.pt", "checkpoints/best.pt", "summary.json", "curves.png", "metrics.jsonl"):
        assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == 0o664, name


@pytest.fixture(scope="module")
def reg_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reg")
    spec = _resume_spec(folder, "none")
    assert netc("train", str(spec), "--quiet", "--out", str(folder / "run")).code == 0
    return spec, folder / "run" / "checkpoints" / "last.pt"


def test_a_flipped_byte_is_refused(reg_run, tmp_path):
    spec, last = reg_run
    data = bytearray(last.read_bytes())
    for offset in range(4):
        data[len(data) // 2 + offset] ^= 0xFF
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(bytes(data))
    run = netc("eval", str(spec), "--checkpoint", str(damaged))
    assert run.code == 1
    assert "is damaged: its content does not match the checksum" in run.err


def test_misfit_tensors_and_missing_resume_state_are_named(reg_run, tmp_path):
    spec, last = reg_run
    state = read_checkpoint(last)
    name = next(iter(state["model"]))
    state["model"][name] = torch.zeros(3, 3)
    save_atomic(state, tmp_path / "misfit.pt")
    run = netc("eval", str(spec), "--checkpoint", str(tmp_path / "misfit.pt"))
    assert run.code == 1 and "does not fit this model" in run.err and f"wrong shapes: {name} [3, 3]" in run.err
    state = read_checkpoint(last)
    del state["optimizer"]
    save_atomic(state, tmp_path / "no_optimizer.pt")
    run = netc(
        "train", str(spec), "--quiet", "--resume", str(tmp_path / "no_optimizer.pt"), "--out", str(tmp_path / "r")
    )
    assert run.code == 1 and "lacks optimizer, which resuming needs" in run.err and "Traceback" not in run.err


def test_a_full_disk_is_a_message_and_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "last.pt"
    save_atomic({"model": {}, "spec_hash": "x"}, target)
    before = target.read_bytes()

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(RuntimeProblem, match=r"cannot write .*last.pt: No space left on device") as info:
        save_atomic({"model": {"w": torch.zeros(1000)}, "spec_hash": "x"}, target)
    assert "free space" in info.value.help
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]


def test_predict_output_files_share_one_schema(table_run):
    import csv

    x, _ = _table(n=6, seed=8)
    _write_csv(table_run / "few.csv", COLUMNS, list(x.T))
    printed = _predict(table_run, table_run / "few.csv")
    assert [r["row"] for r in printed] == list(range(6)) and set(printed[0]) == {"row", "labels", "probabilities"}
    base = ["predict", str(table_run / "m.net"), "--checkpoint", str(table_run / "run/checkpoints/best.pt")]
    assert netc(*base, "--input", str(table_run / "few.csv"), "--output", str(table_run / "p.jsonl")).code == 0
    lines = (table_run / "p.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == printed
    assert netc(*base, "--input", str(table_run / "few.csv"), "--output", str(table_run / "p.csv")).code == 0
    with (table_run / "p.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["row", "labels_0", "probabilities_0"]
    assert [float(r["probabilities_0"]) for r in table] == [r["probabilities"][0] for r in printed]
    run = netc(*base, "--input", str(table_run / "few.csv"), "--output", str(table_run / "p.txt"))
    assert run.code == 2 and "--output must end in .jsonl or .csv" in run.err


def test_predict_names_the_classes_of_a_data_set(tmp_path):
    spec = tmp_path / "iris.net"
    spec.write_text(
        "model Iris\ninput x: float32[N, 4]\ntask multiclass(classes=3)\nlayers:\n    linear(3)\n"
        "train:\n    data iris\n    epochs 2\n    batch_size 16\n"
    )
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run")).code == 0
    from sklearn.datasets import load_iris

    np.savez(tmp_path / "x.npz", x=load_iris().data[:3].astype(np.float32))
    run = netc(
        "predict",
        str(spec),
        "--checkpoint",
        str(tmp_path / "run/checkpoints/best.pt"),
        "--input",
        str(tmp_path / "x.npz"),
    )
    assert run.code == 0, run.err
    assert {json.loads(line)["label"] for line in run.out.splitlines()} <= {"setosa", "versicolor", "virginica"}
