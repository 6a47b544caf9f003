"""Shape inference agrees with PyTorch: random stacks and graphs over the whole catalog (hypothesis).

For each generated spec, the compiler's verdict (shapes line up or not) must equal what
PyTorch does on a real forward pass, every inferred shape must equal the real one, and
the parameter count must equal sum(p.numel()). CI runs NETC_ORACLE_EXAMPLES (default 150);
`make test-slow` runs many more.
"""

from __future__ import annotations

import os
import random

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netspec.compiler.catalog import CATALOG
from netspec.compiler.imports import with_imports
from netspec.compiler.pipeline import parse
from netspec.compiler.resolve import resolve
from netspec.compiler.shapes import infer_types
from netspec.compiler.source import SourceFile
from netspec.compiler.symbolic import evaluate, symbols

from tests.conftest import SPECS
from tests.oracle import build_modules, count_params, graph_symbols, instantiate, random_input, run_graph

EXAMPLES = int(os.environ.get("NETC_ORACLE_EXAMPLES", "150"))
ORACLE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

# Verdicts where netc is deliberately stricter than PyTorch (documented in docs/design.md):
# E-symbolic (the module cannot be built without the size). Every other such case carries a note
# starting "PyTorch would ...", which tells the user what PyTorch would have done instead.
STRICTER = {"E-symbolic"}


def check_spec(text: str, seed: int = 0) -> str:
    """Compare netc and torch on one spec; return a short verdict label for statistics."""
    source = SourceFile("oracle.net", text)
    program, diags = parse(source)
    assert program is not None, (text, diags)
    program, _ = with_imports(program, source.name)
    graph, diags = resolve(program)
    if graph is None:
        return "resolve-error"
    types, inferred, shape_diags = infer_types(graph)
    errors = [d for d in shape_diags if d.is_error]
    if errors and all(_stricter_by_design(d) for d in errors):
        _notes_agree_with_torch(graph, types, errors, text)
        return "stricter"
    rng = random.Random(seed)
    symbols = sorted(graph_symbols(graph) - {"N"})
    envs = [{"N": n, **{s: rng.randint(1, 40) for s in symbols}} for n in (1, 2, 3)]
    # stacked strided transposed convolutions grow sizes geometrically: keep torch's side small
    envs = [env for env in envs if _largest(types, env) <= MAX_ELEMENTS and _in_domain(graph, types, env)]
    if not envs:
        return "too-large"
    modules = build_modules(graph, types)
    if errors:
        # netc rejects: torch must refuse too, at construction or for every valid instantiation we try
        if isinstance(modules, str):
            return "untestable" if modules.startswith("untestable") else "both-reject"
        runs = []
        for env in envs:
            inputs = {
                n.id: random_input(n.dtype, tuple(env.get(d, d) if isinstance(d, str) else d for d in n.dims))
                for n in graph.inputs
            }
            runs.append(run_graph(graph, modules, inputs, train=False))
            if env["N"] >= 2:  # train mode too (dropout on integers fails only there); batchnorm needs N >= 2
                runs.append(run_graph(graph, modules, inputs, train=True))
        assert not all(r.ok for r in runs), f"netc rejected but torch ran:\n{text}\nnetc: {[d.message for d in errors]}"
        return "both-reject"
    assert not isinstance(modules, str), f"netc accepted but torch refused to build:\n{text}\n{modules}"
    assert sum(inferred.values()) == count_params(modules), text
    tried = 0
    for env in envs:
        expected = instantiate(graph, types, env)
        if expected is None:
            continue
        tried += 1
        inputs = {n.id: random_input(n.dtype, expected[n.id], vocab=_vocab(graph)) for n in graph.inputs}
        for train in (False, True) if env["N"] >= 2 else (False,):
            run = run_graph(graph, modules, inputs, train=train)
            assert run.ok, f"netc accepted but torch failed (train={train}):\n{text}\nenv={env}\n{run.error}"
            for node_id, shape in expected.items():
                assert run.shapes[node_id] == shape, (
                    f"{node_id}: netc {shape} vs torch {run.shapes[node_id]}\n{text}\nenv={env}"
                )
    return "both-accept" if tried else "no-valid-env"


MAX_ELEMENTS = 4_000_000
# notes that name no single outcome (checked on their own in tests/test_defects_10.py)
_UNTESTABLE_NOTES = ("PyTorch would run some such layers",)


