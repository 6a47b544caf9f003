"""The figures behind `netc shapes` and `netc export`, for every spec in specs/: FLOPs from the spec against
FlopCounterMode on the built module, activation memory, and the largest difference between PyTorch and the
exported ONNX file (in onnxruntime) and ExportedProgram. Prints two Markdown tables.

Run: .venv/bin/python benchmarks/cost_and_export.py [--batch 64 --dtype bf16]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netspec.compiler.cost import dtype_name, show_bytes  # noqa: E402
from netspec.compiler.pipeline import compile_text  # noqa: E402
from netspec.compiler.summary import CostSettings, summary_json  # noqa: E402
from netspec.runtime.checkpoint import load_checkpoint  # noqa: E402
from netspec.runtime.export import export  # noqa: E402
from netspec.runtime.load import load  # noqa: E402

from tests.test_cost import counted_flops, example_sizes  # noqa: E402
from tests.test_export import reference, run_onnx, sample_inputs, trained_like_checkpoint  # noqa: E402

SPECS = sorted((ROOT / "specs").rglob("*.net"))


def cost_row(path: Path, batch: int, dtype: str | None) -> str:
    loaded = load(path)
    model = loaded.model_class().eval()
    env, inputs = example_sizes(loaded.metadata, batch)
    result = compile_text(path.read_text(), str(path))
    assert result.checked is not None
    settings = CostSettings(batch=batch, dims={k: v for k, v in env.items() if k != "N"}, dtype=dtype)
    cost = summary_json(result.checked, settings)["cost"]
    counted = counted_flops(model, inputs)
    dims = ", ".join(f"{k}={v}" for k, v in env.items() if k != "N")
    name = path.relative_to(ROOT / "specs").with_suffix("").as_posix() + (f" ({dims})" if dims else "")
    return f"| {name} | {cost['total_flops']:,} | {counted:,} | {show_bytes(cost['activation_bytes'])} |"


def export_row(path: Path, folder: Path) -> str:
    loaded = load(path)
    checkpoint = folder / f"{path.stem}.pt"
    model, normalizer = trained_like_checkpoint(loaded, checkpoint)
    inputs = sample_inputs(loaded.metadata, batch=5, symbolic=11)
    expected = reference(model, normalizer, inputs)
    start = time.perf_counter()
    state = load_checkpoint(checkpoint, loaded.metadata["spec_hash"])
    onnx_file = export(loaded, state, "onnx", folder / f"{path.stem}.onnx")
    onnx_seconds = time.perf_counter() - start
    onnx_diff = float(np.abs(run_onnx(onnx_file.path, loaded.metadata, inputs) - expected).max())
    program_file = export(
        loaded, torch.load(checkpoint, weights_only=True), "exported-program", folder / f"{path.stem}.pt2"
    )
    with torch.no_grad():
        program_out = torch.export.load(program_file.path).module()(*inputs).numpy()
    program_diff = float(np.abs(program_out - expected).max())
    name = path.relative_to(ROOT / "specs").with_suffix("").as_posix()
    return f"| {name} | {onnx_file.opset} | {onnx_diff:.2e} | {program_diff:.2e} | {onnx_seconds:.1f} s |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--dtype", default="bf16")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    dtype = dtype_name(args.dtype)
    print(f"FLOPs per forward pass at batch {args.batch}; activation memory in {dtype}\n")
    print("| spec | FLOPs (netc shapes) | FLOPs (FlopCounterMode) | activation memory |")
    print("|---|---:|---:|---:|")
    for path in SPECS:
        print(cost_row(path, args.batch, dtype), flush=True)
    print("\nexports against the PyTorch module (batch 5, symbolic dims 11)\n")
    print("| spec | ONNX opset | ONNX max diff | ExportedProgram max diff | ONNX export time |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for path in SPECS:
            print(export_row(path, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
