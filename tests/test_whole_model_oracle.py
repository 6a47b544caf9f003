"""The whole-model oracle: random specs go through `netc build`, and PyTorch says whether the module is the spec.

Each spec mixes blocks used several times at different sizes, nested blocks, repetitions of equal
and different counts in one scope, residuals, concats, scalar arithmetic, several inputs and named
values. tests/model_check.py imports the module three ways (written file, load_text, the import
hook), runs it forward and backward in eval and train mode, and compares output shape, parameter
counts (summary, METADATA, docstring) and module ownership with the spec; a rebuild must be
byte-identical. CI runs NETC_WHOLE_ORACLE_EXAMPLES of each family (default 80); `make fuzz` runs thousands.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.model_check import check_text

EXAMPLES = int(os.environ.get("NETC_WHOLE_ORACLE_EXAMPLES", "80"))
# a long run can name a file that gets one line per checked spec (progress, and the count to report)
COUNT_FILE = os.environ.get("NETC_WHOLE_ORACLE_COUNT_FILE")
ORACLE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# blocks over a [N, F] value; `res` needs its input width to equal c
BLOCKS = """\
block fc(c):
    linear(c) -> relu
block res(c):
    y = in -> linear(c) -> relu -> linear(c)
    out in + y
block stack(c, n=2):
    linear(c) * n -> relu
block nrm(c):
    linear(c) -> layernorm -> gelu
block outer(c):
    in -> fc(c) -> (fc(c) * 2)
block deep(c):
    h = in -> outer(c) -> res(c)
    out h * 0.5
block branch(c):
    a = in -> fc(c)
    b = in -> linear(c)
    out concat(a, b) -> linear(c)
"""
SIZED = ("fc", "stack", "nrm", "outer", "deep", "branch")  # blocks whose output width is c


@dataclass
class Builder:
    """Spec lines and the width of the current value, so every statement is shape-correct."""

    width: int
    lines: list[str] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)
    count: int = 0

    def fresh(self) -> str:
        self.count += 1
        return f"v{self.count}"


@st.composite
def statements(draw, b: Builder) -> None:
    size = draw(st.integers(2, 12))
    kind = draw(
        st.sampled_from(
            ["layer", "repeat", "chain_repeat", "block", "block_repeat", "res", "named", "concat", "scalar", "stack"]
        )
    )
    if kind == "layer":
        act = draw(st.sampled_from(["relu", "tanh", "gelu", "dropout(0.2)", "layernorm"]))
        b.lines.append(f"linear({size}) -> {act}")
        b.width = size
    elif kind == "repeat":
        n = draw(st.integers(1, 3))
        b.lines.append(f"linear({size}) * {n} -> relu")
        b.width = size
    elif kind == "chain_repeat":
        n = draw(st.integers(1, 3))
        b.lines.append(f"(linear({size}) -> relu) * {n}")
        b.width = size
    elif kind == "block":
        block = draw(st.sampled_from(SIZED))
        b.lines.append(f"{block}({size})")
        b.width = size
    elif kind == "block_repeat":
        block = draw(st.sampled_from(SIZED))
        n = draw(st.integers(1, 3))
        b.lines.append(f"{block}({size}) * {n}")
        b.width = size
    elif kind == "res":
        n = draw(st.integers(1, 2))
        b.lines.append(f"res({b.width})" + (f" * {n}" if n > 1 else ""))
    elif kind == "stack":
        n = draw(st.integers(1, 3))
        b.lines.append(f"stack({size}, n={n})")
        b.width = size
    elif kind == "named":
        name, other = b.fresh(), b.fresh()
        b.lines.append(f"{name} = linear({size}) -> relu")
        b.lines.append(f"{other} = {name} -> linear({size})")
        b.lines.append(f"({name} + {other}) -> relu")
        b.width = size
    elif kind == "concat":
        left, right = b.fresh(), b.fresh()
        other = draw(st.integers(2, 12))
        b.lines.append(f"{left} = linear({size})")
        b.lines.append(f"{right} = {left} -> fc({other})")
        b.lines.append(f"concat({left}, {right})")
        b.width = size + other
    else:
        name = b.fresh()
        number = draw(st.sampled_from(["0.5", "2", "1e-3"]))
        b.lines.append(f"{name} = relu")
        b.lines.append(draw(st.sampled_from([f"{name} * {number}", f"1 - {name}", f"-{name} + 1", f"{name} / 4"])))


@st.composite
def specs(draw) -> str:
    two_inputs = draw(st.booleans())
    x_width, z_width = draw(st.integers(2, 10)), draw(st.integers(2, 10))
    outputs = draw(st.integers(1, 5))
    head = ["model Random", f"input x: float32[N, {x_width}]"]
    b = Builder(width=x_width)
    if two_inputs:
        head.append(f"input z: float32[N, {z_width}]")
        size = draw(st.integers(2, 10))
        joined = draw(st.sampled_from(["sum", "concat"]))
        b.lines += [f"hx = x -> fc({size})", f"hz = z -> linear({size}) -> relu"]
        b.lines.append("hx + hz" if joined == "sum" else "concat(hx, hz, dim=1)")
        b.width = size if joined == "sum" else 2 * size
    for _ in range(draw(st.integers(1, 7))):
        draw(statements(b))
    b.lines.append(f"linear({outputs})")
    head.append(f"task regression(outputs={outputs})")
    return BLOCKS + "\n".join(head) + "\nlayers:\n" + "".join(f"    {line}\n" for line in b.lines)


@ORACLE
@given(specs())
def test_the_built_module_is_the_spec(text):
    with tempfile.TemporaryDirectory() as folder:
        report = check_text(text, Path(folder), "oracle")
    assert report.total_params > 0
    _count("dense", report.stateful_layers)


CONV_BLOCKS = """\
block cbr(c):
    conv2d(c, 3, padding=1, bias=false) -> batchnorm -> relu