def _notes_agree_with_torch(graph, types, errors, text: str) -> None:
    """A 'PyTorch would ...' note is a claim: run the layer it is about in torch, on the input netc saw."""
    nodes_at: dict[tuple[int, int, int, int], list] = {}
    for node in graph.nodes:
        nodes_at.setdefault((node.span.line, node.span.column, node.span.end_line, node.span.end_column), []).append(
            node
        )
    for diag in errors:
        notes = [n for n in diag.notes if n.startswith("PyTorch would") and not n.startswith(_UNTESTABLE_NOTES)]
        key = (diag.span.line, diag.span.column, diag.span.end_line, diag.span.end_column)
        node = next((n for n in nodes_at.get(key, []) if all(i in types for i in n.inputs)), None)
        if not notes or node is None:
            continue
        if "only when N equals" in notes[0]:  # "only when": at any other N it must fail
            channels = types[node.inputs[0]].shape[1]
            if isinstance(channels, int):
                assert _layer_runs(node, types, channels + 1) in (False, None), f"{notes[0]!r}:\n{text}"
            continue
        ran = _layer_runs(node, types)
        expect = "would raise" not in notes[0]
        if "(other sizes raise)" in notes[0]:  # the claim holds for output size 1 only
            expect = node.args.get("size") in (1, (1, 1), (1, 1, 1))
        if ran is False and expect and "unbatched" in notes[0] and _layer_runs(node, types, lead=2) is False:
            continue  # the arguments fail in torch at the right rank too: a different error, not this claim
        if ran is not None:
            assert ran == expect, f"note {notes[0]!r} but torch ran={ran}:\n{text}"


def _layer_runs(node, types, batch: int = 2, lead: int | None = None) -> bool | None:
    """Whether torch runs this one layer on a random input of netc's inferred input shapes (None: not buildable)."""
    env = {"N": batch}
    inputs = []
    for i in node.inputs:
        dims = _concrete(types[i].shape, env)
        dims = dims if lead is None else (lead, *dims)
        if any(d < 1 for d in dims) or len(dims) > 6:
            return None
        inputs.append(random_input(types[i].dtype, dims))
    try:
        made = CATALOG[node.op].module([types[i] for i in node.inputs], node.args)
        module = eval(f"{made[0]}({', '.join(made[1])})", {"nn": torch.nn}) if made else None
    except Exception:
        return None
    names = [f"v{k}" for k in range(len(inputs))]
    scope = {"m": module, "torch": torch, "F": torch.nn.functional, **dict(zip(names, inputs, strict=True))}
    try:
        with torch.no_grad():
            eval(CATALOG[node.op].call("m", names, node.args), scope)
    except Exception:
        return False
    return True


def _concrete(shape, env: dict[str, int]) -> tuple[int, ...]:
    for symbol in sorted({s for d in shape for s in symbols(d)}):
        env.setdefault(symbol, 5)
    return tuple(evaluate(d, env) for d in shape)


def _largest(types, env) -> int:
    """The most elements any inferred tensor has under `env` (dims evaluated, clamped at 0)."""
    largest = 0
    for t in types.values():
        size = 1
        for d in t.shape:
            size *= max(evaluate(d, env), 0)
        largest = max(largest, size)
    return largest


def _in_domain(graph, types, env) -> bool:
    """instancenorm needs more than one spatial element, groupnorm more than one value per group (netc rejects
    both where the sizes are known); a symbol set to 1 leaves that domain."""
    for node in graph.nodes:
        if node.op in ("instancenorm", "groupnorm") and node.inputs[0] in types:
            shape = types[node.inputs[0]].shape
            size = shape[1] // node.args["groups"] if node.op == "groupnorm" else 1
            for d in shape[2:]:
                size *= evaluate(d, env)
            if size == 1:
                return False
    return True


def _stricter_by_design(diag) -> bool:
    """netc explains, in a note, when PyTorch would have run the spec (often silently wrong)."""
    return diag.code in STRICTER or any(note.startswith("PyTorch would") for note in diag.notes)


def _vocab(graph) -> int:
    sizes = [n.args["vocab"] for n in graph.nodes if n.op == "embedding"]
    return min(sizes) if sizes else 2


# ---- spec generation --------------------------------------------------------------------

INPUTS = {
    2: ["float32[N, {a}]"],
    3: ["float32[N, {c}, {l}]", "float32[N, T, {a}]", "float32[N, {c}, L]"],
    4: ["float32[N, {c}, {h}, {w}]", "float32[N, {c}, H, W]", "float32[N, {c}, H, {w}]"],
    5: ["float32[N, {c}, {d}, {h}, {w}]"],
}


