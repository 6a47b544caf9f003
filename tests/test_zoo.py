"""specs/zoo: each spec is exactly torchvision's model, proven against torchvision (the oracle), weights included."""

from __future__ import annotations

import pytest
import torch
import torchvision
from netspec.compiler import compile_file
from netspec.runtime.checkpoint import read_checkpoint
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.foreign_weights import derive_mapping, init_from
from netspec.runtime.load import load
from torch import nn

from tests.conftest import ROOT, netc
from tests.zoo_oracle import ZOO, ZOO_DIR, Zoo, compare, max_rel_diff


def zoo_params(entries: list[Zoo]) -> list:
    return [pytest.param(z, id=z.stem, marks=[pytest.mark.slow] if z.slow else []) for z in entries]


def sized_params(entries: list[Zoo]) -> list:
    """Every model on a small image (the quick set), and on the spec's own input size (the slow set)."""
    quick = [
        pytest.param(z, z.small, id=f"{z.stem}-small", marks=[pytest.mark.slow] if z.slow else []) for z in entries
    ]
    return quick + [pytest.param(z, None, id=f"{z.stem}-spec-size", marks=[pytest.mark.slow]) for z in entries]


def test_every_zoo_spec_is_listed():
    assert sorted(p.stem for p in ZOO_DIR.glob("*.net")) == sorted(z.stem for z in ZOO)


@pytest.mark.parametrize("entry", zoo_params(ZOO))
def test_spec_checks_clean_and_counts_torchvision_parameters(entry):
    result = compile_file(entry.spec)
    assert result.checked is not None and not result.diagnostics, result.diagnostics
    tv = entry.torchvision()
    assert result.checked.total_params == sum(p.numel() for p in tv.parameters())


@pytest.mark.parametrize(("entry", "side"), sized_params(ZOO))
def test_torchvision_weights_load_and_outputs_equal(entry, side, tmp_path):
    result = compare(entry, side, tmp_path / "torchvision.pt")
    assert result.params == result.torchvision_params
    assert result.tensors_loaded == result.state_tensors  # every tensor, loaded with strict=True
    assert result.eval_diff <= 1e-5
    assert result.train_diff <= 1e-5  # batch statistics, dropout and stochastic depth at p = 0
    assert result.grad_diff <= 1e-5
    assert result.state_diff <= 1e-5  # the running statistics moved the same way (batchnorm momentum)


# ---- the derived mapping refuses what does not fit, and says where ------------------------------------------------


def test_mapping_refuses_a_different_architecture_at_the_first_mismatch(tmp_path):
    tv = torchvision.models.resnet34(weights=None)
    ours = load(ZOO_DIR / "resnet18.net").model_class()
    weights = tmp_path / "resnet34.pt"
    torch.save(tv.state_dict(), weights)
    with pytest.raises(RuntimeProblem) as caught:
        init_from(ours, weights)
    assert caught.value.code == "E-weights"
    # resnet18's stage 2 starts where resnet34's stage 1 still has a block: the first pair that differs is named
    assert "`down1.conv1.weight` [128, 64, 3, 3]" in caught.value.message
    assert "`layer1.2.conv1.weight` [64, 64, 3, 3]" in caught.value.message


def test_mapping_refuses_a_missing_head_and_a_swapped_role():
    ours = load(ZOO_DIR / "alexnet.net").model_class().state_dict()
    theirs = torchvision.models.alexnet(weights=None).state_dict()
    shorter = dict(list(theirs.items())[:-2])
    with pytest.raises(RuntimeProblem, match=r"the model has 16 tensors, the file 14 \(the model has more, from `fc3"):
        derive_mapping(ours, shorter)
    items = list(theirs.items())
    swapped = dict([*items[:1], (items[1][0], items[0][1]), *items[2:]])  # a bias's place holds a weight
    with pytest.raises(RuntimeProblem, match=r"tensor 2 of the model is `conv1.bias` \[64\]"):
        derive_mapping(ours, swapped)
    # shapes and roles pair up one by one, but layer `y` would take its tensors from two layers of the file
    four, square = torch.zeros(4), torch.zeros(4, 4)
    with pytest.raises(
        RuntimeProblem, match=r"`y.bias` would come from `a.bias`, but `x.weight` comes from `a.weight`"
    ):
        derive_mapping(
            {"x.weight": square, "y.bias": four, "y.weight": four},
            {"a.weight": square, "a.bias": four, "b.weight": four},
        )
    renamed = {f"backbone.{k}": v for k, v in theirs.items()}  # any names, the same tensors in the same order
    assert list(derive_mapping(ours, renamed).values()) == list(renamed)


