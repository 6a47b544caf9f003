"""What a checked model costs before it runs: FLOPs and activation memory per layer, for a batch size and dtype.

FLOPs follow torch.utils.flop_counter.FlopCounterMode (2 per multiply-add of matmuls, convolutions and
attention; nothing for elementwise work). Activation memory is the bytes of every layer's output tensor
in one forward pass: what a training step keeps alive for the backward pass at most, before any
in-place or fused kernel saves some of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from netspec.compiler.catalog import CATALOG
from netspec.compiler.shapes import Checked
from netspec.compiler.symbolic import Dim, evaluate, product, symbols
from netspec.compiler.tensor_types import TensorType

# bytes per element; `--dtype` names both torch's spelling and the short one
DTYPE_BYTES = {
    "float64": 8,
    "float32": 4,
    "float16": 2,
    "bfloat16": 2,
    "int64": 8,
    "int32": 4,
    "int16": 2,
    "int8": 1,
    "uint8": 1,
    "bool": 1,
}
DTYPE_ALIASES = {"fp64": "float64", "fp32": "float32", "fp16": "float16", "half": "float16", "bf16": "bfloat16"}


@dataclass(frozen=True)
class LayerCost:
    """One layer's cost as expressions in N and the symbolic dims; flops is None for a layer with no rule."""

    flops: Dim | None
    elements: Dim  # elements of the output tensor
    dtype: str


def layer_costs(checked: Checked) -> dict[str, LayerCost]:
    costs: dict[str, LayerCost] = {}
    for node in checked.graph.nodes:
        spec = CATALOG[node.op]
        inputs = [checked.types[i] for i in node.inputs]
        out = checked.types[node.id]
        flops = None if spec.flops is None else spec.flops(inputs, out, node.args)
        costs[node.id] = LayerCost(flops, product(list(out.shape)), out.dtype)
    return costs


def dtype_name(text: str) -> str | None:
    name = DTYPE_ALIASES.get(text, text)
    return name if name in DTYPE_BYTES else None


def element_bytes(t_dtype: str, compute_dtype: str | None) -> int:
    """Floating tensors take the compute dtype when one is given (autocast, a bf16 model); integers keep theirs."""
    if compute_dtype is not None and t_dtype in ("float64", "float32", "float16", "bfloat16"):
        return DTYPE_BYTES[compute_dtype]
    return DTYPE_BYTES[t_dtype]


def free_symbols(checked: Checked) -> set[str]:
    """Every symbolic dim the costs depend on (N, T, ...)."""
    found: set[str] = set()
    for t in checked.types.values():
        for d in t.shape:
            found |= symbols(d)
    return found


@dataclass(frozen=True)
class Evaluated:
    """Costs with every dim given a value."""

    flops: dict[str, int | None]
    activation_bytes: dict[str, int]
    input_bytes: int

    @property
    def total_flops(self) -> int:
        return sum(f for f in self.flops.values() if f is not None)

    @property
    def uncounted(self) -> list[str]:
        return [name for name, f in self.flops.items() if f is None]

    @property
    def total_activation_bytes(self) -> int:
        return sum(self.activation_bytes.values())


def _tensor_bytes(t: TensorType, env: Mapping[str, int], compute_dtype: str | None) -> int:
    return evaluate(product(list(t.shape)), env) * element_bytes(t.dtype, compute_dtype)


def evaluate_costs(checked: Checked, env: Mapping[str, int], compute_dtype: str | None = None) -> Evaluated:
    """`env` must give every free symbol a value (see free_symbols)."""
    costs = layer_costs(checked)
    return Evaluated(
        flops={n: None if c.flops is None else evaluate(c.flops, env) for n, c in costs.items()},
        activation_bytes={
            n: evaluate(c.elements, env) * element_bytes(c.dtype, compute_dtype) for n, c in costs.items()
        },
        input_bytes=sum(_tensor_bytes(checked.types[i.id], env, compute_dtype) for i in checked.graph.inputs),
    )


def show_count(value: int) -> str:
    """1234567 -> 1.23M: the scale people read FLOPs and bytes in."""
    for size, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= size:
            return f"{value / size:.2f}{suffix}"
    return str(value)


def show_bytes(value: int) -> str:
    for size, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if value >= size:
            return f"{value / size:.2f} {suffix}"
    return f"{value} B"