# layers that fit a tensor of each rank (the generator picks these 4 times in 5) and the rank they give
FITS = {
    2: ["linear", "batchnorm", "layernorm", "dropout", "relu", "gelu", "tanh", "softmax", "reshape", "embedding",
        "relu6", "hardswish", "prelu", "glu", "groupnorm", "celu", "softsign"],
    3: ["conv1d", "conv_transpose1d", "maxpool1d", "avgpool1d", "adaptive_avgpool1d", "adaptive_maxpool1d", "rnn", "lstm", "gru",
        "last", "flatten", "permute", "batchnorm", "layernorm", "linear", "dropout1d", "silu", "instancenorm", "hardtanh",
        "logsigmoid", "glu", "upsample", "chunk", "channel_shuffle", "mean", "stochastic_depth"],
    4: ["conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d", "adaptive_avgpool2d", "adaptive_maxpool2d", "batchnorm", "dropout2d",
        "flatten", "permute", "elu", "leaky_relu", "mish", "identity", "selu", "softplus", "sigmoid", "log_softmax",
        "hardsigmoid", "layernorm2d", "groupnorm", "instancenorm", "prelu", "linear", "upsample", "pixel_shuffle",
        "pixel_unshuffle", "chunk", "channel_shuffle", "mean", "stochastic_depth", "narrow"],
    5: ["conv3d", "conv_transpose3d", "batchnorm", "flatten", "relu", "instancenorm", "groupnorm", "maxpool3d",
        "avgpool3d", "adaptive_avgpool3d", "adaptive_maxpool3d", "upsample", "mean", "chunk"],
}  # fmt: skip
ALL_LAYERS = sorted({name for names in FITS.values() for name in names} | {"dropout"})


