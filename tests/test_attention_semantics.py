"""What the attention and position layers compute, with PyTorch's own modules and formulas as the oracle."""

from __future__ import annotations

import math

import pytest
import torch
from netspec.runtime.load import load_text
from torch import nn

CROSS = """
model Cross
input x: float32[N, 5, 16]
input memory: float32[N, 7, 16]
input mask: bool[N, 7]
task regression(outputs=16)
layers:
    attention(x, memory, mask, heads=4{flags}) -> last
"""


def _mha_from(ours) -> nn.MultiheadAttention:
    """nn.MultiheadAttention holding the same weights as netc's MultiHeadAttention."""
    attn = ours.attn1
    ref = nn.MultiheadAttention(16, 4, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([attn.q.weight, attn.k.weight, attn.v.weight]))
        ref.in_proj_bias.copy_(torch.cat([attn.q.bias, attn.k.bias, attn.v.bias]))
        ref.out_proj.weight.copy_(attn.out.weight)
        ref.out_proj.bias.copy_(attn.out.bias)
    return ref.eval()


@pytest.mark.parametrize("causal", [False, True])
def test_attention_equals_nn_multihead_attention(causal):
    model = load_text(CROSS.format(flags=", causal=true" if causal else "")).model_class().eval()
    ref = _mha_from(model)
    x, memory = torch.randn(3, 5, 16), torch.randn(3, 7, 16)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[0, 4:] = False
    mask[2, 1:] = False
    blocked = ~mask[:, None, :].expand(3, 5, 7)
    if causal:
        blocked = blocked | torch.ones(5, 7, dtype=torch.bool).triu(1)
    expected = ref(x, memory, memory, attn_mask=blocked.repeat_interleave(4, 0), need_weights=False)[0]
    torch.testing.assert_close(model(x, memory, mask), expected[:, -1], rtol=1e-5, atol=1e-5)


def test_padded_keys_do_not_change_the_output():
    model = load_text(CROSS.format(flags="")).model_class().eval()
    x, memory = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    mask = torch.tensor([[True] * 4 + [False] * 3] * 2)
    changed = memory.clone()
    changed[:, 4:] = 100.0
    torch.testing.assert_close(model(x, memory, mask), model(x, changed, mask))


MHA = """
model Vit
input x: float32[N, 10, 32]
task regression(outputs=32)
layers:
    mha(heads=8) -> last
"""


def test_mha_is_torchs_module_with_its_state_dict_names():
    model = load_text(MHA).model_class()
    assert isinstance(model.attn1, nn.MultiheadAttention) and model.attn1.batch_first
    assert sorted(k for k in model.state_dict()) == [
        "attn1.in_proj_bias",
        "attn1.in_proj_weight",
        "attn1.out_proj.bias",
        "attn1.out_proj.weight",
    ]


POSITIONS = """
model Pos
input x: float32[N, T, 6]
task regression(outputs=6)
layers:
    sinusoidal_positions -> last
"""


def test_sinusoidal_positions_follow_the_paper():
    model = load_text(POSITIONS).model_class()
    out = model(torch.zeros(1, 9, 6))  # the last position's encoding
    pos, d = 8, 6
    expected = [
        math.sin(pos / 10000 ** (i / d)) if i % 2 == 0 else math.cos(pos / 10000 ** ((i - 1) / d)) for i in range(d)
    ]
    torch.testing.assert_close(out[0], torch.tensor(expected), rtol=1e-5, atol=1e-6)


ROTARY = """
model Rope
input x: float32[N, T, 8]
task regression(outputs=8)
layers:
    attention(heads=1, rotary=true) -> last
"""


def test_rotary_scores_depend_only_on_the_offset():
    module = load_text(ROTARY)
    rotate = module.module.rotate_positions
    q, k = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)
    length = 12
    qs, ks = rotate(q.expand(1, 1, length, 8)), rotate(k.expand(1, 1, length, 8))
    scores = (qs @ ks.transpose(-2, -1))[0, 0]
    for offset in (0, 1, 3):
        diagonal = torch.diagonal(scores, offset)
        torch.testing.assert_close(diagonal, diagonal[:1].expand_as(diagonal), rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(qs[..., 0, :], q[..., 0, :])  # position 0 is not rotated
