"""PyTorch as the oracle: run a resolved graph with real torch modules, node by node.

Each node is built from exactly the constructor and call text that codegen emits
(`LayerSpec.module` / `LayerSpec.call`), so this checks shape rules, parameter
counts and the generated PyTorch together.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import SimpleNamespace

import torch
import torch.nn.functional as F
import torchvision.ops
from netspec.compiler.catalog import CATALOG
from netspec.compiler.graph import Graph
from netspec.compiler.shapes import input_type
from netspec.compiler.symbolic import evaluate, symbols
from netspec.compiler.tensor_types import TensorType
from torch import nn

TORCH_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int64": torch.int64,
    "int32": torch.int32,
    "int16": torch.int16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "bool": torch.bool,
}


@dataclass
class TorchRun:
    ok: bool
    error: str
    shapes: dict[str, tuple[int, ...]]
    params: int


def random_input(dtype: str, shape: tuple[int, ...], vocab: int = 2) -> torch.Tensor:
    if dtype.startswith(("int", "uint")):
        return torch.randint(0, vocab, shape, dtype=TORCH_DTYPES[dtype])
    if dtype == "bool":
        return torch.rand(shape) > 0.5
    return torch.randn(shape, dtype=TORCH_DTYPES[dtype])


def build_modules(graph: Graph, types: dict[str, TensorType]) -> dict[str, nn.Module] | str:
    """Construct every layer module from the codegen text; an error message if torch refuses."""
    modules: dict[str, nn.Module] = {}
    for node in graph.nodes:
        if any(i not in types for i in node.inputs):
            return "input type unknown"
        try:
            made = CATALOG[node.op].module([types[i] for i in node.inputs], node.args)
        except Exception:
            assert node.id not in types, f"module() failed on a layer netc accepted: {node.id}"
            return "untestable: netc rejected this layer and its constructor arguments are undefined"
        if made is None:
            continue
        cls, args = made
        wrap = CATALOG[node.op].wrap
        text = f"{cls}({', '.join(args)})"
        text = wrap(node.args).replace("{}", text, 1) if wrap is not None else text
        try:
            modules[node.id] = eval(text, support_namespace())
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
    return modules


@functools.cache
def support_namespace() -> dict[str, object]:
    """torch, F, nn and the helper code layers put into generated modules (attention's class, positions)."""
    namespace: dict[str, object] = {"torch": torch, "F": F, "nn": nn, "torchvision": torchvision}
    for spec in CATALOG.values():
        for text in spec.support:
            exec(text, namespace)  # the catalog's own fixed source text, as codegen writes it
    return namespace


def run_graph(
    graph: Graph, modules: dict[str, nn.Module], inputs: dict[str, torch.Tensor], train: bool = False
) -> TorchRun:
    values: dict[str, torch.Tensor] = dict(inputs)
    shapes = {k: tuple(v.shape) for k, v in inputs.items()}
    attrs = SimpleNamespace(training=train, **{k.replace(".", "_"): _mode(m, train) for k, m in modules.items()})
    params = count_params(modules)
    with torch.no_grad():
        for node in graph.nodes:
            attr = f"self.{node.id.replace('.', '_')}" if node.id in modules else None
            names = [f"v{index}" for index in range(len(node.inputs))]
            args = (
                node.args
                if "tie" not in node.args
                else {**node.args, "tie": f"self.{node.args['tie'].replace('.', '_')}"}
            )
            expr = CATALOG[node.op].call(attr, names, args)
            scope = {"self": attrs, **{n: values[i] for n, i in zip(names, node.inputs, strict=True)}}
            try:
                out = eval(expr, support_namespace(), scope)
            except Exception as exc:
                return TorchRun(False, f"{node.id} ({node.op}): {type(exc).__name__}: {exc}", shapes, params)
            values[node.id] = out
            shapes[node.id] = tuple(out.shape)
    return TorchRun(True, "", shapes, params)


def _mode(m: nn.Module | nn.Parameter, train: bool) -> nn.Module | nn.Parameter:
    return m.train(train) if isinstance(m, nn.Module) else m


def count_params(modules: dict[str, nn.Module | nn.Parameter]) -> int:
    """Every parameter of the layers' modules, and the declared `param` tensors themselves."""
    return sum(p.numel() for m in modules.values() for p in (m.parameters() if isinstance(m, nn.Module) else [m]))


def instantiate(graph: Graph, types: dict[str, TensorType], env: dict[str, int]) -> dict[str, tuple[int, ...]] | None:
    """Every node's shape under `env`, or None if some dimension is < 1 there (outside the valid domain)."""
    out = {}
    for node_id, t in types.items():
        dims = tuple(evaluate(d, env) for d in t.shape)
        if any(d < 1 for d in dims):
            return None
        out[node_id] = dims
    return out


def graph_symbols(graph: Graph) -> set[str]:
    names: set[str] = set()
    for n in graph.inputs:
        for d in input_type(n.dtype, n.dims).shape:
            names |= symbols(d)
    return names
