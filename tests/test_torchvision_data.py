"""The real torchvision loaders, on small files written here in the real formats (no download)."""

from __future__ import annotations

import pickle
import struct

import numpy as np
import pytest
from netspec.runtime.data import load_data

from tests.conftest import ROOT, netc

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def write_idx_images(path, images: np.ndarray) -> None:
    n, h, w = images.shape
    path.write_bytes(struct.pack(">IIII", 0x00000803, n, h, w) + images.astype(np.uint8).tobytes())


def write_idx_labels(path, labels: np.ndarray) -> None:
    path.write_bytes(struct.pack(">II", 0x00000801, len(labels)) + labels.astype(np.uint8).tobytes())


def make_mnist(root, folder: str, n_train: int = 120, n_test: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = rng.integers(0, 10, size=n)
        # a learnable signal: a bright square whose position encodes the class
        images = rng.integers(0, 40, size=(n, 28, 28))
        for i, label in enumerate(labels):
            r, c = divmod(int(label), 5)
            images[i, 4 + 10 * r : 12 + 10 * r, 2 + 5 * c : 6 + 5 * c] = 250
        write_idx_images(raw / MNIST_FILES[split][0], images)
        write_idx_labels(raw / MNIST_FILES[split][1], labels)
        out[split] = (images, labels)
    return out


def make_cifar10(root, n_per_batch: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n_per_batch).tolist()
        with open(folder / name, "wb") as handle:
            pickle.dump({"batch_label": name, "data": data, "labels": labels, "filenames": []}, handle)
        batches[name] = (data, labels)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({"label_names": names, "num_cases_per_batch": n_per_batch, "num_vis": 3072}, handle)
    return batches


@pytest.mark.parametrize(("name", "folder"), [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_idx_files(tmp_path, name, folder):
    written = make_mnist(tmp_path, folder)
    data = load_data(name, {"root": str(tmp_path), "download": False})
    assert data.x.shape == (120, 1, 28, 28) and data.x_test.shape == (40, 1, 28, 28)
    assert data.x.dtype == np.float32 and data.x.min() >= 0.0 and data.x.max() <= 1.0
    np.testing.assert_array_equal(data.y, written["train"][1])
    np.testing.assert_allclose(data.x[3, 0], written["train"][0][3] / 255.0, rtol=1e-6)


def test_cifar10_batches(tmp_path):
    batches = make_cifar10(tmp_path)
    with pytest.warns(UserWarning, match="differ from the official release"):
        data = load_data("cifar10", {"root": str(tmp_path), "download": False})
    assert data.x.shape == (100, 3, 32, 32) and data.x_test.shape == (20, 3, 32, 32)
    first = batches["data_batch_1"][0][0].reshape(3, 32, 32) / 255.0
    np.testing.assert_allclose(data.x[0], first, rtol=1e-6)
    assert list(data.y[:20]) == batches["data_batch_1"][1]


def test_missing_dataset_is_a_diagnostic(tmp_path):
    spec = tmp_path / "m.net"
    spec.write_text(
        "model M\ninput x: float32[N, 1, 28, 28]\ntask multiclass(classes=10)\nlayers:\n    flatten -> linear(10)\n"
        f'train:\n    data mnist(root="{tmp_path / "nowhere"}")\n'
    )
    run = netc("train", str(spec), "--quiet")
    assert run.code == 1
    assert "MNIST not found under" in run.err and "download=true" in run.err


def test_train_on_mnist_files(tmp_path):
    import json

    make_mnist(tmp_path, "MNIST", n_train=600, n_test=200)
    spec = tmp_path / "cnn.net"
    text = (ROOT / "specs" / "notes_cnn.net").read_text().replace('mnist(root="data")', f'mnist(root="{tmp_path}")')
    spec.write_text(text.replace("epochs 5", "epochs 4"))
    run = netc("train", str(spec), "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (
        summary["test"]["accuracy"] > 0.9
    )  # the class is a bright square's position: easy, but only if loading is right
