"""Issue #10's defects, each pinned by a spec that once built a module different from the spec."""

from __future__ import annotations

import ast
import warnings

import pytest
import torch
import torch.nn.functional as F
from netspec.compiler import parse, python_source
from netspec.compiler.catalog import CATALOG
from netspec.compiler.fmt import expr_text
from netspec.compiler.parser import MAX_NESTING
from netspec.compiler.pipeline import compile_text
from netspec.compiler.resolve import MAX_BLOCK_DEPTH
from netspec.compiler.source import SourceFile
from netspec.runtime.load import load_text

from tests.conftest import netc
from tests.model_check import check_text

HEADER = "model M\ninput x: float32[N, {width}]\ntask regression(outputs={out})\nlayers:\n"


def spec(body: str, *, width: int = 8, out: int = 4, blocks: str = "") -> str:
    return blocks + HEADER.format(width=width, out=out) + "".join(f"    {line}\n" for line in body.splitlines())


# ---- defect 1: one attribute per statement, no module shared by accident ----------------------
EQUAL_REPEATS = [
    spec("linear(16) * 2\nlinear(4) * 2"),
    spec(
        "fc(16) * 2\ndropout(0.1)\nfc(16) * 2\nlinear(1)",
        width=16,
        out=1,
        blocks="block fc(c):\n    linear(c) -> relu\n",
    ),
    # a named value taking the name a sequential would get
    spec("linear_x2 = linear(8) -> relu\nlinear(8) * 2\nlinear(4)"),
    spec("y = linear(8) * 2\nz = y -> linear(8) * 2\nz -> linear(4) * 2"),
    # equal repeats inside a block, used twice
    spec(
        "two(8) -> two(8) -> linear(4)",
        blocks="block two(c):\n    linear(c) * 2 -> relu\n    linear(c) * 2\n",
    ),
]


@pytest.mark.parametrize("text", EQUAL_REPEATS, ids=range(len(EQUAL_REPEATS)))
def test_equal_repetitions_get_their_own_modules(text, tmp_path):
    report = check_text(text, tmp_path)
    assert report.stateful_layers >= 4


# ---- defect 2 and 7: nested, repeated blocks used with different sizes -----------------------
NESTED = [
    spec("stack(16) -> relu\nstack(4)", blocks="block stack(c):\n    linear(c) * 2\n"),
    spec(
        "m3(4) -> (m3(6) * 2)",
        out=7,
        blocks=(
            "block b(c):\n    linear(c) -> relu\n"
            "block m2(c):\n    in -> (b(c) * 2)\n"
            "block m3(c):\n    in -> m2(c) -> m2(c + 1)\n"
        ),
    ),
]


@pytest.mark.parametrize("text", NESTED, ids=range(len(NESTED)))
def test_nested_repeated_blocks_build_with_different_sizes(text, tmp_path):
    check_text(text, tmp_path)


# ---- defect 3: `*` repeats the one step before it -----------------------------------------
def ops(text: str) -> list[str]:
    result = compile_text(text, "spec.net")
    assert result.graph is not None, [d.message for d in result.diagnostics]
    return [n.op for n in result.graph.nodes]


def test_repetition_binds_to_the_step_before_it():
    assert ops(spec("linear(16) -> relu * 3\nlinear(4)")) == ["linear", "relu", "relu", "relu", "linear"]
    assert ops(spec("(linear(16) -> relu) * 3\nlinear(4)")) == ["linear", "relu"] * 3 + ["linear"]
    text = "model M\ninput x: float32[N, 1, 8, 8]\ntask multiclass(classes=3)\nlayers:\n"
    text += "    conv2d(8, 3, padding=1) * 2 -> maxpool2d(2)\n    flatten -> linear(3)\n"
    assert ops(text) == ["conv2d", "conv2d", "maxpool2d", "flatten", "linear"]


def test_repeating_an_idempotent_layer_warns_with_the_chain_meant():
    result = compile_text(spec("linear(16) -> relu * 3\nlinear(4)"), "spec.net")
    (warn,) = [d for d in result.diagnostics if d.code == "W-repeat"]
    assert warn.help == "did you mean `(linear(16) -> relu) * 3`?"
    assert not any(d.code == "W-repeat" for d in compile_text(spec("(linear(16) -> relu) * 3\nlinear(4)")).diagnostics)


IDEMPOTENT = [name for name, layer in CATALOG.items() if layer.role == "idempotent"]


@pytest.mark.parametrize("name", IDEMPOTENT)
def test_the_layers_called_idempotent_are_idempotent_in_torch(name):
    """The warning's claim, checked against PyTorch: f(f(x)) == f(x)."""
    assert set(IDEMPOTENT) == {"relu", "relu6", "hardtanh", "identity", "flatten"}
    defaults = {spec.name: spec.default for spec in CATALOG[name].args}
    call = CATALOG[name].call(None, ["x"], {"start": 1, "end": -1} if name == "flatten" else defaults)
    x = torch.randn(4, 3, 5) * 8  # past relu6's and hardtanh's bounds
    once = eval(call, {"F": F, "torch": torch, "x": x})
    twice = eval(call, {"F": F, "torch": torch, "x": once})
    assert torch.equal(once, twice)


