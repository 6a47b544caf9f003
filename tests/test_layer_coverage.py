"""Every catalog layer is covered: accepted examples agree with PyTorch, the random oracle draws it, the docs list it.

A new layer fails `test_every_layer_is_covered` until it has an example here, a place in the random
oracle (tests/test_shapes_oracle.py FITS) and its section in docs/layers.md.
"""

from __future__ import annotations

import pytest
import torch
from netspec.compiler.catalog import CATALOG

from tests.conftest import ROOT
from tests.test_attention_oracle import DRAWN as ATTENTION_ORACLE
from tests.test_shapes_oracle import FITS, check_spec

IMAGE, SEQ, VOLUME, FLAT = "float32[N, 8, 12, 12]", "float32[N, 6, T]", "float32[N, 4, 6, 8, 8]", "float32[N, 16]"

# layer -> (input declaration, layers) that netc accepts; each must agree with PyTorch shape for shape
ACCEPTED: dict[str, list[tuple[str, str]]] = {
    "linear": [(FLAT, "linear(4)"), (IMAGE, "linear(12 -> 4, bias=false)")],
    "embedding": [("int64[N, T]", "embedding(vocab=2, dim=4, padding_idx=0)")],
    "conv1d": [(SEQ, "conv1d(4, 3, padding=same, dilation=2)")],
    "conv2d": [(IMAGE, "conv2d(16, [3, 5], stride=2, padding=1, groups=8, bias=false)")],
    "conv3d": [(VOLUME, "conv3d(2, 3, padding=1, dilation=[1, 2, 2])")],
    "conv_transpose1d": [(SEQ, "conv_transpose1d(3, 4, stride=2, output_padding=1)")],
    "conv_transpose2d": [(IMAGE, "conv_transpose2d(4, 3, stride=2, padding=1, dilation=2)")],
    "conv_transpose3d": [(VOLUME, "conv_transpose3d(2, [1, 3, 3], stride=[1, 2, 2], groups=2)")],
    "maxpool1d": [(SEQ, "maxpool1d(2, ceil_mode=true)")],
    "maxpool2d": [(IMAGE, "maxpool2d(3, stride=2, padding=1, dilation=2)")],
    "maxpool3d": [(VOLUME, "maxpool3d(2)"), (VOLUME, "maxpool3d([1, 3, 3], stride=[1, 2, 2], padding=[0, 1, 1])")],
    "avgpool1d": [(SEQ, "avgpool1d(3, stride=1, padding=1, count_include_pad=false)")],
    "avgpool2d": [(IMAGE, "avgpool2d(2, ceil_mode=true)")],
    "avgpool3d": [(VOLUME, "avgpool3d(2, stride=[2, 1, 1], ceil_mode=true)")],
    "adaptive_avgpool1d": [(SEQ, "adaptive_avgpool1d(3)")],
    "adaptive_avgpool2d": [(IMAGE, "adaptive_avgpool2d([1, 2])")],
    "adaptive_avgpool3d": [(VOLUME, "adaptive_avgpool3d(1)"), (VOLUME, "adaptive_avgpool3d([2, 3, 1])")],
    "adaptive_maxpool1d": [(SEQ, "adaptive_maxpool1d(2)")],
    "adaptive_maxpool2d": [(IMAGE, "adaptive_maxpool2d(5)")],
    "adaptive_maxpool3d": [(VOLUME, "adaptive_maxpool3d([1, 2, 2])")],
    "batchnorm": [(FLAT, "batchnorm(16)"), (IMAGE, "batchnorm(eps=1e-3, momentum=0.01)"), (VOLUME, "batchnorm(4)")],
    "layernorm": [
        (FLAT, "layernorm(16)"),
        (IMAGE, "layernorm([12, 12], bias=false)"),
        ("float32[N, 6, 5]", "layernorm(dims=2)"),
    ],
    "layernorm2d": [(IMAGE, "layernorm2d(8, eps=1e-6)"), (IMAGE, "layernorm2d(affine=false)")],
    "groupnorm": [(IMAGE, "groupnorm(4, 8)"), (FLAT, "groupnorm(2)"), (VOLUME, "groupnorm(1, affine=false)")],
    "instancenorm": [(SEQ, "instancenorm"), (IMAGE, "instancenorm(8, affine=true)"), (VOLUME, "instancenorm(4)")],
    "rnn": [("float32[N, T, 5]", "rnn(4, layers=2)")],
    "lstm": [("float32[N, T, 5]", "lstm(4, bidirectional=true) -> last")],
    "gru": [("float32[N, T, 5]", "gru(3)")],
    "last": [("float32[N, T, 5]", "lstm(4) -> last")],
    "relu": [(IMAGE, "relu")],
    "leaky_relu": [(IMAGE, "leaky_relu(0.2)")],
    "gelu": [(FLAT, "gelu"), (FLAT, "gelu(approximate=tanh)")],
    "silu": [(FLAT, "silu")],
    "elu": [(FLAT, "elu(alpha=0.5)")],
    "selu": [(FLAT, "selu")],
    "celu": [(FLAT, "celu(alpha=2.0)")],
    "relu6": [(IMAGE, "relu6")],
    "hardswish": [(IMAGE, "hardswish")],
    "hardsigmoid": [(IMAGE, "hardsigmoid")],
    "hardtanh": [(IMAGE, "hardtanh(0, 6)"), (FLAT, "hardtanh(min=-0.5)")],
    "softsign": [(FLAT, "softsign")],
    "logsigmoid": [(FLAT, "logsigmoid")],
    "softplus": [(FLAT, "softplus")],
    "mish": [(FLAT, "mish")],
    "tanh": [(FLAT, "tanh")],
    "sigmoid": [(FLAT, "sigmoid")],
    "softmax": [(IMAGE, "softmax(dim=1)")],
    "log_softmax": [(FLAT, "log_softmax")],
    "prelu": [(IMAGE, "prelu(8)"), (FLAT, "prelu(init=0.1)"), (SEQ, "prelu(6)")],
    "glu": [(FLAT, "glu"), (IMAGE, "glu(dim=1)")],
    "dropout": [(FLAT, "dropout(0.3)")],
    "dropout1d": [(SEQ, "dropout1d(0.3)")],
    "dropout2d": [(IMAGE, "dropout2d(0.3)")],
    "stochastic_depth": [(IMAGE, "stochastic_depth(0.2)"), (FLAT, "stochastic_depth(0.5, mode=batch)")],
    "flatten": [(IMAGE, "flatten"), (VOLUME, "flatten(2, 3)")],
    "reshape": [(IMAGE, "reshape(-1, 4)")],
    "permute": [(IMAGE, "permute(0, 2, 3, 1)")],
    "identity": [(FLAT, "identity")],
    "chunk": [
        (IMAGE, "chunk(2, 1)"),
        ("float32[N, 5, 3]", "chunk(4, 2)"),
        ("float32[N, 8, 11]", "chunk(5, 3, dim=-1)"),
    ],
    "narrow": [(IMAGE, "narrow(2, 5)"), ("float32[N, 6, T]", "narrow(0, 1, dim=-2)"), (IMAGE, "narrow(11, 1, dim=3)")],
    "channel_shuffle": [(IMAGE, "channel_shuffle(4)"), (VOLUME, "channel_shuffle(2)")],
    "mean": [(IMAGE, "mean([2, 3])"), (IMAGE, "mean([-2, -1], keepdim=true)"), (SEQ, "mean(1)")],
    "upsample": [
        (IMAGE, "upsample(scale=2)"),
        (IMAGE, "upsample(size=[7, 5], mode=bilinear, align_corners=true)"),
        (IMAGE, "upsample(scale=1.5, mode=bicubic)"),
        ("float32[N, 3, H, W]", 'upsample(scale=2, mode="nearest-exact")'),
        (SEQ, "upsample(size=9, mode=linear)"),
        (VOLUME, "upsample(scale=0.5, mode=trilinear)"),
        (IMAGE, "upsample(size=4, mode=area)"),
    ],
    "pixel_shuffle": [(IMAGE, "pixel_shuffle(2)"), ("float32[N, 9, H, W]", "pixel_shuffle(3)")],
    "pixel_unshuffle": [(IMAGE, "pixel_unshuffle(3)")],
    "add": [(IMAGE, "y = conv2d(8, 3, padding=1)\n(x + y)")],
    "sub": [(IMAGE, "y = adaptive_avgpool2d(1)\n(x - y)")],
    "mul": [(IMAGE, "y = adaptive_avgpool2d(1) -> conv2d(8, 1) -> hardsigmoid\n(x * y)")],
    "concat": [(IMAGE, "y = conv2d(4, 1)\nconcat(x, y)")],
    "scalar": [
        (IMAGE, "(x * 0.5)"),
        (FLAT, "(1 - x)"),
        (SEQ, "(x / 6)"),
        ("int64[N, 4]", "(x + 1)"),
        (IMAGE, "y = relu\n(y * 0.5)"),
        ("int64[N, 4]", "y = identity\n(y + 2)"),
    ],
    "neg": [(IMAGE, "(-x)"), ("int64[N, 4]", "(-x)"), (IMAGE, "y = relu\n(-y)")],
    "param": [
        (IMAGE, "param gamma: [8, 1, 1] = 1e-6\ny = conv2d(8, 3, padding=1)\n(x + gamma * y)"),
        (FLAT, "param bias: [16] = zeros\n(x + bias) -> linear(4)"),
        (SEQ, "param scale: [1, 6, 1] = normal(std=0.02)\n(x * scale)"),
        (FLAT, "param token: [1, 16] = normal(1, 0.5)\ny = linear(16)\n(y - token)"),
    ],
    "expand_batch": [
        (SEQ, "param token: [1, 6, 1] = zeros\nconcat(expand_batch(token, x), x, dim=2)"),
        (
            "float32[N, T, 16]",
            "param class_token: [1, 1, 16] = normal(std=0.02)\nconcat(expand_batch(class_token, x), x)",
        ),
    ],
    "upsample_like": [
        (IMAGE, "y = conv2d(3, 3, stride=2)\nupsample_like(y, x, mode=bilinear)"),
        ("float32[N, 3, H, W]", "y = maxpool2d(2)\nupsample_like(y, x)"),
    ],
    "matmul": [("float32[N, 4, 6]", "k = transpose(1, 2)\nmatmul(x, k) -> softmax")],
    "transpose": [(SEQ, "transpose(1, 2)"), (VOLUME, "transpose(-1, -3)")],
    "split_heads": [("float32[N, T, 8]", "split_heads(2)")],
    "merge_heads": [("float32[N, T, 8]", "split_heads(4) -> merge_heads")],
    "attention": [
        ("float32[N, T, 8]", "attention(heads=2, causal=true, rotary=true)"),
        ("float32[N, 5, 8]", "m = linear(6)\nattention(x, m, heads=4, bias=false, dropout=0.1)"),
    ],
    "mha": [("float32[N, T, 8]", "mha(heads=2, causal=true)")],
    "position_embedding": [("float32[N, T, 8]", "position_embedding(max_len=64)")],
    "sinusoidal_positions": [("float32[N, T, 8]", "sinusoidal_positions")],
    "tied_linear": [("int64[N, T]", "tok = embedding(vocab=12, dim=8)\ntok -> tied_linear(tok)")],
}


