"""Pre-flight validation: every kind of bad data gets a plain message and exit code 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, netc

MULTICLASS = """model Tiny
input x: float32[N, 4]
task multiclass(classes=3)
layers:
    linear(8) -> relu -> linear(3)
train:
    batch_size 8
    epochs 1
"""
BINARY = MULTICLASS.replace("multiclass(classes=3)", "binary").replace("linear(3)", "linear(1)")
REGRESSION = MULTICLASS.replace("multiclass(classes=3)", "regression(outputs=1)").replace("linear(3)", "linear(1)")


def _write(tmp_path, spec: str, x, y, name="data.npz"):
    (tmp_path / "m.net").write_text(spec)
    np.savez(tmp_path / name, x=np.asarray(x), y=np.asarray(y))
    return str(tmp_path / "m.net"), str(tmp_path / name)


def _train(tmp_path, spec, x, y, *extra):
    spec_path, data = _write(tmp_path, spec, x, y)
    return netc("train", spec_path, "--data", data, "--out", str(tmp_path / "run"), "--quiet", *extra)


rng = np.random.default_rng(0)
X = rng.normal(size=(60, 4)).astype(np.float32)
Y = rng.integers(0, 3, size=60)


@pytest.mark.parametrize(
    ("spec", "x", "y", "message"),
    [
        (MULTICLASS, rng.normal(size=(60, 5)), Y, "input `x` dimension 1 is 4 in the spec but 5 in the data"),
        (MULTICLASS, rng.normal(size=(60, 2, 2)), Y, "2 dims per sample, not 1"),
        (MULTICLASS, X, np.eye(3)[Y], "the targets are one-hot vectors [N, 3], but CrossEntropyLoss takes class ids [N]"),
        (MULTICLASS, X, Y + 1, "class ids must lie in 0..2 for multiclass(classes=3), but they range over 1..3"),
        (MULTICLASS, X, Y + 0.5, "multiclass targets must be integer class ids, but they hold fractional values"),
        (BINARY, X, rng.integers(0, 3, size=60), "binary targets must be 0 or 1, but they include 0, 1, 2"),
        (REGRESSION, X, rng.normal(size=(60, 2)), "regression(outputs=1) needs targets of shape [N, 1], but they have shape [60, 2]"),
        (MULTICLASS, np.where(np.arange(240).reshape(60, 4) == 7, np.nan, X), Y, "the inputs contain 1 NaN/inf values (first: NaN in sample 1)"),
        (MULTICLASS, np.where(np.arange(240).reshape(60, 4) == 9, np.inf, X), Y, "(first: inf in sample 2)"),
        (MULTICLASS, np.zeros((0, 4)), np.zeros((0,)), "the data set is empty"),
        (MULTICLASS, X[:6], Y[:6], "fewer than one batch of 8"),
        (MULTICLASS, X, Y[:50], "60 input samples but 50 targets"),
        (MULTICLASS, X, np.array(["a"] * 60), "targets must be numbers"),
    ],
    ids=[
        "feature-count", "rank", "one-hot", "ids-out-of-range", "float-ids", "binary-not-01", "regression-shape",
        "nan", "inf", "empty", "less-than-a-batch", "length-mismatch", "string-targets",
    ],
)  # fmt: skip
def test_bad_data_is_explained(tmp_path, spec, x, y, message):
    run = _train(tmp_path, spec, x, y)
    assert run.code == 1, run.err
    assert message in run.err, run.err
    assert "Traceback" not in run.err
    assert "help:" in run.err or "note:" in run.err


def test_onehot_flag_converts(tmp_path):
    run = _train(tmp_path, MULTICLASS, X, np.eye(3)[Y], "--targets", "onehot")
    assert run.code == 0, run.err


def test_nan_loss_stops_with_the_step(tmp_path):
    spec = MULTICLASS.replace("    epochs 1\n", "    epochs 1\n    standardize false\n")
    run = _train(tmp_path, spec, X * 1e6, Y, "--lr", "1e30", "--optimizer", "sgd")
    assert run.code == 1
    assert "the loss became nan at step 2 (epoch 1)" in run.err
    assert "lower the learning rate" in run.err


@pytest.mark.parametrize("check_every", [1, 3, 50])
def test_deferred_divergence_checks_name_the_same_step(tmp_path, check_every):
    """On GPUs the loss is checked every few dozen steps (a check is a sync); the step reported is still exact."""
    from netspec.compiler.train_config import Choice, TrainConfig
    from netspec.runtime import load
    from netspec.runtime.data import load_data
    from netspec.runtime.errors import RuntimeProblem
    from netspec.runtime.prepare import prepare
    from netspec.runtime.train import RunConfig, Trainer

    spec_path, data = _write(tmp_path, MULTICLASS, X * 1e6, Y)
    loaded = load(spec_path)
    prepared = prepare(
        load_data("npz", {"path": data}),
        loaded.metadata,
        val_split=0.0,
        test_split=0.2,
        standardize=False,
        onehot=False,
    )
    settings = TrainConfig(optimizer=Choice(name="sgd", args={"lr": 1e30}), batch_size=8, epochs=3)
    cfg = RunConfig(train=settings, quiet=True, check_every=check_every)
    trainer = Trainer(loaded.model_class, loaded.make_loss, loaded.metadata, prepared, cfg, tmp_path / "run")
    with pytest.raises(RuntimeProblem, match=r"the loss became nan at step 2 \(epoch 1\)"):
        trainer.fit()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "missing.npz"], f"no such file: {Path('missing.npz').resolve()}"),  # the shell's folder
        (["--data", "nonsense"], "unknown data set `nonsense`"),
        (["--data", "file.csv"], "--data FILE.csv needs --target COLUMN"),
        (["--device", "cuda:7"], "CUDA is not available"),
        (["--device", "warp-drive"], "unknown device"),
        (["--epochs", "0"], "must be positive"),
        (["--batch-size", "1"], "batch size 1 is too small: a batch needs at least 2 samples"),
    ],
)
def test_bad_flags_exit_2(tmp_path, argv, message):
    spec = tmp_path / "m.net"
    spec.write_text(MULTICLASS.replace("    batch_size 8\n", "    data iris\n    batch_size 8\n"))
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"), *argv)
    assert run.code == 2, run.err
    assert message in run.err


def test_train_on_a_broken_spec_shows_diagnostics(tmp_path):
    run = netc("train", str(ROOT / "tests" / "cases" / "unknown_layer.net"))
    assert run.code == 1
    assert "error[E-unknown-layer]" in run.err and "did you mean `conv2d`?" in run.err


def test_csv_data_and_bad_cells(tmp_path):
    (tmp_path / "m.net").write_text(MULTICLASS)
    rows = ["a,b,c,d,label"] + [
        ",".join(f"{v:.3f}" for v in row) + f",{label}" for row, label in zip(X, Y, strict=True)
    ]
    (tmp_path / "ok.csv").write_text("\n".join(rows) + "\n")
    run = netc(
        "train",
        str(tmp_path / "m.net"),
        "--data",
        str(tmp_path / "ok.csv"),
        "--target",
        "label",
        "--quiet",
        "--out",
        str(tmp_path / "r"),
    )
    assert run.code == 0, run.err
    rows[5] = "1,2,oops,4,0"
    (tmp_path / "bad.csv").write_text("\n".join(rows) + "\n")
    run = netc("train", str(tmp_path / "m.net"), "--data", str(tmp_path / "bad.csv"), "--target", "label", "--quiet")
    assert run.code == 1 and "bad.csv:6: column 'c' holds 'oops', which is not a number" in run.err
    run = netc("train", str(tmp_path / "m.net"), "--data", str(tmp_path / "ok.csv"), "--target", "y", "--quiet")
    assert run.code == 1 and "has no column 'y'" in run.err


def test_npz_without_arrays(tmp_path):
    (tmp_path / "m.net").write_text(MULTICLASS)
    np.savez(tmp_path / "d.npz", inputs=X)
    run = netc("train", str(tmp_path / "m.net"), "--data", str(tmp_path / "d.npz"), "--quiet")
    assert run.code == 1 and "has no array 'x' or 'y'" in run.err


def test_eval_and_predict(tmp_path):
    spec = tmp_path / "m.net"
    spec.write_text(
        MULTICLASS.replace("    batch_size 8\n    epochs 1\n", "    data iris\n    batch_size 16\n    epochs 5\n")
    )
    assert netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run")).code == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    ckpt = str(tmp_path / "run" / "checkpoints" / "best.pt")
    run = netc("eval", str(spec), "--checkpoint", ckpt)
    assert run.code == 0, run.err
    assert json.loads(run.out)["test"]["accuracy"] == pytest.approx(summary["test"]["accuracy"])
    np.savez(tmp_path / "x.npz", x=X[:5])
    run = netc("predict", str(spec), "--checkpoint", ckpt, "--input", str(tmp_path / "x.npz"))
    assert run.code == 0, run.err
    rows = [json.loads(line) for line in run.out.splitlines()]
    assert len(rows) == 5 and all(0 <= r["class"] < 3 and abs(sum(r["probabilities"]) - 1) < 1e-4 for r in rows)
    other = tmp_path / "other.net"
    other.write_text(spec.read_text().replace("linear(8)", "linear(9)"))
    run = netc("eval", str(other), "--checkpoint", ckpt)
    assert run.code == 1 and "trained from a different model" in run.err
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    run = netc("eval", str(spec), "--checkpoint", str(tmp_path / "junk.pt"))
    assert run.code == 1 and "cannot read checkpoint" in run.err


def test_short_last_batches_are_dropped_only_when_a_process_would_get_fewer_than_two():
    import torch
    from netspec.runtime.splits import shuffled_batches

    def sizes(n, processes):
        return [len(b) for b in shuffled_batches(n, 8, torch.Generator().manual_seed(0), processes)]

    assert sizes(42, 1) == [8, 8, 8, 8, 8, 2]
    assert sizes(41, 1) == [8, 8, 8, 8, 8]
    assert sizes(42, 2) == [8, 8, 8, 8, 8]
    assert sizes(44, 2) == [8, 8, 8, 8, 8, 4]
    assert sizes(5, 4) == [5]  # a single batch is never dropped
    batches = shuffled_batches(42, 8, torch.Generator().manual_seed(0), 1)
    assert sorted(torch.cat(batches).tolist()) == list(range(42))  # every sample once
