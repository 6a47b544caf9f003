"""The vision layers and the norm/linear rules of issue #10 (defects 4, 5), each checked against real PyTorch."""

from __future__ import annotations

import warnings

import pytest
import torch
from netspec.compiler.pipeline import compile_text
from netspec.runtime.load import load_text
from torch import nn


def spec(input_decl: str, layers: str, task: str = "regression(outputs=3)") -> str:
    body = "\n".join(f"    {line}" for line in layers.strip().splitlines())
    return f"model M\ninput x: float32{input_decl}\ntask {task}\nlayers:\n{body}\n"


def errors(text: str) -> list:
    return [d for d in compile_text(text).diagnostics if d.is_error]


def built(text: str) -> nn.Module:
    loaded = load_text(text)
    return loaded.model_class()


# ---- defect 4: the feature count first, as PyTorch writes it -----------------------------


def test_batchnorm_feature_count_is_checked_not_taken_for_eps():
    (diag,) = errors(spec("[N, 36]", "batchnorm(2048) -> linear(3)"))
    assert diag.code == "E-shape" and "expects 2048 features" in diag.message and "has 36" in diag.message
    assert "batchnorm(36)" in diag.help
    model = built(spec("[N, 36]", "batchnorm(36) -> linear(3)"))
    assert isinstance(model.bn1, nn.BatchNorm1d) and model.bn1.num_features == 36 and model.bn1.eps == 1e-5


def test_eps_is_keyword_only():
    (diag,) = errors(spec("[N, 36]", "batchnorm(1e-3) -> linear(3)"))
    assert diag.code == "E-arg-type" and "integer" in diag.message
    model = built(spec("[N, 36]", "batchnorm(eps=1e-3) -> linear(3)"))
    assert model.bn1.eps == 1e-3


@pytest.mark.parametrize(
    ("layers", "size"),
    [("layernorm(2304)", 2304), ("layernorm([6, 2304])", (6, 2304)), ("layernorm(dims=2)", (6, 2304))],
)
def test_layernorm_takes_pytorchs_normalized_shape(layers, size):
    model = built(spec("[N, 6, 2304]", f"{layers} -> flatten -> linear(3)"))
    want = nn.LayerNorm(size)
    assert model.ln1.normalized_shape == want.normalized_shape
    assert sum(p.numel() for p in model.ln1.parameters()) == sum(p.numel() for p in want.parameters())


def test_layernorm_wrong_size_is_an_error_with_the_right_one():
    (diag,) = errors(spec("[N, 6, 24]", "layernorm(25) -> flatten -> linear(3)"))
    assert "layernorm(24)" in diag.help
    (diag,) = errors(spec("[N, 6, 24]", "layernorm([6, 24], dims=1) -> flatten -> linear(3)"))
    assert diag.code == "E-arg-type"


@pytest.mark.parametrize(
    ("layers", "torch_layer"),
    [
        ("groupnorm(4, 16)", nn.GroupNorm(4, 16)),
        ("groupnorm(2, eps=1e-3)", nn.GroupNorm(2, 16, eps=1e-3)),
        ("instancenorm(16, affine=true)", nn.InstanceNorm2d(16, affine=True)),
        ("instancenorm(track_running_stats=true)", nn.InstanceNorm2d(16, track_running_stats=True)),
        ("layernorm2d(16, eps=1e-6)", None),
        ("batchnorm(16, momentum=0.01)", nn.BatchNorm2d(16, momentum=0.01)),
        ("prelu(16)", nn.PReLU(16)),
        ("prelu", nn.PReLU()),
    ],
)
def test_norm_and_learned_activation_modules_equal_pytorchs(layers, torch_layer):
    torch.manual_seed(0)
    model = built(spec("[N, 16, 5, 5]", f"{layers} -> flatten -> linear(3)"))
    layer = next(m for m in model.children() if not isinstance(m, nn.Linear))
    x = torch.randn(2, 16, 5, 5)
    if torch_layer is None:  # torchvision's LayerNorm2d: nn.LayerNorm over C, channels-last
        from torchvision.models.convnext import LayerNorm2d

        torch_layer = LayerNorm2d(16, eps=1e-6)
    torch_layer.load_state_dict(layer.state_dict())  # same names, same shapes
    got = model(x)  # through the generated module's own forward
    want = model.fc1(torch.flatten(torch_layer(x), 1))
    assert torch.allclose(got, want, atol=1e-6)


