"""`netc export`: ONNX run in onnxruntime and the ExportedProgram, against the PyTorch module, for every spec."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from netspec.compiler.pipeline import compile_text
from netspec.compiler.summary import summary_json
from netspec.runtime.checkpoint import save_atomic
from netspec.runtime.load import load, load_text
from netspec.runtime.splits import Split, fit_normalizer

from tests.conftest import ROOT, netc
from tests.oracle import random_input

# the zoo's full-size torchvision models take minutes here: they run in the slow set (`pytest -m slow`)
ALL_SPECS = [
    pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.parent.name == "zoo" else [])
    for p in sorted((ROOT / "specs").rglob("*.net"))
]
TOLERANCE = 1e-4

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")


def sample_inputs(metadata: dict, batch: int, symbolic: int) -> list[torch.Tensor]:
    """Sizes that differ from the export's example (batch 2, symbolic 32), so a fixed size would show."""
    return [
        random_input(
            inp["dtype"], tuple(batch if d == "N" else symbolic if isinstance(d, str) else d for d in inp["shape"])
        )
        for inp in metadata["inputs"]
    ]


def trained_like_checkpoint(loaded, path, seed: int = 0):
    """What `netc train` stores: weights, spec hash, and a normalizer fitted on (shifted, scaled) data."""
    torch.manual_seed(seed)
    model = loaded.model_class().eval()
    (x,) = sample_inputs(loaded.metadata, 64, 9)
    if x.is_floating_point():
        x = x * 3 + 1.5
    kind = loaded.metadata["task"]["kind"]
    y = torch.randn(64, 1) * 10 + 4 if kind == "regression" else torch.zeros(64, dtype=torch.int64)
    normalizer = fit_normalizer(Split(x, y), kind)
    save_atomic(
        {"model": model.state_dict(), "spec_hash": loaded.metadata["spec_hash"], "normalizer": normalizer.state()},
        path,
    )
    return model, normalizer


def reference(model, normalizer, inputs: list[torch.Tensor], raw_inputs: bool = False) -> np.ndarray:
    first, *rest = inputs
    if not raw_inputs and first.is_floating_point():
        first = normalizer.inputs(first)
    with torch.no_grad():
        out = model(first, *rest)
    if normalizer.y_mean is not None:
        out = out * normalizer.y_std + normalizer.y_mean
    return out.numpy()


def run_onnx(path, metadata: dict, inputs: list[torch.Tensor]) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {inp["name"]: x.numpy() for inp, x in zip(metadata["inputs"], inputs, strict=True)}
    return session.run(None, feeds)[0]


def onnx_output_dims(path) -> list[int | str]:
    """The output shape by ONNX's own shape inference: a number, or the name of a dynamic dim."""
    inferred = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    return [d.dim_param or d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]


def netc_output_shape(path) -> list[int | str]:
    result = compile_text(path.read_text(), str(path))
    assert result.checked is not None
    return summary_json(result.checked)["output_shape"]


def shapes_missing_from_onnx(path, onnx_path) -> list[tuple]:
    """Every layer's output shape by netc that ONNX's shape inference finds nowhere in the exported graph.

    Dims written as expressions (`(L) // 2` here, `floor(L/2)` there) are left out of the comparison."""
    inferred = onnx.shape_inference.infer_shapes(onnx.load(str(onnx_path)))
    values = [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]
    found = {tuple(d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim) for v in values}
    result = compile_text(path.read_text(), str(path))
    assert result.checked is not None
    wanted = {tuple(layer["output_shape"]) for layer in summary_json(result.checked)["layers"]}
    plain = {s for s in wanted if all(isinstance(d, int) or d.isidentifier() for d in s)}
    return sorted(plain - found, key=str)


