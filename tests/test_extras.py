"""Heavy dependencies that only some paths need are extras: without them those paths say what to install."""

from __future__ import annotations

import importlib.util
import tomllib

import pytest

from tests.conftest import ROOT


def test_the_core_install_leaves_out_the_heavy_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"])
    extras = project["optional-dependencies"]
    for name, package in (("vision", "torchvision"), ("plots", "matplotlib"), ("tensorboard", "tensorboard")):
        assert package not in core
        assert any(req.startswith(package) for req in extras[name])
    pulled = next(r for r in extras["test"] if r.startswith("netspec["))  # `make test` and `make demo` get them all
    assert {"vision", "plots", "tensorboard"} <= set(pulled[len("netspec[") : -1].split(","))


def _missing(monkeypatch, package: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == package else real(name, *a))


def test_torchvision_data_without_torchvision_says_what_to_install(monkeypatch, tmp_path):
    from netspec.runtime.data import load_data
    from netspec.runtime.errors import RuntimeProblem

    _missing(monkeypatch, "torchvision")
    with pytest.raises(RuntimeProblem, match="needs torchvision") as info:
        load_data("mnist", {"root": str(tmp_path), "download": False})
    assert info.value.help == "pip install 'netspec[vision]'"


def test_a_run_without_matplotlib_has_no_pictures_and_no_error(monkeypatch, tmp_path):
    from netspec.runtime.report import plot_confusion, plot_curves

    _missing(monkeypatch, "matplotlib")
    plot_curves([{"epoch": 1, "train_loss": 1.0}], tmp_path / "curves.png")
    plot_confusion([[1, 0], [0, 1]], ["a", "b"], tmp_path / "confusion.png")
    assert list(tmp_path.iterdir()) == []
