"""FLOPs, buffers and activation memory from the spec alone, checked against PyTorch running the built module."""

from __future__ import annotations

import json

import pytest
import torch
from netspec.compiler.catalog import CATALOG
from netspec.compiler.pipeline import compile_text
from netspec.compiler.summary import CostSettings, summary_json
from netspec.runtime.load import load, load_text
from torch.fx import symbolic_trace
from torch.fx.passes.shape_prop import ShapeProp
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from tests.conftest import ROOT, netc
from tests.oracle import random_input

# the zoo's full-size torchvision models take minutes here: they run in the slow set (`pytest -m slow`)
ALL_SPECS = [
    pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.parent.name == "zoo" else [])
    for p in sorted((ROOT / "specs").rglob("*.net"))
]
SYMBOLIC_SIZE = 9

# layers that have no FLOP rule yet and show as "not counted"; a new layer must get a rule or a line here
NOT_COUNTED: set[str] = set()

# switching oneDNN off for the LSTM count makes torch print a notice about Intel GPUs
pytestmark = pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN:UserWarning")


def example_sizes(metadata: dict, batch: int) -> tuple[dict[str, int], list[torch.Tensor]]:
    """Sizes for N and every symbolic dim, and one random input per declared input."""
    env = {"N": batch}
    inputs = []
    for inp in metadata["inputs"]:
        dims = []
        for d in inp["shape"]:
            if isinstance(d, str):
                env.setdefault(d, SYMBOLIC_SIZE)
                dims.append(env[d])
            else:
                dims.append(d)
        inputs.append(random_input(inp["dtype"], tuple(dims)))
    return env, inputs


def counted_flops(model: torch.nn.Module, inputs: list[torch.Tensor]) -> int:
    """FlopCounterMode on a forward pass, through the kernels it can see. On CPU it counts 0 for oneDNN's
    fused LSTM, for the fused CPU attention kernel and for nn.MultiheadAttention's inference fast path; with
    oneDNN off, the math attention backend and grad mode on (which skips the fast path) they are the matmuls
    they compute. Only the forward runs, so grad mode adds nothing to the count."""
    with (
        torch.backends.mkldnn.flags(enabled=False),
        sdpa_kernel(SDPBackend.MATH),
        FlopCounterMode(display=False) as counter,
    ):
        model(*inputs)
    return counter.get_total_flops()


def netc_cost(text: str, name: str, env: dict[str, int]) -> dict:
    result = compile_text(text, name)
    assert result.checked is not None, result.diagnostics
    settings = CostSettings(batch=env["N"], dims={k: v for k, v in env.items() if k != "N"})
    return summary_json(result.checked, settings)


@pytest.mark.parametrize("path", ALL_SPECS)
def test_flops_equal_flop_counter_mode(path):
    loaded = load(path)
    model = loaded.model_class().eval()
    env, inputs = example_sizes(loaded.metadata, batch=1 if "resnet" in path.stem else 2)
    summary = netc_cost(path.read_text(), str(path), env)
    assert summary["cost"]["not_counted"] == []
    assert summary["cost"]["total_flops"] == counted_flops(model, inputs)


@pytest.mark.parametrize("path", ALL_SPECS)
def test_buffers_and_activation_memory_match_the_module(path):
    loaded = load(path)
    model = loaded.model_class().eval()
    env, inputs = example_sizes(loaded.metadata, batch=2)
    summary = netc_cost(path.read_text(), str(path), env)
    assert summary["total_buffers"] == sum(b.numel() for b in model.buffers())
    # every tensor the traced forward computes is one layer's output
    traced = symbolic_trace(model)
    ShapeProp(traced).propagate(*inputs)
    outputs = [
        n.meta["tensor_meta"]
        for n in traced.graph.nodes
        if n.op in ("call_module", "call_function", "call_method") and hasattr(n.meta.get("tensor_meta"), "shape")
    ]
    real = sum(m.shape.numel() * m.dtype.itemsize for m in outputs)
    assert summary["cost"]["activation_bytes"] == real