@pytest.mark.parametrize("path", ALL_SPECS)
def test_export_matches_pytorch(path, tmp_path):
    loaded = load(path)
    checkpoint = tmp_path / "best.pt"
    model, normalizer = trained_like_checkpoint(loaded, checkpoint)
    inputs = sample_inputs(loaded.metadata, batch=5, symbolic=11)
    expected = reference(model, normalizer, inputs)
    first = loaded.metadata["inputs"][0]
    symbolic = sorted({d for i in loaded.metadata["inputs"] for d in i["shape"] if isinstance(d, str)} - {"N"})

    def export(fmt: str, out):
        run = netc("export", str(path), "--checkpoint", str(checkpoint), "--format", fmt, "-o", str(out))
        fixed: list[str] = []
        if run.code == 1 and "error[E-export]" in run.err:
            # torch.export unrolls a recurrent layer over T, fixing it: netc says so, and exports at a fixed T
            assert "unrolls recurrent layers" in run.err and all(f"--dim {d}=SIZE" in run.err for d in symbolic)
            fixed = [arg for d in symbolic for arg in ("--dim", f"{d}=11")]
            run = netc("export", str(path), "--checkpoint", str(checkpoint), "--format", fmt, "-o", str(out), *fixed)
        assert run.code == 0, run.err
        assert f"dynamic dims: {first['name']}: N" in run.err
        assert ("input standardization" in run.err) == first["dtype"].startswith("float")
        return {d: 11 for d in symbolic} if fixed else {}

    onnx_path = tmp_path / "model.onnx"
    fixed = export("onnx", onnx_path)
    got = run_onnx(onnx_path, loaded.metadata, inputs)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= TOLERANCE * max(1.0, np.abs(expected).max())
    assert onnx_output_dims(onnx_path) == [fixed.get(d, d) for d in netc_output_shape(path)]
    if not fixed:
        assert shapes_missing_from_onnx(path, onnx_path) == []

    program_path = tmp_path / "model.pt2"
    export("exported-program", program_path)
    program = torch.export.load(program_path)
    with torch.no_grad():
        got = program.module()(*inputs).numpy()
    assert np.abs(got - expected).max() <= TOLERANCE * max(1.0, np.abs(expected).max())


def test_raw_inputs_leaves_the_standardization_out(tmp_path):
    path = ROOT / "specs" / "diabetes.net"
    loaded = load(path)
    checkpoint = tmp_path / "best.pt"
    model, normalizer = trained_like_checkpoint(loaded, checkpoint)
    out = tmp_path / "raw.onnx"
    run = netc("export", str(path), "--checkpoint", str(checkpoint), "--raw-inputs", "-o", str(out))
    assert run.code == 0 and "preprocessing inside: target scaling" in run.err
    inputs = sample_inputs(loaded.metadata, batch=4, symbolic=1)
    got = run_onnx(out, loaded.metadata, inputs)
    assert np.allclose(got, reference(model, normalizer, inputs, raw_inputs=True), atol=1e-4)
    assert not np.allclose(got, reference(model, normalizer, inputs), atol=1e-2)


SEQUENCE_CONV = """model SeqConv
input x: float32[N, 3, L]
task multiclass(classes=4)
layers:
    conv1d(8, kernel=3, padding=1) -> relu -> avgpool1d(2)
    conv1d(8, kernel=3, stride=2) -> relu
    adaptive_avgpool1d(1) -> flatten
    linear(4)
"""

SEQUENCE_GRU = """model SeqGRU
input x: float32[N, T, 5]
task binary
layers:
    gru(8) -> last
    linear(1)
"""


def spec_file(tmp_path, text: str):
    path = tmp_path / "spec.net"
    path.write_text(text)
    return path, load_text(text, str(path))