def _text(decl: str, layers: str) -> str:
    body = "\n".join(f"    {line}" for line in layers.splitlines())
    return f"model Covered\ninput x: {decl}\ntask regression\nlayers:\n{body}\n"


EXAMPLES = [(name, decl, layers) for name, forms in ACCEPTED.items() for decl, layers in forms]


@pytest.mark.parametrize(("name", "decl", "layers"), EXAMPLES, ids=[f"{e[0]}-{i}" for i, e in enumerate(EXAMPLES)])
def test_accepted_example_agrees_with_torch(name, decl, layers):
    torch.manual_seed(0)
    assert check_spec(_text(decl, layers)) == "both-accept"


# drawn by the random oracle's spec forms rather than by name: residuals, concat, upsample_like, `param`,
# a value and a number
DRAWN_BY_FORM = {"add", "sub", "mul", "concat", "upsample_like", "param", "expand_batch", "scalar", "neg"}


def test_every_layer_is_covered():
    drawn = {name for names in FITS.values() for name in names} | DRAWN_BY_FORM | ATTENTION_ORACLE
    docs = (ROOT / "docs" / "layers.md").read_text()
    documented = {name for name in CATALOG if f"### `{name}`" in docs}
    assert set(CATALOG) - set(ACCEPTED) == set(), "layers without an accepted example here"
    assert set(CATALOG) - drawn == set(), "layers the random oracle never draws (add them to FITS)"
    assert set(CATALOG) - documented == set(), "layers missing from docs/layers.md (run `netc layers`)"
    assert set(ACCEPTED) - set(CATALOG) == set(), "examples for layers that do not exist"
