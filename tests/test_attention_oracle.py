"""Attention, matmul, heads, masks and positions agree with PyTorch: random specs over those layers (hypothesis).

The same oracle as test_shapes_oracle: netc's verdict, every inferred shape and the parameter
count must equal what torch does on a real forward pass. NETC_ORACLE_EXAMPLES sets the run size.
"""

from __future__ import annotations

import os

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netspec.compiler.pipeline import compile_text

from tests.test_shapes_oracle import check_spec

EXAMPLES = int(os.environ.get("NETC_ORACLE_EXAMPLES", "150"))
ORACLE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
VERDICTS: dict[str, int] = {}
# the layers this oracle's specs draw (tests/test_layer_coverage.py counts them as covered)
DRAWN = {
    "attention",
    "mha",
    "matmul",
    "transpose",
    "split_heads",
    "merge_heads",
    "position_embedding",
    "sinusoidal_positions",
    "tied_linear",
}


@st.composite
def attention_call(draw, width: int, with_memory: bool, with_mask: bool) -> str:
    layer = draw(st.sampled_from(["attention", "attention", "mha"]))
    heads = draw(st.sampled_from([1, 2, 3, 4]))
    flags = []
    for name in ("causal", "bias") + (("rotary",) if layer == "attention" else ()):
        if draw(st.booleans()):
            flags.append(f"{name}={'true' if name != 'bias' else 'false'}")
    if draw(st.integers(0, 3)) == 0:
        flags.append("dropout=0.1")
    values = []
    if with_memory and draw(st.booleans()):
        values = ["h", "mem"] + (["mask"] if with_mask and draw(st.booleans()) else [])
    elif with_mask and draw(st.booleans()):
        values = ["h", "h", "mask"]
    return f"{layer}({', '.join([*values, f'heads={heads}', *flags])})"


@st.composite
def scores_block(draw, heads: int) -> list[str]:
    """Attention written from primitives: split heads, q @ k^T, softmax, @ v, merge heads."""
    lines = [f"    q = h -> linear({draw(st.sampled_from([4, 6, 8]))}) -> split_heads({heads})"]
    k_dims = draw(st.sampled_from(["(-2, -1)", "(-1, -2)", "(2, 3)", "(1, 2)"]))
    lines.append(f"    s = matmul(q, transpose(q, {k_dims[1:-1]})) -> softmax(dim=-1)")
    lines.append(f"    matmul(s, q) -> {draw(st.sampled_from(['merge_heads', 'transpose(1, 2) -> merge_heads']))}")
    return lines


@st.composite
def attention_spec(draw) -> str:
    width = draw(st.sampled_from([2, 3, 4, 6, 8, 12]))
    time = draw(st.sampled_from(["T", "5", "7"]))
    memory = draw(st.booleans())
    mem_width = draw(st.sampled_from([width, width, 5]))
    mem_len = draw(st.sampled_from(["S", "3", time]))
    mask = draw(st.booleans())
    mask_len = draw(st.sampled_from([mem_len if memory else time] * 3 + ["1", "4"]))
    mask_dtype = draw(st.sampled_from(["bool", "bool", "bool", "float32"]))
    lines = ["model Oracle", f"input x: float32[N, {time}, {width}]"]
    if memory:
        lines.append(f"input mem: float32[N, {mem_len}, {mem_width}]")
    if mask:
        lines.append(f"input mask: {mask_dtype}[N, {mask_len}]")
    lines += ["task regression", "layers:"]
    start = draw(st.sampled_from(["", "-> sinusoidal_positions", "-> position_embedding(max_len=64)"]))
    if time != "T" and draw(st.integers(0, 5)) == 0:  # a symbolic T longer than max_len fails at run time (documented)
        start = f"-> position_embedding(max_len={draw(st.integers(1, 8))})"
    lines.append(f"    h = x -> layernorm {start}")
    if draw(st.integers(0, 3)) == 0:
        lines += draw(scores_block(draw(st.sampled_from([1, 2, 3]))))
    else:
        call = draw(attention_call(width, memory, mask))
        lines.append(f"    a = {call}" if call.startswith(("attention(h", "mha(h")) else f"    a = h -> {call}")
        lines.append("    (h + a) -> linear(3)")
    body = "\n".join(lines[lines.index("layers:") :])
    if memory and "mem" not in body:
        lines.append("    mem -> linear(2)")
    if mask and "mask" not in body:
        lines.append(f"    attention(h, h, mask, heads={draw(st.sampled_from([1, 2]))})")
    return "\n".join(lines) + "\n"


@ORACLE
@given(attention_spec(), st.integers(0, 2**16))
def test_attention_agrees_with_torch(spec, seed):
    torch.manual_seed(seed)
    verdict = check_spec(spec, seed)
    VERDICTS[verdict] = VERDICTS.get(verdict, 0) + 1


def test_attention_oracle_saw_both_verdicts():
    """The generator must exercise accepted and rejected specs (runs after the property test above)."""
    print("attention oracle verdicts:", VERDICTS)
    assert VERDICTS.get("both-accept", 0) > 0 and VERDICTS.get("both-reject", 0) > 0, VERDICTS


TIED = """
model Tied
input tokens: int64[N, T]
task multiclass(classes=11)
layers:
    tok = embedding(vocab=11, dim=8)
    tok -> position_embedding(64) -> attention(heads=2, causal=true) -> layernorm -> tied_linear(tok)
"""


def test_tied_head_counts_the_shared_weight_once():
    assert check_spec(TIED) == "both-accept"
    result = compile_text(TIED)
    assert result.checked is not None
    # embedding 11*8, positions 64*8, attention 4*(8*8+8), layernorm 2*8; the head adds nothing
    assert result.checked.total_params == 88 + 512 + 288 + 16