def test_symbolic_dims_stay_dynamic_and_keep_their_names(tmp_path):
    path, loaded = spec_file(tmp_path, SEQUENCE_CONV)
    checkpoint = tmp_path / "best.pt"
    model, normalizer = trained_like_checkpoint(loaded, checkpoint)
    out = tmp_path / "seq.onnx"
    run = netc("export", str(path), "--checkpoint", str(checkpoint), "-o", str(out))
    assert run.code == 0 and "dynamic dims: x: N, L" in run.err, run.err
    model_proto = onnx.load(str(out))
    assert [d.dim_param or d.dim_value for d in model_proto.graph.input[0].type.tensor_type.shape.dim] == ["N", 3, "L"]
    assert shapes_missing_from_onnx(path, out) == []
    for length in (7, 40, 101):
        inputs = sample_inputs(loaded.metadata, batch=3, symbolic=length)
        assert np.allclose(run_onnx(out, loaded.metadata, inputs), reference(model, normalizer, inputs), atol=1e-4)


def test_a_dim_torch_export_fixes_is_a_diagnostic_with_the_fix(tmp_path):
    path, loaded = spec_file(tmp_path, SEQUENCE_GRU)
    checkpoint = tmp_path / "best.pt"
    model, normalizer = trained_like_checkpoint(loaded, checkpoint)
    run = netc("export", str(path), "--checkpoint", str(checkpoint), "-o", str(tmp_path / "gru.onnx"))
    assert run.code == 1 and "error[E-export]" in run.err and "--dim T=SIZE" in run.err
    assert "Traceback" not in run.err
    fixed = tmp_path / "gru.pt2"
    run = netc(
        "export",
        str(path),
        "--checkpoint",
        str(checkpoint),
        "--dim",
        "T=12",
        "--format",
        "exported-program",
        "-o",
        str(fixed),
    )
    assert run.code == 0 and "dynamic dims: x: N" in run.err, run.err
    inputs = sample_inputs(loaded.metadata, batch=6, symbolic=12)
    with torch.no_grad():
        got = torch.export.load(fixed).module()(*inputs).numpy()
    assert np.allclose(got, reference(model, normalizer, inputs), atol=1e-4)


def test_export_refuses_a_checkpoint_of_another_spec(tmp_path):
    other = load(ROOT / "specs" / "breast_cancer.net")
    checkpoint = tmp_path / "best.pt"
    trained_like_checkpoint(other, checkpoint)
    run = netc(
        "export", str(ROOT / "specs" / "diabetes.net"), "--checkpoint", str(checkpoint), "-o", str(tmp_path / "m.onnx")
    )
    assert run.code == 1 and "error[E-checkpoint]" in run.err and "different model" in run.err
    assert not (tmp_path / "m.onnx").exists()
    missing = netc("export", str(ROOT / "specs" / "diabetes.net"), "--checkpoint", str(tmp_path / "none.pt"))
    assert missing.code in (1, 2) and "no such checkpoint" in missing.err


def test_a_trained_run_exports_to_what_predict_prints(tmp_path):
    """End to end: `netc train` fits the standardization, the ONNX file takes raw rows like `netc predict`."""
    import json

    from sklearn.datasets import load_diabetes

    spec = ROOT / "specs" / "diabetes.net"
    run = netc("train", str(spec), "--quiet", "--epochs", "2", "--out", str(tmp_path / "run"))
    assert run.code == 0, run.err
    checkpoint = tmp_path / "run" / "checkpoints" / "best.pt"
    out = tmp_path / "diabetes.onnx"
    assert netc("export", str(spec), "--checkpoint", str(checkpoint), "-o", str(out)).code == 0
    x = load_diabetes().data[:7].astype(np.float32)
    np.savez(tmp_path / "x.npz", x=x)
    printed = netc("predict", str(spec), "--checkpoint", str(checkpoint), "--input", str(tmp_path / "x.npz"))
    assert printed.code == 0, printed.err
    values = np.array([json.loads(line)["values"] for line in printed.out.splitlines()])
    got = run_onnx(out, load(spec).metadata, [torch.from_numpy(x)])
    assert np.allclose(got, values, rtol=1e-4, atol=1e-3)
