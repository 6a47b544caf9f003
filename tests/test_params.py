"""`param` declarations: learnable tensors of a block or model, counted, named as declared, equal to torchvision's."""

from __future__ import annotations

import pytest
import torch
from netspec.compiler.fmt import format_program
from netspec.compiler.pipeline import compile_text, parse
from netspec.compiler.source import SourceFile
from netspec.runtime.load import load_text
from torch import nn

CNBLOCK = """
block cnblock(c):
    param layer_scale: [c, 1, 1] = 1e-6
    y = in -> conv2d(c, 7, padding=3, groups=c) -> permute(0, 2, 3, 1) -> layernorm(c, eps=1e-6)
           -> linear(4 * c) -> gelu -> linear(c) -> permute(0, 3, 1, 2) -> stochastic_depth(0.0)
    out in + layer_scale * y

model ConvNeXtStage
input x: float32[N, 16, 14, 14]
task regression(outputs=3)
layers:
    cnblock(16) * 2
    mean([2, 3]) -> linear(3)
"""


def _spec(layers: str, decl: str = "[N, 8, 6, 6]") -> str:
    body = "\n".join(f"    {line}" for line in layers.strip().splitlines())
    return f"model M\ninput x: float32{decl}\ntask regression(outputs=2)\nlayers:\n{body}\n"


def _errors(text: str) -> list:
    return [d for d in compile_text(text).diagnostics if d.is_error]


def test_convnext_block_with_layer_scale_equals_torchvisions():
    from torchvision.models.convnext import CNBlock

    loaded = load_text(CNBLOCK)
    model = loaded.model_class()
    stage = model.cnblock_x2
    assert "self.layer_scale = nn.Parameter(torch.ones(16, 1, 1) * 1e-06)" in loaded.code  # torchvision's form
    references = [CNBlock(16, 1e-6, 0.0, norm_layer=lambda d: nn.LayerNorm(d, eps=1e-6)) for _ in range(2)]
    for ours, theirs in zip(stage, references, strict=True):
        assert [k for k in ours.state_dict() if "." not in k] == ["layer_scale"]
        assert ours.state_dict()["layer_scale"].shape == theirs.state_dict()["layer_scale"].shape
        values = list(theirs.state_dict().values())
        ours.load_state_dict(dict(zip(ours.state_dict(), values, strict=True)))
    checked = compile_text(CNBLOCK).checked
    head = sum(p.numel() for p in model.fc1.parameters())
    assert checked.total_params - head == sum(p.numel() for r in references for p in r.parameters())
    assert checked.total_params == sum(p.numel() for p in model.parameters())
    x = torch.randn(2, 16, 14, 14)
    for mode in ("eval", "train"):
        getattr(model, mode)()
        want = model.fc1(references[1](references[0](x)).mean([2, 3]))
        assert torch.allclose(model(x), want, atol=1e-5)


@pytest.mark.parametrize(
    ("init", "check"),
    [
        ("1e-6", lambda t: torch.all(t == torch.tensor(1e-6))),
        ("0.5", lambda t: torch.all(t == 0.5)),
        ("zeros", lambda t: torch.all(t == 0)),
        ("ones", lambda t: torch.all(t == 1)),
        ("normal(std=0.02)", lambda t: abs(t.std().item() - 0.02) < 0.002 and abs(t.mean().item()) < 0.002),
        ("normal(3, 0.5)", lambda t: abs(t.mean().item() - 3) < 0.02 and abs(t.std().item() - 0.5) < 0.05),
        # a normal cut at 2 std: std about 0.88 of the uncut one, nothing beyond the cut
        ("trunc_normal(std=0.02)", lambda t: t.abs().max() <= 0.04 and abs(t.std().item() - 0.0176) < 0.002),
        ("trunc_normal(1, 0.1)", lambda t: ((t - 1).abs().max() <= 0.2) and abs(t.mean().item() - 1) < 0.01),
    ],
)
def test_initializers(init, check):
    torch.manual_seed(0)
    model = load_text(
        _spec(
            f"param p: [4000] = {init}\nh = mean([2, 3]) -> linear(4000)\n(h * p) -> linear(2)",
        )
    ).model_class()
    assert isinstance(model.p, nn.Parameter) and model.p.shape == (4000,) and check(model.p.detach())


def test_params_are_counted_and_trained():
    text = _spec("param token: [1, 8] = zeros\nh = mean([2, 3])\n(h + token) -> linear(2)")
    checked = compile_text(text).checked
    model = load_text(text).model_class()
    assert checked.total_params == 8 + 8 * 2 + 2 == sum(p.numel() for p in model.parameters())
    model(torch.randn(3, 8, 6, 6)).sum().backward()
    assert model.token.grad is not None and model.token.grad.abs().sum() > 0


def test_fmt_keeps_a_param_declaration():
    text = _spec("param  g : [8,1,1]=normal( std = 0.02 )\ny = conv2d(8, 1)\n(x + g*y) -> mean([2,3]) -> linear(2)")
    formatted = _fmt(text)
    assert "    param g: [8, 1, 1] = normal(std=0.02)\n" in formatted
    assert _fmt(formatted) == formatted


def _fmt(text: str) -> str:
    source = SourceFile("m.net", text)
    program, diags = parse(source)
    assert program is not None, diags
    return format_program(program, source)