@st.composite
def layer_call(draw, rank: int) -> tuple[str, int]:
    small = st.integers(1, 5)
    kernel = st.one_of(small, st.lists(small, min_size=2, max_size=2).map(lambda v: f"[{v[0]}, {v[1]}]"))
    ch = st.integers(1, 12)
    fitting = FITS.get(rank, ALL_LAYERS)
    choice = draw(st.sampled_from(fitting if draw(st.integers(0, 4)) else ALL_LAYERS))
    if choice == "linear":
        return f"linear({draw(ch)})", rank
    if choice.startswith("conv_transpose"):
        s = draw(st.integers(1, 3))
        groups = draw(st.sampled_from([1, 1, 1, 2]))
        dil = draw(st.sampled_from([1, 1, 2]))
        return (
            f"{choice}({draw(ch) * groups}, {draw(small)}, stride={s}, padding={draw(st.integers(0, 2))}, "
            f"output_padding={draw(st.integers(0, 2))}, groups={groups}, dilation={dil})",
            rank,
        )
    if choice.startswith("conv"):
        groups = draw(st.sampled_from([1, 1, 1, 2]))
        padding = draw(st.sampled_from(["0", "1", "2", "same", "valid"]))
        stride = 1 if padding == "same" else draw(st.integers(1, 3))
        dil = draw(st.integers(1, 2))
        k = draw(kernel) if choice == "conv2d" else draw(small)
        bias = draw(st.sampled_from(["true", "false"]))
        return (
            f"{choice}({draw(ch) * groups}, {k}, stride={stride}, padding={padding}, dilation={dil}, groups={groups}, bias={bias})",
            rank,
        )
    if choice.startswith(("maxpool", "avgpool")):
        k = draw(st.integers(1, 4))
        extra = f", dilation={draw(st.integers(1, 2))}" if choice.startswith("max") else ""
        stride = draw(st.sampled_from(["none", "1", "2", "3"]))
        ceil = draw(st.sampled_from(["true", "false"]))
        return f"{choice}({k}, stride={stride}, padding={draw(st.integers(0, 2))}, ceil_mode={ceil}{extra})", rank
    if choice.startswith("adaptive"):
        return f"{choice}({draw(st.integers(1, 4))})", rank
    if choice == "flatten":
        return draw(
            st.sampled_from(
                [("flatten", 2), ("flatten(2)", rank - 1), ("flatten(1, 2)", rank - 1), ("flatten(start=2, end=-1)", 3)]
            )
        )
    if choice == "reshape":
        return draw(
            st.sampled_from(
                [("reshape(-1)", 2), ("reshape(2, -1)", 3), ("reshape(-1, 4)", 3), ("reshape(4, 2, -1)", 4)]
            )
        )
    if choice == "permute":
        return draw(st.sampled_from([("permute(0, 2, 1)", 3), ("permute(0, 1, 3, 2)", 4), ("permute(0, 2, 1, 3)", 4)]))
    if choice in ("dropout", "dropout1d", "dropout2d"):
        return f"{choice}(0.5)", rank
    if choice == "layernorm":
        size, sizes = draw(small), draw(st.lists(small, min_size=2, max_size=2))
        forms = ["layernorm", "layernorm(dims=2)", "layernorm(affine=false)", "layernorm(bias=false, eps=1e-3)"]
        return draw(st.sampled_from([*forms, f"layernorm({size})", f"layernorm([{sizes[0]}, {sizes[1]}])"])), rank
    if choice in ("batchnorm", "layernorm2d", "instancenorm"):
        extra = {
            "batchnorm": ["eps=1e-3", "momentum=0.2, affine=false"],
            "layernorm2d": ["eps=1e-6", "affine=false"],
            "instancenorm": ["affine=true", "track_running_stats=true", "affine=true, eps=1e-3"],
        }[choice]
        written = draw(st.sampled_from(["", f"{draw(small)}"]))
        args = ", ".join(a for a in (written, draw(st.sampled_from(["", *extra]))) if a)
        return (f"{choice}({args})" if args else choice), rank
    if choice == "groupnorm":
        groups = draw(st.integers(1, 3))
        return draw(st.sampled_from([f"groupnorm({groups})", f"groupnorm({groups}, {draw(small)})"])), rank
    if choice == "prelu":
        return draw(st.sampled_from(["prelu", f"prelu({draw(small)})", "prelu(init=0.1)"])), rank
    if choice == "glu":
        return draw(st.sampled_from(["glu", "glu(dim=1)", "glu(dim=-2)"])), rank
    if choice == "hardtanh":
        return draw(st.sampled_from(["hardtanh", "hardtanh(-2, 3)", "hardtanh(min=0.5, max=0.5)"])), rank
    if choice == "upsample":
        mode = draw(
            st.sampled_from(
                [
                    "",
                    ", mode=nearest",
                    ", mode=linear",
                    ", mode=bilinear, align_corners=true",
                    ", mode=bicubic",
                    ", mode=trilinear",
                    ", mode=area",
                    ', mode="nearest-exact"',
                ]
            )
        )
        target = draw(
            st.sampled_from(
                [
                    "scale=2",
                    "scale=0.5",
                    "scale=1.7",
                    f"size={draw(small)}",
                    f"size=[{draw(small)}, {draw(small)}]",
                    f"size=[2, 3, {draw(small)}]",
                ]
            )
        )
        return f"upsample({target}{mode})", rank
    if choice in ("pixel_shuffle", "pixel_unshuffle"):
        return f"{choice}({draw(st.integers(1, 3))})", rank
    if choice == "chunk":
        chunks = draw(st.integers(1, 4))
        return f"chunk({chunks}, {draw(st.integers(0, chunks))}, dim={draw(st.integers(-1, 2))})", rank
    if choice == "narrow":
        return f"narrow({draw(st.integers(0, 3))}, {draw(st.integers(1, 4))}, dim={draw(st.integers(-1, 2))})", rank
    if choice == "channel_shuffle":
        return f"channel_shuffle({draw(st.integers(1, 3))})", rank
    if choice == "mean":
        return draw(
            st.sampled_from(
                [
                    ("mean(2)", rank - 1),
                    ("mean([2, 3])", rank - 2),
                    ("mean([-1], keepdim=true)", rank),
                    ("mean([1, 2], keepdim=true)", rank),
                    ("mean([2, 2])", rank),
                ]
            )
        )
    if choice == "stochastic_depth":
        return draw(st.sampled_from(["stochastic_depth(0.5)", "stochastic_depth(0.2, mode=batch)"])), rank
    if choice == "gelu":
        return draw(st.sampled_from(["gelu", "gelu(approximate=tanh)"])), rank
    if choice == "celu":
        return draw(st.sampled_from(["celu", "celu(alpha=0.5)"])), rank
    if choice == "embedding":
        return f"embedding(vocab={draw(st.integers(2, 20))}, dim={draw(ch)})", rank + 1
    if choice in ("rnn", "lstm", "gru"):
        bidi = draw(st.sampled_from(["true", "false"]))
        return f"{choice}({draw(ch)}, layers={draw(st.integers(1, 2))}, bidirectional={bidi})", 3
    if choice == "last":
        return "last", 2
    if choice in ("softmax", "log_softmax"):
        return f"{choice}(dim={draw(st.integers(-2, 1))})", rank
    if choice == "leaky_relu":
        return "leaky_relu(0.2)", rank
    return choice, rank