def test_norm_errors():
    assert "does not divide 16" in errors(spec("[N, 16, 5, 5]", "groupnorm(3) -> flatten -> linear(3)"))[0].message
    (diag,) = errors(spec("[N, 16, 1, 1]", "instancenorm -> flatten -> linear(3)"))
    assert "more than one" in diag.message
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        nn.InstanceNorm2d(16)(torch.randn(2, 16, 1, 1))
    (diag,) = errors(spec("[N, 16, 5, 5]", "prelu(4) -> flatten -> linear(3)"))
    assert "prelu(16)" in diag.help


def test_instancenorm_note_about_pytorch_is_true():
    """The note says PyTorch would run a wrong num_features with a warning: it does."""
    (diag,) = errors(spec("[N, 16, 5, 5]", "instancenorm(8) -> flatten -> linear(3)"))
    assert diag.notes and diag.notes[0].startswith("PyTorch would run it with a warning")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.InstanceNorm2d(8)(torch.randn(2, 16, 5, 5))
    assert any("num_features" in str(w.message) for w in caught)
    (diag,) = errors(spec("[N, 16, 5, 5]", "instancenorm(8, affine=true) -> flatten -> linear(3)"))
    assert not diag.notes
    with pytest.raises(ValueError, match="num_features"):
        nn.InstanceNorm2d(8, affine=True)(torch.randn(2, 16, 5, 5))


# ---- defect 5: linear on any rank; "add flatten" only where a map reaches the head -------------


def test_linear_on_rank_4_acts_on_the_last_dim():
    text = spec("[N, 4, 7, 16]", "linear(32) -> relu -> linear(8)\nflatten -> linear(3)")
    model = built(text)
    x = torch.randn(2, 4, 7, 16)
    assert model(x).shape == (2, 3)
    assert compile_text(text).checked.types["fc2"].shape[1:] == (4, 7, 8)
    assert not compile_text(text).diagnostics


def test_conv_map_reaching_the_head_through_linear_says_add_flatten():
    text = spec("[N, 1, 28, 28]", "conv2d(8, 3) -> relu\nlinear(10)", task="multiclass(classes=10)")
    (diag,) = errors(text)
    assert diag.code == "E-flatten" and "add `flatten`" in diag.help
    assert diag.span.line == 6
    # PyTorch indeed runs it, acting on the width: the output is not [N, 10]
    assert nn.Linear(26, 10)(torch.randn(2, 8, 26, 26)).shape == (2, 8, 26, 10)


# ---- activations ------------------------------------------------------------------------------

ACTIVATIONS = [
    ("relu6", lambda x: nn.ReLU6()(x)),
    ("hardswish", lambda x: nn.Hardswish()(x)),
    ("hardsigmoid", lambda x: nn.Hardsigmoid()(x)),
    ("hardtanh(-2, 3)", lambda x: nn.Hardtanh(-2, 3)(x)),
    ("hardtanh", lambda x: nn.Hardtanh()(x)),
    ("gelu(approximate=tanh)", lambda x: nn.GELU(approximate="tanh")(x)),
    ("celu(alpha=0.5)", lambda x: nn.CELU(0.5)(x)),
    ("softsign", lambda x: nn.Softsign()(x)),
    ("logsigmoid", lambda x: nn.LogSigmoid()(x)),
    ("glu(dim=1)", lambda x: nn.GLU(dim=1)(x)),
]