@pytest.mark.parametrize(
    ("layers", "code", "words"),
    [
        ("param g: [8, 1, 1] = foo\n(x * g) -> mean([2, 3]) -> linear(2)", "E-arg-type", "unknown initializer"),
        ("param g: [8, 1, 1] = uniform(0, 1)\n(x * g) -> mean([2, 3]) -> linear(2)", "E-arg-type", "uniform"),
        ("param g: [8, 1, 1] = normal(sd=1)\n(x * g) -> mean([2, 3]) -> linear(2)", "E-unknown-arg", "sd"),
        ("param g: [8, 1, 1] = normal(std=-1)\n(x * g) -> mean([2, 3]) -> linear(2)", "E-arg-type", "positive std"),
        ("param g: [8, 0, 1] = 1\n(x * g) -> mean([2, 3]) -> linear(2)", "E-arg-type", "positive"),
        ("param g: [8, 1, 1] = 1\nparam g: [8] = 1\n(x * g) -> mean([2, 3]) -> linear(2)", "E-duplicate", "already"),
        ("param conv2d: [8] = 1\nmean([2, 3]) -> linear(2)", "E-duplicate", "layer"),
        ("param g: [7, 1, 1] = 1\n(x * g) -> mean([2, 3]) -> linear(2)", "E-shape", "broadcastable"),
        ("param g: [8, 1, 1] = 1\nconv2d(8, 1) -> g -> mean([2, 3]) -> linear(2)", "E-structure", "value"),
        ("mean([2, 3]) -> param -> linear(2)", "E-unknown-layer", "param"),
    ],
)
def test_param_errors(layers, code, words):
    errors = _errors(_spec(layers))
    assert errors and errors[0].code == code and words in errors[0].message + errors[0].help, errors


def test_a_param_that_would_move_the_batch_is_an_error_and_its_note_is_true():
    (diag,) = _errors(_spec("param g: [1, 1, 8] = 1\nh = mean([2, 3])\n(h * g) -> flatten -> linear(2)"))
    assert "move the batch dim N" in diag.message and diag.notes[0].startswith("PyTorch would broadcast it")
    assert (torch.randn(5, 8) * torch.ones(1, 1, 8)).shape == (1, 5, 8)  # what PyTorch would do instead


def test_unused_param_is_warned():
    diags = compile_text(_spec("param g: [8] = 1\nmean([2, 3]) -> linear(2)")).diagnostics
    assert [d.code for d in diags] == ["W-unused"]


def test_a_block_used_at_two_sizes_sizes_its_param_by_the_block_parameter():
    text = (
        "block scaled(c):\n    param gamma: [c, 1, 1] = 0.1\n    y = in -> conv2d(c, 1)\n    out in + gamma * y\n"
        + _spec("scaled(8) -> conv2d(16, 1) -> scaled(16)\nmean([2, 3]) -> linear(2)")
    )
    loaded = load_text(text)
    assert "self.gamma = nn.Parameter(torch.ones(c, 1, 1) * 0.1)" in loaded.code
    model = loaded.model_class()
    assert model.scaled1.gamma.shape == (8, 1, 1) and model.scaled2.gamma.shape == (16, 1, 1)
    assert compile_text(text).checked.total_params == sum(p.numel() for p in model.parameters())


def test_class_token_and_position_embedding_as_vit_writes_them():
    text = (
        "model Tokens\ninput x: float32[N, 196, 32]\ntask regression(outputs=2)\nlayers:\n"
        "    param class_token: [1, 1, 32] = zeros\n"
        "    param pos_embedding: [1, 197, 32] = normal(std=0.02)\n"
        "    h = concat(expand_batch(class_token, x), x)\n"
        "    (h + pos_embedding) -> layernorm(32) -> mean([1]) -> linear(2)\n"
    )
    loaded = load_text(text)
    model = loaded.model_class()
    assert "self.class_token.expand(x.shape[0], *self.class_token.shape[1:])" in loaded.code
    x = torch.randn(3, 196, 32)
    torch.manual_seed(0)
    tokens = torch.cat([model.class_token.expand(3, -1, -1), x], dim=1) + model.pos_embedding  # torchvision's ViT
    want = model.fc1(model.ln1(tokens).mean(1))
    assert torch.allclose(model(x), want, atol=1e-6)
    model(x).sum().backward()
    assert model.class_token.grad.shape == (1, 1, 32) and model.pos_embedding.grad.abs().sum() > 0
    assert compile_text(text).checked.total_params == sum(p.numel() for p in model.parameters())
    (diag,) = _errors(text.replace("[1, 1, 32] = zeros", "[2, 1, 32] = zeros"))
    assert "leading 1" in diag.help


@pytest.mark.parametrize(
    ("line", "column", "hint"),
    [
        ("param g = 1", 13, "param NAME: [sizes] = INIT"),
        ("param g: 8 = 1", 14, "param NAME: [sizes] = INIT"),
        ("param = conv2d(8, 1)", 11, "name a value something else"),
    ],
)
def test_a_malformed_declaration_says_how_to_write_one(line, column, hint):
    (diag,) = compile_text(_spec(f"{line}\nmean([2, 3]) -> linear(2)")).diagnostics
    assert (diag.code, diag.span.column) == ("E-syntax", column) and hint in diag.help
