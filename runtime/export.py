"""Export a trained spec to ONNX or a torch.export ExportedProgram, with its preprocessing inside the graph.

The batch dimension and every symbolic dimension of the spec stay dynamic (named after the spec's
dims). The input standardization fitted at training time, stored in the checkpoint, is folded in
front of the model (and the target scaling of a regression behind it), so an exported model takes
the same raw inputs `netc predict` takes and gives the same values; `raw_inputs` / `raw_outputs`
leave them out on purpose.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from netspec.compiler.catalog import CATALOG
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.load import LoadedSpec
from netspec.runtime.splits import Normalizer
from torch import nn

FORMATS = ("onnx", "exported-program")
SUFFIX = {"onnx": ".onnx", "exported-program": ".pt2"}
EXAMPLE_BATCH = 2  # torch.export specializes sizes 0 and 1; any other example keeps N general
EXAMPLE_SYMBOLIC = 32


class WithPreprocessing(nn.Module):
    """The spec's model between its input standardization and its target scaling, as buffers."""

    def __init__(self, model: nn.Module, normalizer: Normalizer, raw_inputs: bool, raw_outputs: bool) -> None:
        super().__init__()
        self.model = model
        self.standardize = not raw_inputs and normalizer.x_mean is not None
        self.rescale = not raw_outputs and normalizer.y_mean is not None
        if self.standardize:
            self.register_buffer("x_mean", normalizer.x_mean.float().clone())
            self.register_buffer("x_std", normalizer.x_std.float().clone())
        if self.rescale:
            self.register_buffer("y_mean", normalizer.y_mean.float().clone())
            self.register_buffer("y_std", normalizer.y_std.float().clone())

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        first, *rest = inputs
        if self.standardize and first.is_floating_point():
            first = (first - self.x_mean) / self.x_std
        out = self.model(first, *rest)
        if self.rescale:
            out = out * self.y_std + self.y_mean
        return out


@dataclass(frozen=True)
class Exported:
    path: Path
    format: str
    dynamic: dict[str, list[str]]  # input name -> its dynamic dims, by the spec's names
    standardized: bool
    rescaled: bool
    opset: int | None = None


def example_inputs(
    metadata: dict[str, Any], sizes: dict[str, int]
) -> tuple[list[torch.Tensor], dict[str, dict[int, str]]]:
    """One example tensor per input, and for each input the axes that stay dynamic with the spec's dim names."""
    tensors, dynamic = [], {}
    for inp in metadata["inputs"]:
        shape = [
            d if isinstance(d, int) else sizes.get(d, EXAMPLE_BATCH if d == "N" else EXAMPLE_SYMBOLIC)
            for d in inp["shape"]
        ]
        dtype = getattr(torch, inp["dtype"])
        tensors.append(torch.randn(shape, dtype=dtype) if dtype.is_floating_point else torch.zeros(shape, dtype=dtype))
        dynamic[inp["name"]] = {axis: d for axis, d in enumerate(inp["shape"]) if isinstance(d, str) and d not in sizes}
    return tensors, dynamic


def _symbols(inp: dict[str, Any]) -> list[str]:
    return [d for d in inp["shape"] if isinstance(d, str)]


def wrapped(loaded: LoadedSpec, state: dict[str, Any], raw_inputs: bool, raw_outputs: bool) -> WithPreprocessing:
    model = loaded.model_class()
    model.load_state_dict(state["model"])
    normalizer = Normalizer.from_state(state.get("normalizer", {}))
    return WithPreprocessing(model, normalizer, raw_inputs, raw_outputs).eval()


def _fixed_dims_problem(exc: Exception, dynamic: dict[str, dict[int, str]], recurrent: bool) -> RuntimeProblem:
    names = sorted({d for axes in dynamic.values() for d in axes.values()} - {"N"})
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    fix = " ".join(f"--dim {n}=SIZE" for n in names)
    return RuntimeProblem(
        f"torch.export could not keep {', '.join(names) or 'the batch dimension'} dynamic: {first}",
        code="E-export",
        notes=("torch.export unrolls recurrent layers over their time steps, which fixes the length",)
        if recurrent
        else (),
        help=f"export with a fixed size: {fix}" if names else "report this spec; the batch dimension should export",
    )


def export_program(module: nn.Module, inputs: list[torch.Tensor], dynamic: dict[str, dict[int, str]], recurrent: bool):
    """torch.export with every named axis DYNAMIC: torch infers the ranges the layers need (L >= kernel...)."""
    shapes = tuple({axis: torch.export.Dim.DYNAMIC for axis in axes} for axes in dynamic.values())
    try:
        return torch.export.export(module, tuple(inputs), dynamic_shapes={"inputs": shapes})
    except Exception as exc:  # torch reports a dimension it had to fix as a UserError with its guards
        raise _fixed_dims_problem(exc, dynamic, recurrent) from None


def export(
    loaded: LoadedSpec,
    state: dict[str, Any],
    fmt: str,
    out: Path,
    *,
    sizes: dict[str, int] | None = None,
    raw_inputs: bool = False,
    raw_outputs: bool = False,
    opset: int | None = None,
) -> Exported:
    module = wrapped(loaded, state, raw_inputs, raw_outputs)
    inputs, dynamic = example_inputs(loaded.metadata, sizes or {})
    checked = loaded.compilation.checked
    recurrent = checked is not None and any(CATALOG[n.op].category == "recurrent" for n in checked.graph.nodes)
    program = export_program(module, inputs, dynamic, recurrent)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.netc-tmp{out.suffix}")  # torch.export.save wants the .pt2 suffix
    used_opset = None
    if fmt == "exported-program":
        torch.export.save(program, tmp)
    else:
        used_opset = _write_onnx(program, tmp, loaded.metadata["inputs"], opset)
    tmp.replace(out)
    return Exported(
        out,
        fmt,
        {name: list(axes.values()) for name, axes in dynamic.items()},
        module.standardize,
        module.rescale,
        used_opset,
    )


def _write_onnx(program: Any, path: Path, inputs: list[dict[str, Any]], opset: int | None) -> int:
    try:
        import onnx
        import onnxscript  # noqa: F401  (the exporter needs it; say so before torch does)
    except ImportError:
        raise RuntimeProblem(
            "ONNX export needs the onnx and onnxscript packages",
            code="E-usage",
            help="pip install 'netspec[export]'",
        ) from None
    chatter = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(chatter):
        warnings.simplefilter("ignore")
        onnx_program = torch.onnx.export(
            program, input_names=[i["name"] for i in inputs], output_names=["output"], opset_version=opset, dynamo=True
        )
    proto = onnx_program.model_proto
    name_dynamic_dims(proto, inputs)
    onnx.save(proto, str(path))
    return int(next(o.version for o in proto.opset_import if o.domain == ""))


def name_dynamic_dims(proto: Any, inputs: list[dict[str, Any]]) -> None:
    """The exporter names dynamic dims s0, s1...; give them the spec's names (N, T) everywhere they appear."""
    rename: dict[str, str] = {}
    for value, inp in zip(proto.graph.input, inputs, strict=False):
        for dim, spec_dim in zip(value.type.tensor_type.shape.dim, inp["shape"], strict=False):
            if dim.dim_param and isinstance(spec_dim, str):
                rename[dim.dim_param] = spec_dim
    if not rename:
        return
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, rename)) + r")\b")
    for value in (*proto.graph.input, *proto.graph.output, *proto.graph.value_info):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = pattern.sub(lambda m: rename[m.group(1)], dim.dim_param)
