"""`netspec.fit` on data held in Python: numpy arrays, a DataLoader, dict batches, and a model with two inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

import netspec
from tests.conftest import netc

MLP = """model Mlp
input x: float32[N, 6]
task multiclass(classes=3)
layers:
    linear(32) -> relu -> linear(3)
train:
    epochs 8
    batch_size 16
    optimizer adam(lr=0.01)
"""
TWO_TOWERS = """model TwoTowers
input a: float32[N, 8]
input b: float32[N, 4]
task binary
layers:
    ha = a -> linear(16) -> relu
    hb = b -> linear(16) -> relu
    concat(ha, hb, dim=1) -> linear(1)
train:
    epochs 10
    batch_size 16
    optimizer adam(lr=0.01)
"""


def _blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centers = rng.normal(scale=3.0, size=(3, 6))
    return (centers[y] + rng.normal(size=(n, 6))).astype(np.float32), y


def _towers(n: int = 300, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(n, 8)).astype(np.float32), rng.normal(size=(n, 4)).astype(np.float32)
    y = ((a[:, 0] + b[:, 0]) > 0).astype(np.float32)  # needs both inputs
    return {"a": a, "b": b}, y


@pytest.fixture
def mlp(tmp_path):
    path = tmp_path / "mlp.net"
    path.write_text(MLP)
    return path


def test_fit_numpy_arrays(mlp, tmp_path):
    x, y = _blobs()
    result = netspec.fit(mlp, (x, y), out=tmp_path / "run", epochs=6)
    assert isinstance(result, netspec.FitResult)
    assert result.summary["epochs"] == 6
    assert result.summary["test"]["accuracy"] > 0.9
    assert isinstance(result.model, torch.nn.Module)
    assert (result.run_dir / "checkpoints" / "best.pt").is_file()
    # predict standardizes raw inputs as training did: the model is as good on them as the summary says
    accuracy = float((result.predict(x).argmax(1).numpy() == y).mean())
    assert accuracy > 0.9
    with torch.inference_mode():
        by_hand = result.model.eval()(result.normalizer.inputs(torch.from_numpy(x)))
    assert torch.equal(result.predict(x), by_hand)


def test_fit_with_a_val_set_and_a_dataloader(mlp, tmp_path):
    x, y = _blobs()
    loader = DataLoader(TensorDataset(torch.from_numpy(x[:240]), torch.from_numpy(y[:240])), batch_size=50)
    result = netspec.fit(
        mlp, loader, val=(x[240:], y[240:]), out=tmp_path / "run", optimizer="sgd(lr=0.05, momentum=0.9)"
    )
    assert result.summary["val"]["accuracy"] > 0.9
    history = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert len(history) == 8 and "val_accuracy" in history[0]


def test_fit_settings_are_checked_by_the_schema(mlp, tmp_path):
    x, y = _blobs()
    with pytest.raises(netspec.runtime.errors.RuntimeProblem, match="`batch_size` must be at least 1"):
        netspec.fit(mlp, (x, y), out=tmp_path / "run", batch_size=0)


class _TowerSamples(Dataset):
    """Samples as dicts: what many user data sets look like."""

    def __init__(self, inputs: dict[str, np.ndarray], y: np.ndarray) -> None:
        self.inputs, self.y = inputs, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {
            "a": torch.from_numpy(self.inputs["a"][i]),
            "b": torch.from_numpy(self.inputs["b"][i]),
            "y": torch.tensor(self.y[i]),
        }


def test_fit_a_two_input_model_from_arrays_and_dict_batches(tmp_path):
    spec = tmp_path / "towers.net"
    spec.write_text(TWO_TOWERS)
    inputs, y = _towers()
    result = netspec.fit(spec, (inputs, y), out=tmp_path / "arrays")
    assert result.summary["test"]["accuracy"] > 0.85
    loader = DataLoader(_TowerSamples(inputs, y), batch_size=32)
    from_batches = netspec.fit(spec, loader, out=tmp_path / "batches")
    assert from_batches.summary["test"]["accuracy"] == pytest.approx(result.summary["test"]["accuracy"])
    # the model takes its inputs in the order of the spec: both towers matter
    logits = result.predict(inputs)
    assert logits.shape == (300, 1)
    assert float(((logits[:, 0] > 0).numpy() == y).mean()) > 0.85


def test_netc_trains_and_predicts_a_two_input_model_from_npz(tmp_path):
    inputs, y = _towers()
    np.savez(tmp_path / "towers.npz", a=inputs["a"], b=inputs["b"], y=y)
    spec = tmp_path / "towers.net"
    spec.write_text(TWO_TOWERS.replace("train:\n", 'train:\n    data npz("towers.npz")\n'))
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    np.savez(tmp_path / "new.npz", a=inputs["a"][:3], b=inputs["b"][:3])
    run = netc(
        "predict",
        str(spec),
        "--checkpoint",
        str(tmp_path / "run/checkpoints/best.pt"),
        "--input",
        str(tmp_path / "new.npz"),
    )
    assert run.code == 0, run.err
    assert len(run.out.splitlines()) == 3
    np.savez(tmp_path / "half.npz", a=inputs["a"], y=y)
    run = netc("train", str(spec), "--data", str(tmp_path / "half.npz"), "--quiet", "--out", str(tmp_path / "r2"))
    assert run.code == 1 and "has no array 'b'" in run.err and "np.savez(path, a=..., b=..., y=targets)" in run.err