@pytest.mark.parametrize(
    "text",
    ["(linear(16) -> relu) * 3", "linear(16) -> relu * 3", "conv2d(8, 3) * 2 -> maxpool2d(2)", "(h -> relu) * 0.5"],
)
def test_fmt_shows_what_a_repetition_applies_to(text):
    program, diags = parse(SourceFile("a.net", f"layers:\n    {text}\n"))
    assert program is not None, diags
    (stmt,) = program.items[0].body
    assert expr_text(stmt.value) == text


def test_a_float_repetition_count_is_an_error_with_a_fix():
    result = compile_text(spec("linear(8) * 1.5\nlinear(4)"), "spec.net")
    (err,) = [d for d in result.diagnostics if d.is_error]
    assert err.code == "E-arg-type" and "integer" in err.message and "* 1.5" in err.help


# ---- numbers in value expressions ---------------------------------------------------------
def test_value_and_number_arithmetic_matches_torch(tmp_path):
    text = spec("h = linear(8)\ng = h * 0.5 + 1\nk = 1 - g / 6\nm = -k\n(m - 2) * 3 -> linear(4)")
    check_text(text, tmp_path)
    loaded = load_text(text)
    model = loaded.model_class().eval()
    x = torch.randn(5, 8)
    h = model.h(x)
    want = model.fc1((-(1 - (h * 0.5 + 1) / 6) - 2) * 3)
    assert torch.allclose(model(x), want)
    assert "h_2 = h * 0.5  #" in loaded.code  # plain Python arithmetic in forward


INT_HEADER = "model M\ninput ids: {dtype}[N, 8]\ntask regression(outputs=1)\nlayers:\n"


@pytest.mark.parametrize(
    ("dtype", "expr", "torch_result"),
    [
        ("int64", "ids * 0.5", lambda t: t * 0.5),
        ("int64", "ids / 2", lambda t: t / 2),
    ],
)
def test_int_value_with_float_result_is_an_error_and_torch_agrees(dtype, expr, torch_result):
    text = INT_HEADER.format(dtype=dtype) + f"    h = {expr}\n    embedding(vocab=10, dim=2) -> flatten -> linear(1)\n"
    errors = [d for d in compile_text(text).diagnostics if d.is_error]
    assert [d.code for d in errors] == ["E-dtype"]
    assert "makes a float tensor in PyTorch" in errors[0].message
    assert errors[0].notes[0].startswith("PyTorch would run it and return float32")
    assert torch_result(torch.ones(2, dtype=getattr(torch, dtype))).dtype == torch.float32


def test_int_value_out_of_its_dtype_is_an_error_and_torch_would_wrap():
    text = (
        INT_HEADER.format(dtype="int8") + "    h = ids + 1000\n    embedding(vocab=10, dim=2) -> flatten -> linear(1)\n"
    )
    errors = [d for d in compile_text(text).diagnostics if d.is_error]
    assert errors and errors[0].notes == ("PyTorch would run it and wrap around silently",)
    assert (torch.ones(1, dtype=torch.int8) + 1000).item() != 1001


def test_int_value_with_an_int_keeps_its_dtype(tmp_path):
    text = (
        INT_HEADER.format(dtype="int64") + "    (ids + 1) * 2 -> embedding(vocab=40, dim=2) -> flatten -> linear(1)\n"
    )
    check_text(text, tmp_path)


def test_bool_negation_is_an_error_and_torch_agrees():
    text = INT_HEADER.format(dtype="bool") + "    h = -ids\n    linear(1)\n"
    assert "E-dtype" in [d.code for d in compile_text(text).diagnostics if d.is_error]
    with pytest.raises(NotImplementedError):
        _ = -torch.ones(2, dtype=torch.bool)


# ---- defect 7: every literal that reaches generated code is a finite, bounded value -----------
NOT_BUILDABLE = [
    ("layernorm(eps=1e400)", "E-limit"),
    ("leaky_relu(1e400)", "E-limit"),
    ("leaky_relu(1e308 * 10 - 1e308 * 10)", "E-limit"),  # inf - inf
    ("linear(10000000000000000000000)", "E-limit"),
    ("linear(1099511627776)", "E-arg-type"),
    ("h = relu\n(h * 1e400) -> linear(4)", "E-limit"),
]