# ---- netc train --init-from: fine-tuning from a foreign state_dict ------------------------------------------------


def digits_cnn_elsewhere() -> nn.Module:
    """specs/digits_cnn.net as someone else wrote it: torchvision-style names, different from netc's."""
    torch.manual_seed(7)
    features = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1)
    )
    features.append(nn.BatchNorm2d(64))
    return nn.Sequential(features, nn.Sequential(nn.Linear(1024, 128), nn.ReLU(), nn.Linear(128, 10)))


def test_train_init_from_starts_from_the_file(tmp_path):
    pretrained = digits_cnn_elsewhere()
    weights = tmp_path / "pretrained.pt"
    torch.save(pretrained.state_dict(), weights)
    out = tmp_path / "run"
    run = netc(
        "train", str(ROOT / "specs" / "digits_cnn.net"), "--init-from", str(weights), "--out", str(out),
        "--steps", "1", "--optimizer", "sgd", "--lr", "1e-12", "--precision", "fp32",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert f"initialized 18 tensors from {weights}" in run.err
    trained = read_checkpoint(out / "checkpoints" / "last.pt")["model"]
    expected = pretrained.state_dict()
    for (name, value), original in zip(trained.items(), expected.values(), strict=True):
        if name.endswith("num_batches_tracked"):
            assert value == original + 1
        elif not name.endswith(("running_mean", "running_var")):  # one train step moves the running statistics
            assert torch.allclose(value, original, atol=1e-9), name


def test_train_init_from_problems_are_diagnostics(tmp_path):
    spec = str(ROOT / "specs" / "digits_cnn.net")
    wrong = tmp_path / "wrong.pt"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), wrong)
    run = netc("train", spec, "--init-from", str(wrong), "--out", str(tmp_path / "a"), "--steps", "1")
    assert run.code == 1 and "error[E-weights]: the weights do not fit this model: tensor 1 of the model" in run.err
    assert "Traceback" not in run.err
    whole = tmp_path / "whole_model.pt"
    torch.save(digits_cnn_elsewhere(), whole)  # a pickled module, not a state_dict: never unpickled
    run = netc("train", spec, "--init-from", str(whole), "--out", str(tmp_path / "b"), "--steps", "1")
    assert run.code == 1 and f"error[E-weights]: cannot read weights from {whole}" in run.err
    run = netc("train", spec, "--init-from", str(tmp_path / "missing.pt"), "--out", str(tmp_path / "c"))
    assert run.code == 2 and "error[E-usage]: no such weights file" in run.err
    run = netc("train", spec, "--init-from", str(wrong), "--resume", str(wrong))
    assert run.code == 2 and "not allowed with argument" in run.err


def test_init_from_accepts_a_netc_checkpoint(tmp_path):
    """A run of one spec seeds another with the same layers in the same order (e.g. a renamed copy)."""
    out = tmp_path / "first"
    spec = str(ROOT / "specs" / "digits_cnn.net")
    assert netc("train", spec, "--out", str(out), "--steps", "1", "--quiet").code == 0
    first = read_checkpoint(out / "checkpoints" / "last.pt")["model"]
    model = load(ROOT / "specs" / "digits_cnn.net").model_class()
    assert init_from(model, out / "checkpoints" / "last.pt") == len(first)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), first.values(), strict=True))


def test_the_comparison_sees_one_wrong_statistic(tmp_path):
    """Equal outputs are not an accident of the input: one running variance off by 1% shows."""
    entry = next(z for z in ZOO if z.stem == "resnet18")
    tv = torchvision.models.resnet18(weights=None).eval()
    ours = load(entry.spec).model_class().eval()
    torch.save(tv.state_dict(), tmp_path / "w.pt")
    init_from(ours, tmp_path / "w.pt")
    ours.basic5.bn2.running_var.mul_(1.01)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert max_rel_diff(ours(x), tv(x)) > 1e-5