# layer kinds the shipped specs do not reach, with the arguments that change the count
LAYER_CASES = {
    "conv1d_groups_dilation": ("float32[N, 4, 21]", "conv1d(6, kernel=3, groups=2, dilation=2, stride=2)"),
    "conv3d": ("float32[N, 2, 5, 6, 7]", "conv3d(4, kernel=[1, 2, 3], padding=1)"),
    "conv_transpose1d": ("float32[N, 4, 9]", "conv_transpose1d(6, kernel=3, stride=2, groups=2)"),
    "conv_transpose2d": ("float32[N, 4, 5, 6]", "conv_transpose2d(3, kernel=[2, 3], stride=[2, 1], padding=1)"),
    "conv_transpose3d": ("float32[N, 2, 3, 4, 5]", "conv_transpose3d(4, kernel=2, stride=2, dilation=1)"),
    "gru_bidirectional_2": ("float32[N, T, 10]", "gru(16, layers=2, bidirectional=true)"),
    "lstm_bidirectional_3": ("float32[N, T, 6]", "lstm(8, layers=3, bidirectional=true, bias=false)"),
    "rnn_relu": ("float32[N, T, 5]", "rnn(7, nonlinearity=relu)"),
    "linear_on_sequence": ("float32[N, T, 12]", "linear(5)"),
    "embedding_layernorm": ("int64[N, T]", "embedding(vocab=50, dim=8) -> layernorm"),
    "norms_and_resampling": (
        "float32[N, 4, 6, 6]",
        "instancenorm(4, track_running_stats=true) -> groupnorm(2, 4) -> layernorm2d(4) -> prelu(4)"
        " -> upsample(scale=2, mode=bilinear) -> pixel_shuffle(2) -> conv2d(8, kernel=3)",
    ),
}


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_flops_equal_flop_counter_mode(case):
    shape, chain = LAYER_CASES[case]
    to_vector = "last" if ", T" in shape else "flatten"  # flatten over a symbolic T has no fixed size
    text = (
        f"model M\ninput x: {shape}\ntask regression(outputs=1)\nlayers:\n    {chain}\n    {to_vector}\n    linear(1)\n"
    )
    loaded = load_text(text, f"{case}.net")
    model = loaded.model_class().eval()
    env, inputs = example_sizes(loaded.metadata, batch=3)
    summary = netc_cost(text, case, env)
    assert summary["cost"]["total_flops"] == counted_flops(model, inputs)
    assert summary["total_buffers"] == sum(b.numel() for b in model.buffers())


def test_every_layer_has_a_flop_rule_or_is_listed_as_not_counted():
    missing = {name for name, spec in CATALOG.items() if spec.flops is None}
    assert missing == NOT_COUNTED, "give these layers a `flops=` rule (catalog/flop_rules.py) or list them"


def test_a_layer_without_a_rule_is_reported_not_counted_not_zero(monkeypatch):
    from dataclasses import replace

    import netspec.compiler.cost as cost

    monkeypatch.setitem(cost.CATALOG, "relu", replace(CATALOG["relu"], flops=None))
    summary = netc_cost((ROOT / "specs" / "notes_cnn.net").read_text(), "notes_cnn.net", {"N": 2})
    assert summary["cost"]["not_counted"] == ["relu1", "relu2"]
    assert [layer["flops"] for layer in summary["layers"] if layer["kind"] == "relu"] == [None, None]


def test_shapes_cli_batch_dtype_and_dims():
    run = netc("shapes", str(ROOT / "specs" / "resnet18.net"), "--batch", "64", "--dtype", "bf16", "--format", "json")
    cost = json.loads(run.out)["cost"]
    assert cost["total_flops"] == 64 * 3_628_146_688  # 1.81 G multiply-adds per image, torchvision's figure
    fp32 = json.loads(netc("shapes", str(ROOT / "specs" / "resnet18.net"), "--batch", "64", "--format", "json").out)
    assert fp32["cost"]["activation_bytes"] == 2 * cost["activation_bytes"]
    text = netc("shapes", str(ROOT / "specs" / "resnet18.net"), "--batch", "64", "--dtype", "bf16").out
    assert "FLOPs per forward pass at batch 64: 232.20G" in text and "in bfloat16" in text


def test_shapes_depth_folds_block_uses():
    deep = netc("shapes", str(ROOT / "specs" / "resnet18.net")).out
    shallow = netc("shapes", str(ROOT / "specs" / "resnet18.net"), "--depth", "0").out
    assert "  conv1 " in deep and "  conv1 " not in shallow
    assert "basic(64)" in shallow and "73,984" in shallow
    assert shallow.splitlines()[-4:] == deep.splitlines()[-4:]  # the totals do not depend on the depth


def test_symbolic_dims_need_a_size_for_costs(tmp_path):
    text = (
        "model M\ninput x: float32[N, T, 6]\ntask regression(outputs=1)\nlayers:\n    gru(8) -> last\n    linear(1)\n"
    )
    path = tmp_path / "symbolic.net"
    path.write_text(text)
    without = netc("shapes", str(path))
    assert without.code == 0 and "need a size for T: add --dim T=..." in without.out
    with_t = netc("shapes", str(path), "--dim", "T=128", "--format", "json")
    assert json.loads(with_t.out)["cost"]["total_flops"] == 128 * 2 * 3 * 8 * (6 + 8) + 2 * 8
    assert netc("shapes", str(path), "--dim", "Q=3").code == 2
    assert netc("shapes", str(path), "--dim", "T=x").code == 2
    assert netc("shapes", str(path), "--dtype", "float8").code == 2