@pytest.mark.parametrize(("layer", "reference"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_equals_pytorchs(layer, reference):
    torch.manual_seed(0)
    model = built(spec("[N, 6, 5]", f"{layer} -> flatten -> linear(3)"))
    x = 4 * torch.randn(2, 6, 5)
    assert torch.allclose(model(x), model.fc1(torch.flatten(reference(x), 1)), atol=1e-6)


def test_activation_errors():
    assert "odd" in errors(spec("[N, 5]", "glu -> linear(3)"))[0].message
    (diag,) = errors(spec("[N, 6]", "hardtanh(2, 1) -> linear(3)"))
    assert diag.code == "E-arg-type"
    with pytest.raises(ValueError, match="min_val cannot be greater"):
        torch.nn.functional.hardtanh(torch.randn(3), 2.0, 1.0)  # the generated call


# ---- resizing, channels, stochastic depth ----------------------------------------------------


def _load_by_order(dst: nn.Module, src: nn.Module) -> None:
    """Copy weights position by position (the names differ; the zoo's name mapping is tested elsewhere)."""
    pairs = list(zip(dst.state_dict(), src.state_dict().values(), strict=True))
    dst.load_state_dict({k: v for k, v in pairs})


def test_squeeze_excitation_with_hardsigmoid_is_a_block_equal_to_torchvisions():
    from torchvision.ops import SqueezeExcitation

    text = (
        "block se(c, squeeze):\n"
        "    s = in -> adaptive_avgpool2d(1) -> conv2d(squeeze, 1) -> relu -> conv2d(c, 1) -> hardsigmoid\n"
        "    out in * s\n" + spec("[N, 16, 7, 7]", "se(16, 8)\nflatten -> linear(3)")
    )
    model = built(text)
    reference = SqueezeExcitation(16, 8, scale_activation=nn.Hardsigmoid)
    block = next(m for m in model.children() if not isinstance(m, nn.Linear))
    _load_by_order(block, reference)
    x = torch.randn(2, 16, 7, 7)
    assert torch.allclose(block(x), reference(x), atol=1e-6)
    assert sum(p.numel() for p in block.parameters()) == sum(p.numel() for p in reference.parameters())


def test_channel_ops_equal_torchvisions_and_torchs():
    from torchvision.models.shufflenetv2 import channel_shuffle

    layers = (
        "a = chunk(2, 0)\nb = x -> chunk(2, 1) -> relu\nconcat(a, b) -> channel_shuffle(2) -> mean([2, 3]) -> linear(3)"
    )
    model = built(spec("[N, 8, 5, 5]", layers))
    x = torch.randn(2, 8, 5, 5)
    a, b = x.chunk(2, dim=1)
    want = model.fc1(channel_shuffle(torch.cat([a, b.relu()], dim=1), 2).mean([2, 3]))
    assert torch.allclose(model(x), want, atol=1e-6)


def test_upsample_and_pixel_shuffle_equal_pytorchs():
    import torch.nn.functional as F

    text = spec(
        "[N, 4, 6, 6]",
        "y = conv2d(8, 3, stride=2, padding=1) -> pixel_shuffle(2) -> upsample(scale=0.5, mode=bilinear)\n"
        "upsample_like(y, x, mode=bilinear, align_corners=true) -> pixel_unshuffle(2) -> flatten -> linear(3)",
    )
    model = built(text)
    x = torch.randn(2, 4, 6, 6)
    y = F.interpolate(F.pixel_shuffle(model.conv1(x), 2), scale_factor=0.5, mode="bilinear")
    y = F.interpolate(y, size=x.shape[2:], mode="bilinear", align_corners=True)
    want = model.fc1(torch.flatten(F.pixel_unshuffle(y, 2), 1))
    assert torch.allclose(model(x), want, atol=1e-6)
    checked = compile_text(text).checked
    assert checked.types[checked.graph.names["y"]].shape[1:] == (2, 3, 3)


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_drops_and_scales_like_torchvisions(mode):
    from torchvision.ops import StochasticDepth

    text = spec("[N, 64]", f"stochastic_depth(0.3, mode={mode}) -> linear(3)")
    source = load_text(text).code
    assert "import torchvision.ops" in source and f'torchvision.ops.StochasticDepth(0.3, "{mode}")' in source
    model = load_text(text).model_class()
    layer = next(m for m in model.children() if isinstance(m, StochasticDepth))
    assert (layer.p, layer.mode) == (0.3, mode)
    torch.manual_seed(0)
    x = torch.ones(4000 if mode == "row" else 1, 64)
    trials = [layer(x) for _ in range(1 if mode == "row" else 2000)]
    rows = torch.cat(trials)
    dropped = (rows == 0).all(dim=1).float().mean().item()
    assert abs(dropped - 0.3) < 0.03  # binomial sd ~0.01
    kept = rows[(rows != 0).any(dim=1)]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.7))
    layer.eval()
    assert torch.equal(layer(x), x)
    if mode == "batch":  # one draw for the whole batch
        out = layer.train()(torch.ones(50, 64))
        assert out.unique().numel() == 1


def test_upsample_errors():
    assert errors(spec("[N, 4, 6, 6]", "upsample(scale=2, size=3) -> flatten -> linear(3)"))[0].code == "E-arg-count"
    (diag,) = errors(spec("[N, 4, 6]", "upsample(scale=2, mode=bilinear) -> flatten -> linear(3)"))
    assert "mode=linear" in diag.help
    (diag,) = errors(spec("[N, 4, 6, 6]", "upsample(scale=2, align_corners=true) -> flatten -> linear(3)"))
    assert "align_corners" in diag.message
    (diag,) = errors(spec("[N, 4, H, W]", "upsample(scale=1.5) -> flatten -> linear(3)"))
    assert diag.code == "E-symbolic"
    (diag,) = errors(spec("[N, 6, 6, 6]", "pixel_shuffle(2) -> flatten -> linear(3)"))
    assert "multiple of 4" in diag.message


