"""The classic mistakes of hand-written PyTorch: each rejected (or warned) with the right message,
and the fixed spec accepted."""

from __future__ import annotations

import pytest
from netspec.compiler.pipeline import compile_text

from tests.conftest import CASES

MISTAKES = [
    # (case file, code, words in the message, (broken text, fixed text))
    ("shape_wrong_in_features", "E-shape", "its input has 1600", ("linear(1500 -> 128)", "linear(128)")),
    ("flatten_missing", "E-flatten", "add `flatten`", ("    linear(10)", "    flatten -> linear(10)")),
    ("logits_softmax", "E-logits", "already applies softmax", ("linear(10) -> softmax", "linear(10)")),
    ("logits_sigmoid_binary", "E-logits", "already applies a sigmoid", ("linear(1) -> sigmoid", "linear(1)")),
    ("task_output_mismatch", "E-task-output", "needs the output [N, 10]", ("linear(5)", "linear(10)")),
    (
        "shape_shrinks_to_zero",
        "E-shape",
        "shrinks height to 0",
        ("-> conv2d(32, 3) -> maxpool2d(2)", "-> conv2d(32, 3, padding=1)"),
    ),
    (
        "shape_residual_mismatch",
        "E-shape",
        "broadcastable",
        ("    out in + y", "    s = in -> conv2d(c, 1, stride=2)\n    out s + y"),
    ),
    (
        "dtype_tokens_to_linear",
        "E-dtype",
        "embedding",
        ("    linear(64) -> relu", "    embedding(vocab=1000, dim=16) -> flatten -> linear(64) -> relu"),
    ),
    ("symbolic_linear", "E-symbolic", "H, W", ("    flatten\n", "    adaptive_avgpool2d(1) -> flatten\n")),
    ("warn_linear_linear", "W-linear-linear", "no activation", ("    linear(64)\n", "    linear(64) -> relu\n")),
    (
        "warn_dropout_last",
        "W-dropout-last",
        "last layer",
        ("-> linear(2) -> dropout(0.5)", "-> dropout(0.5) -> linear(2)"),
    ),
]


@pytest.mark.parametrize(("case", "code", "words", "fix"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_mistake_rejected_then_fix_accepted(case, code, words, fix):
    text = (CASES / f"{case}.net").read_text()
    broken = compile_text(text)
    assert any(d.code == code and words in d.message + d.help for d in broken.diagnostics), broken.diagnostics
    old, new = fix
    assert old in text
    fixed = compile_text(text.replace(old, new))
    assert fixed.ok and not fixed.diagnostics, [d.message for d in fixed.diagnostics]


def test_evaluation_runs_in_eval_mode_without_gradients():
    """Forgetting model.eval() / torch.no_grad() cannot happen: the runtime's evaluation does both."""
    import torch
    from netspec.runtime.load import load_text
    from netspec.runtime.splits import Normalizer, Split
    from netspec.runtime.train import RunConfig, evaluate_split

    loaded = load_text(
        "model D\ninput x: float32[N, 8]\ntask multiclass(classes=3)\nlayers:\n"
        "    linear(16) -> batchnorm -> relu -> dropout(0.9)\n    linear(3)\n"
    )
    model = loaded.model_class()
    model.train()
    split = Split(torch.randn(64, 8), torch.randint(0, 3, (64,)))
    seen = []
    model.register_forward_hook(lambda m, i, o: seen.append((m.training, torch.is_grad_enabled())))
    running_mean = model.bn1.running_mean.clone()
    args = (model, loaded.make_loss(), split, "multiclass", Normalizer(), RunConfig(), torch.device("cpu"))
    first, second = evaluate_split(*args), evaluate_split(*args)
    assert first == second  # dropout off: deterministic
    assert seen and all(mode == (False, False) for mode in seen)
    assert torch.equal(model.bn1.running_mean, running_mean)  # batchnorm statistics untouched