block cres(c):
    y = in -> cbr(c) -> conv2d(c, 3, padding=1)
    out relu(in + y)
block down(c):
    cbr(c) * 2 -> maxpool2d(2)
"""


@st.composite
def conv_specs(draw) -> str:
    """Feature maps: conv blocks at several sizes, repetitions, residuals, concat along channels, pooling."""
    channels, side = draw(st.integers(1, 3)), draw(st.sampled_from([4, 8]))
    outputs = draw(st.integers(1, 4))
    head = f"model RandomConv\ninput x: float32[N, {channels}, {side}, {side}]\ntask regression(outputs={outputs})\n"
    lines: list[str] = []
    for number in range(draw(st.integers(1, 5))):
        size = draw(st.integers(2, 6))
        kind = draw(st.sampled_from(["conv", "cbr", "cres", "down", "pool", "named"]))
        if kind == "conv":
            lines.append(f"conv2d({size}, 3, padding=1) * {draw(st.integers(1, 3))} -> relu")
            channels = size
        elif kind == "cbr":
            lines.append(f"cbr({size}) * {draw(st.integers(1, 3))}")
            channels = size
        elif kind == "cres":
            lines.append(f"cres({channels})" + draw(st.sampled_from(["", " * 2"])))
        elif kind in ("down", "pool") and side >= 2:
            lines.append(f"down({size})" if kind == "down" else "maxpool2d(2)")
            channels, side = (size if kind == "down" else channels), side // 2
        else:
            a, b = f"a{number}", f"b{number}"
            lines += [f"{a} = cbr({size})", f"{b} = {a} -> conv2d({size}, 1)", f"concat({a}, {b}) -> relu"]
            channels = 2 * size
    lines.append(f"adaptive_avgpool2d(1) -> flatten -> linear({outputs})")
    return CONV_BLOCKS + head + "layers:\n" + "".join(f"    {line}\n" for line in lines)


@ORACLE
@given(conv_specs())
def test_the_built_conv_module_is_the_spec(text):
    with tempfile.TemporaryDirectory() as folder:
        report = check_text(text, Path(folder), "conv_oracle")
    assert report.total_params > 0
    _count("conv", report.stateful_layers)


def _count(family: str, stateful: int) -> None:
    if COUNT_FILE:
        with open(COUNT_FILE, "a") as handle:
            handle.write(f"{family} {stateful}\n")