UNITS = """
block se(c, squeeze):
    s = in -> adaptive_avgpool2d(1) -> conv2d(squeeze, 1) -> relu -> conv2d(c, 1) -> hardsigmoid
    out in * s

block bneck(c_in, expanded, c_out, squeeze):
    y = in -> conv2d(expanded, 1, bias=false) -> batchnorm(eps=0.001, momentum=0.01) -> hardswish
          -> conv2d(expanded, 5, padding=2, groups=expanded, bias=false) -> batchnorm(eps=0.001, momentum=0.01) -> hardswish
          -> se(expanded, squeeze)
          -> conv2d(c_out, 1, bias=false) -> batchnorm(eps=0.001, momentum=0.01)
    out in + y

block branch(c):
    out in -> conv2d(c, 1, bias=false) -> batchnorm -> relu -> conv2d(c, 3, padding=1, groups=c, bias=false)
           -> batchnorm -> conv2d(c, 1, bias=false) -> batchnorm -> relu

block shuffle_unit(c):
    left = in -> chunk(2, 0)
    right = in -> chunk(2, 1) -> branch(c / 2)
    out concat(left, right) -> channel_shuffle(2)

model M
input x: float32[N, 40, 14, 14]
task regression(outputs=2)
layers:
    bneck(40, 240, 40, 64)
    shuffle_unit(40)
    mean([2, 3]) -> linear(2)
"""


def test_mobilenet_v3_bneck_and_shufflenet_v2_unit_equal_torchvisions():
    """hardswish, a hardsigmoid squeeze-excitation, chunk, concat and channel_shuffle: torchvision's own blocks."""
    from functools import partial

    from torchvision.models.mobilenetv3 import InvertedResidual, InvertedResidualConfig
    from torchvision.models.shufflenetv2 import InvertedResidual as ShuffleUnit

    model = load_text(UNITS).model_class()
    bneck, unit = list(model.children())[:2]
    norm = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
    references = [
        InvertedResidual(InvertedResidualConfig(40, 5, 240, 40, True, "HS", 1, 1, 1.0), norm),
        ShuffleUnit(40, 40, 1),
    ]
    for ours, theirs in zip((bneck, unit), references, strict=True):
        _load_by_order(ours, theirs)
        assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    x = torch.randn(2, 40, 14, 14)
    for train in (False, True):
        for m in (model, *references):
            m.train(train)
        assert torch.allclose(unit(bneck(x)), references[1](references[0](x)), atol=1e-6)


def test_groupnorm_of_single_values_is_an_error_and_its_note_is_true():
    (diag,) = errors(spec("[N, 3]", "groupnorm(3) -> linear(3)"))
    assert "single value" in diag.message and diag.notes[0].startswith("PyTorch would return the bias")
    layer = nn.GroupNorm(3, 3)
    nn.init.normal_(layer.bias)
    assert torch.allclose(layer(torch.randn(4, 3)), layer.bias.expand(4, 3), atol=1e-3)  # up to rounding
    with pytest.raises(ValueError, match="more than 1 value"):
        layer(torch.randn(1, 3))


@pytest.mark.parametrize(
    ("layer", "torch_call"),
    [
        ("chunk(2, 0, dim=0)", lambda x: torch.chunk(x, 2, dim=0)[0]),
        ("narrow(0, 1, dim=0)", lambda x: x.narrow(0, 0, 1)),
        ("mean([0, 1])", lambda x: x.mean(dim=(0, 1))),
        ("glu(dim=0)", lambda x: torch.nn.functional.glu(x, dim=0)),
    ],
)
def test_batch_dim_arguments_are_errors_and_the_note_is_true(layer, torch_call):
    (diag,) = errors(spec("[N, 6]", f"{layer} -> linear(3)"))
    assert diag.code == "E-arg-type" and diag.notes and diag.notes[0].startswith("PyTorch would")
    out = torch_call(torch.randn(4, 6))  # PyTorch runs it, and the batch of 4 is gone
    assert out.dim() == 0 or out.shape[0] != 4


def test_avgpool3d_needs_the_input_at_least_the_kernel_as_pytorch_checks():
    (diag,) = errors(spec("[N, 2, 3, 5, 5]", "avgpool3d(4, stride=2, padding=2) -> flatten -> linear(3)"))
    assert "depth (3) to be at least the kernel (4)" in diag.message
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        nn.AvgPool3d(4, 2, 2)(torch.randn(1, 2, 3, 5, 5))
    assert nn.AvgPool2d(4, 2, 2)(torch.randn(1, 2, 3, 5)).shape == (1, 2, 2, 3)  # the 2-D pool has no such check
    assert not errors(spec("[N, 2, 3, 5]", "avgpool2d(4, stride=2, padding=2) -> flatten -> linear(3)"))
