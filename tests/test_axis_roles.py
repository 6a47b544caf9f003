"""Axis-role warnings: what they say PyTorch does is what PyTorch does, and their permute fixes the layout."""

from __future__ import annotations

import pytest
import torch
from netspec.compiler import apply_edits, compile_text
from torch import nn

from tests.conftest import CASES

TEXT_CNN = (CASES / "axis_conv1d_on_embedding.net").read_text(encoding="utf-8")
CHANNELS_LAST = (CASES / "axis_channels_last_image.net").read_text(encoding="utf-8")


def _axis(text: str):
    return [d for d in compile_text(text).diagnostics if d.code == "W-axis"]


def test_conv1d_on_an_embedding_runs_in_pytorch_with_time_as_channels():
    result = compile_text(TEXT_CNN)
    assert result.ok and len(_axis(TEXT_CNN)) == 1
    conv = next(n for n in result.graph.nodes if n.op == "conv1d")
    embedded = nn.Embedding(5000, 64)(torch.randint(0, 5000, (2, 100)))
    # what netc infers (and PyTorch silently does): the 100 time steps are the channels
    assert result.checked.types[conv.id].shape[1:] == tuple(nn.Conv1d(100, 128, 5)(embedded).shape[1:])
    with pytest.raises(RuntimeError):
        nn.Conv1d(64, 128, 5)(embedded)  # convolving over time needs [N, F, T]
    assert nn.Conv1d(64, 128, 5)(embedded.permute(0, 2, 1)).shape == (2, 128, 96)


def test_the_permute_fix_makes_conv1d_read_the_features_as_channels():
    (diag,) = _axis(TEXT_CNN)
    fixed = apply_edits(TEXT_CNN, diag.fixes[0].edits)
    result = compile_text(fixed)
    assert result.ok and not _axis(fixed)
    conv = next(n for n in result.graph.nodes if n.op == "conv1d")
    assert result.checked.types[conv.id].shape[1:] == (128, 96)


def test_channels_last_image_warning_and_fix():
    (diag,) = _axis(CHANNELS_LAST)
    assert diag.span.line == 2  # the declaration is blamed
    x = torch.zeros(2, 28, 28, 1)
    # PyTorch runs conv2d with 28 "channels" and keeps width 1, which the 2x2 pool then shrinks to 0
    assert nn.Conv2d(28, 16, 3, padding=1)(x).shape == (2, 16, 28, 1)
    with pytest.raises(RuntimeError):
        nn.MaxPool2d(2)(nn.Conv2d(28, 16, 3, padding=1)(x))
    fixed = apply_edits(CHANNELS_LAST, diag.fixes[0].edits)
    assert compile_text(fixed).ok and not _axis(fixed)


def test_no_axis_warning_on_the_shipped_specs():
    from tests.conftest import SPECS

    for path in SPECS:
        assert not _axis(path.read_text(encoding="utf-8")), path.name


def test_a_symbolic_length_sequence_into_conv1d_is_permuted():
    text = (CASES / "symbolic_sequence_to_conv1d.net").read_text(encoding="utf-8")
    (diag,) = [d for d in compile_text(text).diagnostics if d.is_error]
    assert diag.span.line == 2 and diag.fixes[0].applicable
    fixed = apply_edits(text, diag.fixes[0].edits)
    result = compile_text(fixed)
    assert result.ok
    conv = next(n for n in result.graph.nodes if n.op == "conv1d")
    frames = torch.zeros(2, 50, 40)  # [N, T, F] with T = 50
    expected = nn.Conv1d(40, 64, 3, padding=1)(frames.permute(0, 2, 1)).shape
    got = result.checked.types[conv.id].shape
    assert got[1] == expected[1] and str(got[2]) == "T"
    with pytest.raises(RuntimeError):
        nn.Conv1d(40, 64, 3, padding=1)(frames)  # without the permute PyTorch reads the 50 frames as channels
