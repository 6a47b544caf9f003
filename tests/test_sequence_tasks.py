"""Per-token and per-pixel multiclass: the task contract, the loss, target validation, metrics, text data, sampling."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from netspec.compiler.pipeline import compile_text
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.load import load_text
from netspec.runtime.metrics import MetricSums
from netspec.runtime.text import VOCAB, builtin_corpus, case_windows, text_windows
from netspec.runtime.validate import check_targets, shape_inputs
from sklearn.metrics import jaccard_score

from tests.conftest import ROOT, netc

TAGGER = """
model Tagger
input tokens: int64[N, T]
task multiclass(classes=12{extra})
layers:
    embedding(vocab=100, dim=16)
    lstm(32)
    linear(12)
"""

SEGMENTER = """
model Segmenter
input image: float32[N, 3, H, W]
task multiclass(classes=5)
layers:
    conv2d(8, 3, padding=1) -> relu
    conv2d(5, 1)
"""


def test_tagger_from_the_issue_is_a_per_token_task():
    result = compile_text(TAGGER.format(extra=""))
    assert result.checked is not None, [d.message for d in result.diagnostics]
    task = result.checked.task
    assert (task.layout, task.output_shape, task.target_shape) == ("token", ("N", "T", 12), ("N", "T"))


def test_segmentation_is_a_per_pixel_task():
    result = compile_text(SEGMENTER)
    assert result.checked is not None
    task = result.checked.task
    assert (task.layout, task.target_shape) == ("pixel", ("N", "H", "W"))


def test_generated_losses_equal_cross_entropy_with_the_class_dim_right():
    tagger = load_text(TAGGER.format(extra=", ignore_index=-1"))
    logits, target = torch.randn(2, 7, 12), torch.randint(0, 12, (2, 7))
    target[0, :3] = -1
    expected = torch.nn.functional.cross_entropy(logits.permute(0, 2, 1), target, ignore_index=-1)
    torch.testing.assert_close(tagger.make_loss()(logits, target), expected)
    segmenter = load_text(SEGMENTER)
    logits, target = torch.randn(2, 5, 4, 6), torch.randint(0, 5, (2, 4, 6))
    torch.testing.assert_close(segmenter.make_loss()(logits, target), torch.nn.functional.cross_entropy(logits, target))


def test_ignore_index_inside_the_classes_is_rejected():
    result = compile_text(TAGGER.format(extra=", ignore_index=0"))
    assert [d.code for d in result.diagnostics if d.is_error] == ["E-task"]


TOKEN_TASK = {
    "kind": "multiclass",
    "outputs": 12,
    "layout": "token",
    "ignore_index": -100,
    "target_shape": ["N", "T"],
}


def test_per_token_targets_are_validated():
    y = np.array([[1, 2, -100], [3, 11, -100]])
    assert check_targets(y, TOKEN_TASK, onehot=False).dtype == np.int64
    with pytest.raises(RuntimeProblem, match=r"0\.\.11 \(or be -100"):
        check_targets(np.array([[1, 12]]), TOKEN_TASK, onehot=False)
    with pytest.raises(RuntimeProblem, match=r"shape \[N, T\]"):
        check_targets(np.array([1, 2]), TOKEN_TASK, onehot=False)
    with pytest.raises(RuntimeProblem) as onehot:
        check_targets(np.zeros((2, 3, 12)), TOKEN_TASK, onehot=False)
    assert "argmax" in onehot.value.help


def test_token_accuracy_skips_ignored_targets_and_perplexity_is_exp_loss():
    sums = MetricSums("multiclass")
    logits = torch.randn(4, 9, 12)
    target = torch.randint(0, 12, (4, 9))
    target[:, -2:] = -100
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten())
    sums.add(loss, logits, target, None)
    metrics = sums.as_dict()
    real = target != -100
    assert metrics["accuracy"] == pytest.approx(float((logits.argmax(-1) == target)[real].float().mean()))
    assert metrics["perplexity"] == pytest.approx(math.exp(float(loss)), rel=1e-5)


def test_pixel_mean_iou_matches_scikit_learn():
    sums = MetricSums("multiclass")
    logits, target = torch.randn(3, 5, 6, 7), torch.randint(0, 4, (3, 6, 7))
    sums.add(torch.tensor(1.0), logits, target, None)
    pred = logits.argmax(1)
    expected = jaccard_score(target.flatten().numpy(), pred.flatten().numpy(), average="macro")
    assert sums.as_dict()["mean_iou"] == pytest.approx(expected)


def test_text_windows_are_next_byte_pairs_from_a_held_out_tail():
    corpus = builtin_corpus()
    assert len(corpus) > 400_000
    x, y, x_test, _ = text_windows("", 64)
    assert x.shape[1] == 64 and x.max() < VOCAB
    assert (x[:, 1:] == y[:, :-1]).all() and (x[1:, 0] == y[:-1, -1]).all()
    assert bytes(x[0].astype(np.uint8)) == corpus[:64]
    assert len(x) * 64 <= 0.9 * len(corpus) < len(corpus) - len(x_test) * 64 + 64
    lower, capital, _, _ = case_windows("", 32)
    assert set(np.unique(capital)) == {0, 1} and not ((lower >= ord("A")) & (lower <= ord("Z"))).any()


def test_train_then_sample_a_language_model(tmp_path):
    spec = ROOT / "specs" / "gpt_char.net"
    run = netc("train", str(spec), "--steps", "2", "--batch-size", "4", "--quiet", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    checkpoint = str(tmp_path / "run" / "checkpoints" / "last.pt")
    first = netc("sample", str(spec), "--checkpoint", checkpoint, "--prompt", "The ", "--tokens", "30", "--top-k", "5")
    again = netc("sample", str(spec), "--checkpoint", checkpoint, "--prompt", "The ", "--tokens", "30", "--top-k", "5")
    assert first.code == 0, first.err
    assert first.out == again.out and first.out.startswith("The ")
    greedy = netc("sample", str(spec), "--checkpoint", checkpoint, "--tokens", "5", "--temperature", "0")
    assert greedy.code == 0
    assert netc("sample", str(spec), "--checkpoint", checkpoint, "--temperature", "-1").code == 2


def test_sample_refuses_a_model_that_is_not_a_language_model(tmp_path):
    run = netc("sample", str(ROOT / "specs" / "digits_cnn.net"), "--checkpoint", str(tmp_path / "none.pt"))
    assert run.code == 2 and "needs a language model" in run.err


def test_a_sequence_longer_than_the_position_table_is_a_data_error():
    loaded = load_text((ROOT / "specs" / "gpt_char.net").read_text())
    (tokens,) = loaded.metadata["inputs"]
    assert tokens["max_sizes"] == {"T": {"max": 64, "layer": "position_embedding at line 15", "arg": "max_len"}}
    assert shape_inputs(np.zeros((2, 64), dtype=np.int64), tokens, reshapeable=False).shape == (2, 64)
    with pytest.raises(RuntimeProblem, match=r"is 65 in the data, but position_embedding at line 15 holds 64"):
        shape_inputs(np.zeros((2, 65), dtype=np.int64), tokens, reshapeable=False)


def test_predict_gives_one_class_per_token(tmp_path):
    spec = ROOT / "specs" / "tagger.net"
    assert netc("train", str(spec), "--steps", "1", "--quiet", "--out", str(tmp_path / "run")).code == 0
    np.savez(tmp_path / "x.npz", x=np.frombuffer(b"hello world", dtype=np.uint8)[None].astype(np.int64))
    run = netc(
        "predict",
        str(spec),
        "--checkpoint",
        str(tmp_path / "run/checkpoints/last.pt"),
        "--input",
        str(tmp_path / "x.npz"),
    )
    assert run.code == 0, run.err
    (row,) = [json.loads(line) for line in run.out.splitlines()]
    assert len(row["classes"]) == 11 and set(row["classes"]) <= {0, 1}