@st.composite
def chain_for(draw, rank: int) -> tuple[str, int]:
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        text, rank = draw(layer_call(rank))
        steps.append(text)
    return " -> ".join(steps), rank


@st.composite
def random_spec(draw) -> str:
    rank = draw(st.sampled_from([2, 3, 3, 4, 4, 4, 5]))
    template = draw(st.sampled_from(INPUTS[rank]))
    dims = {k: draw(st.integers(1, 16)) for k in "aclhwd"}
    dims["c"] = draw(st.integers(1, 6))
    dtype_decl = template.format(**dims)
    if draw(st.integers(0, 9)) == 0:
        dtype_decl = "int64" + dtype_decl[len("float32") :]
    lines = ["model Oracle", f"input x: {dtype_decl}", "task regression", "layers:"]
    named: int | None = None
    declared = False
    for _ in range(draw(st.integers(1, 6))):
        form = draw(st.integers(0, 9))
        chain, rank = draw(chain_for(rank))
        if form == 0 and named is None:
            lines.append(f"    r = {chain}")
            named = rank
        elif form in (1, 2) and named is not None:
            # a branch from r, combined with r again: residual-style graphs
            branch, _ = draw(chain_for(named))
            lines.append(f"    y = r -> {branch}")
            if form == 1:
                lines.append(f"    (r {draw(st.sampled_from(['+', '*', '-']))} y)")
            elif draw(st.booleans()):
                mode = draw(st.sampled_from(["", ", mode=bilinear", ", mode=linear, align_corners=true"]))
                lines.append(f"    upsample_like({draw(st.sampled_from(['y, r', 'r, y']))}{mode})")
            else:
                lines.append(f"    concat(r, y, dim={draw(st.integers(1, 2))})")
            rank, named = named, None
        elif form == 3 and not declared:
            # a declared learnable tensor, broadcast against the current value
            k = draw(st.integers(1, 6))
            shape = draw(
                st.sampled_from(["[1]", f"[{k}]", f"[{k}, 1, 1]", f"[1, {k}, 1, 1]", f"[{k}, 1]", f"[1, {k}]"])
            )
            init = draw(
                st.sampled_from(
                    ["1e-6", "zeros", "ones", "normal(std=0.02)", "-0.5", "normal(1, 0.5)", "trunc_normal(std=0.1)"]
                )
            )
            lines += [f"    here = {chain}", f"    param p: {shape} = {init}"]
            use = draw(st.integers(0, 2))
            if use == 2:  # a class token over the batch
                lines.append("    expand_batch(p, here)")
                rank, declared = shape.count(",") + 1, True
                continue
            lines.append(f"    (here {draw(st.sampled_from(['+', '*', '-']))} p)" if use else "    (p * here)")
            rank, declared = max(rank, shape.count(",") + 1), True
        elif form == 4:
            # a value and a number (catalog layers scalar and neg): `s * 0.5`, `1 - s`, `-s`, `s / 4`, `s + 3`
            name = f"s{len(lines)}"
            lines.append(f"    {name} = {chain}")
            forms = [f"{name} * 0.5", f"1 - {name}", f"-{name}", f"{name} / 4", f"{name} + 3", f"2 * {name}"]
            lines.append(f"    ({draw(st.sampled_from(forms))})")
        else:
            lines.append(f"    {chain}")
    return "\n".join(lines) + "\n"


@ORACLE
@given(random_spec(), st.integers(0, 2**16))
def test_netc_agrees_with_torch(spec, seed):
    torch.manual_seed(seed)
    check_spec(spec, seed)


@pytest.mark.parametrize("path", [p for p in SPECS if p.stem != "resnet18"], ids=lambda p: p.stem)
def test_shipped_specs_agree_with_torch(path):
    assert check_spec(path.read_text()) == "both-accept"


def test_resnet18_matches_torchvision():
    from netspec.compiler.pipeline import compile_text
    from torchvision.models import resnet18

    from tests.conftest import ROOT

    result = compile_text((ROOT / "specs" / "resnet18.net").read_text())
    assert result.checked is not None
    assert result.checked.total_params == sum(p.numel() for p in resnet18().parameters()) == 11_689_512