@pytest.mark.parametrize(("body", "code"), NOT_BUILDABLE)
def test_non_finite_and_huge_literals_are_errors_with_a_location(body, code):
    result = compile_text(spec(body), "spec.net")
    errors = [d for d in result.diagnostics if d.is_error]
    assert code in [d.code for d in errors]
    assert all(d.span.line >= 5 for d in errors)  # on the layer's line, not the file's start


@pytest.mark.parametrize("setting", ["clip 1e400", "clip 1e300 * 1e300", "optimizer adam(lr=1e400)"])
def test_non_finite_training_numbers_are_errors(setting):
    text = spec("linear(4)") + f"train:\n    data digits\n    {setting}\n"
    assert "E-limit" in [d.code for d in compile_text(text).diagnostics if d.is_error]


def test_torch_rejects_the_non_finite_values_we_reject():
    """The reason for the rule: PyTorch accepts inf here and produces a broken module or optimizer."""
    with pytest.raises(ValueError):
        torch.optim.Adam([torch.nn.Parameter(torch.ones(1))], lr=float("nan"))
    y = torch.nn.LayerNorm(4, eps=float("inf"))(torch.randn(2, 4))
    assert torch.equal(y, torch.zeros(2, 4))  # accepted, and the layer erases its input


def test_every_literal_in_generated_code_round_trips(tmp_path):
    """Each constant in the module's source is read back by ast.literal_eval as the value the graph holds."""
    text = spec("linear(16) -> leaky_relu(0.1) -> layernorm(eps=1e-07)\nh = dropout(0.25)\nh * 1e-300 -> linear(4)")
    _, code = python_source(SourceFile("spec.net", text))
    tree = ast.parse(code)
    numbers = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)]
    assert {0.1, 1e-07, 0.25, 1e-300} <= set(numbers)
    assert all(ast.literal_eval(repr(n)) == n for n in numbers if isinstance(n, int | float))


# ---- defect 8: one-line specs that used to exhaust the stack or the int parser ---------------
def _layers(line: str) -> str:
    return spec(f"y = relu\n{line}", out=8)


LIMITS = [
    ("chain", _layers(" -> ".join(["relu"] * 2000)), None),
    ("sum", _layers(" + ".join(["y"] * 490)), "E-limit"),
    ("list", spec("reshape(" + "[" * 490 + "8" + "]" * 490 + ")", out=8), "E-limit"),
    ("neg", _layers("-" * 976 + "y"), "E-limit"),
    ("int", spec("linear(" + "9" * 4400 + ")"), "E-limit"),
    ("int_times_float", "block b(c):\n    linear(c * c * c * c * 1.5)\n" + spec("b(99999)"), "E-limit"),
    (
        "blocks",
        "".join(f"block b{i}(c):\n    b{i + 1}(c)\n" for i in range(200))
        + "block b200(c):\n    linear(c)\n"
        + spec("b0(8)", out=8),
        "E-limit",
    ),
]


@pytest.mark.parametrize(("name", "text", "code"), LIMITS, ids=[c[0] for c in LIMITS])
def test_deep_or_huge_specs_give_a_located_diagnostic_or_work(name, text, code, tmp_path):
    result = compile_text(text, "spec.net")
    errors = [d for d in result.diagnostics if d.is_error]
    if code is None:
        assert result.ok, [d.message for d in errors]
        python_source(SourceFile("spec.net", text))
        assert netc_fmt_round_trips(text, tmp_path)
    else:
        assert errors and errors[0].code == code and errors[0].span.line > 1, [d.message for d in errors]


def test_nesting_just_inside_the_limits_builds():
    deep = "".join(f"block b{i}(c):\n    b{i + 1}(c)\n" for i in range(MAX_BLOCK_DEPTH - 1))
    deep += f"block b{MAX_BLOCK_DEPTH - 1}(c):\n    linear(c) -> relu\n"
    python_source(SourceFile("spec.net", deep + spec("b0(8) -> " + "-" * (MAX_NESTING - 2) + "relu", out=8)))


def netc_fmt_round_trips(text: str, tmp_path) -> bool:
    path = tmp_path / "spec.net"
    path.write_text(text)
    assert netc("fmt", str(path)).code == 0
    again = path.read_text()
    assert netc("fmt", "--check", str(path)).code == 0
    return compile_text(again).ok


# ---- defect 6: every "PyTorch would ..." note is what PyTorch does --------------------------
RANKED = {
    "conv1d": "conv1d(4, 3)",
    "conv2d": "conv2d(4, 3)",
    "conv3d": "conv3d(4, 3)",
    "conv_transpose1d": "conv_transpose1d(4, 3)",
    "conv_transpose2d": "conv_transpose2d(4, 3)",
    "maxpool1d": "maxpool1d(2)",
    "maxpool2d": "maxpool2d(2)",
    "avgpool2d": "avgpool2d(2)",
    "adaptive_avgpool1d": "adaptive_avgpool1d(2)",
    "adaptive_avgpool2d": "adaptive_avgpool2d(1)",
    "adaptive_maxpool2d": "adaptive_maxpool2d(2)",
    "adaptive_avgpool3d": "adaptive_avgpool3d(1)",
    "maxpool3d": "maxpool3d(2)",
    "rnn": "rnn(4)",
    "lstm": "lstm(4)",
    "gru": "gru(4)",
    "dropout1d": "dropout1d(0.5)",
    "dropout2d": "dropout2d(0.5)",
    "last": "last",
}
SIZE = 6


def _rank_spec(rank: int, layer: str) -> str:
    dims = ", ".join(["N"] + [str(SIZE)] * (rank - 1))
    return f"model M\ninput x: float32[{dims}]\ntask regression(outputs=1)\nlayers:\n    {layer}\n    flatten -> linear(1)\n"


def _torch_layer(op: str, call_text: str):
    """The module and call netc emits for this layer, made from a rank it accepts."""
    for rank in range(2, 6):
        result = compile_text(_rank_spec(rank, call_text))
        if result.checked is not None:
            (node,) = [n for n in result.checked.graph.nodes if n.op == op]
            made = CATALOG[op].module([result.checked.types[i] for i in node.inputs], node.args)
            module = eval(f"{made[0]}({', '.join(made[1])})", {"nn": torch.nn}) if made else None
            return module, CATALOG[op].call("m", ["x"], node.args)
    raise AssertionError(f"no rank builds {call_text}")


@pytest.mark.parametrize("op", sorted(RANKED))
def test_every_pytorch_note_on_a_wrong_rank_is_what_torch_does(op):
    torch.manual_seed(0)
    module, call = _torch_layer(op, RANKED[op])
    checked = 0
    for rank in range(1, 7):
        result = compile_text(_rank_spec(rank, RANKED[op]))
        notes = [n for d in result.diagnostics if d.is_error for n in d.notes if "PyTorch would" in n]
        if not notes:
            continue
        (note,) = notes
        x = (torch.ones if op.startswith("dropout") else torch.randn)(*([SIZE] * rank))
        if module is not None:
            module.train()
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = eval(call, {"m": module, "x": x, "F": F, "torch": torch})
            ran = True
        except (RuntimeError, ValueError, IndexError):
            ran = False
        assert ran == ("would raise" not in note), (op, rank, note)
        if "unbatched" in note and "channels" in note:
            assert out.dim() == rank  # an unbatched [C, ...] sample: the batch dim was read as channels
        if "only when N equals" in note:  # here N = SIZE = the channel count in dim 1; one more must fail
            with pytest.raises(RuntimeError):
                eval(call, {"m": module, "x": torch.randn(SIZE + 1, *([SIZE] * (rank - 1))), "F": F, "torch": torch})
        if "rows along the last dim" in note:
            assert _constant_zero_slices(out, out.reshape(-1, out.shape[-1]))
        if "single elements" in note:
            assert not _constant_zero_slices(out, out.reshape(-1, out.shape[-1]))
        if "[N, C] slices" in note:
            assert _constant_zero_slices(out, out.reshape(SIZE * SIZE, -1))
        if "pick the last feature" in note:
            assert torch.equal(out, x[:, -1])
        checked += 1
    assert checked, f"{op}: no wrong rank gave a PyTorch note"


def _constant_zero_slices(out, rows) -> bool:
    """Each row is zeroed whole or kept whole (input of ones, dropout in train mode)."""
    assert (out == 0).any() and (out != 0).any()
    return all(bool((row == 0).all()) or bool((row != 0).all()) for row in rows)


def test_lstm_on_rank_2_reads_the_batch_as_time():
    note = next(n for d in compile_text(_rank_spec(2, "lstm(4)")).diagnostics for n in d.notes)
    assert "time" in note
    lstm = torch.nn.LSTM(SIZE, 4, batch_first=True)
    out, (h, _) = lstm(torch.randn(7, SIZE))  # 7 rows: one sequence of 7 steps, not a batch of 7
    assert out.shape == (7, 4) and h.shape == (1, 4)


def test_the_float_input_note_is_true():
    """`need_float`'s note: PyTorch runs some such layers on integers and refuses others."""
    ids = torch.ones(2, 3, dtype=torch.int64)
    assert F.relu(ids).dtype == torch.int64
    with pytest.raises(RuntimeError):
        F.gelu(ids)


# ---- found by the whole-model oracle ------------------------------------------------------
def test_an_unused_block_that_uses_another_block_builds(tmp_path):
    """Checking an unused block recorded its inner block instances, with unknown sizes, in the model."""
    blocks = "block fc(c):\n    linear(c) -> relu\nblock outer(c):\n    in -> fc(c) -> (fc(c) * 2)\n"
    check_text(spec("fc(4)\nlinear(4)", blocks=blocks), tmp_path)
