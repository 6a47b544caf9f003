"""Elementwise activations and (log-)softmax: shape-preserving, float-only, parameter-free."""

from __future__ import annotations

from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec
from netspec.compiler.catalog.common import need_float, normalize_dim
from netspec.compiler.tensor_types import TensorType


def _activation(
    name: str, functional: str, doc: str, args: tuple[ArgSpec, ...] = (), render=None, role: str = ""
) -> LayerSpec:
    def shape(inputs: list[TensorType], a: Args) -> TensorType:
        need_float(inputs[0], name)
        if "dim" in a:
            normalize_dim(a["dim"], inputs[0].rank, name)
        return inputs[0]

    def call(attr: str | None, names: list[str], a: Args) -> str:
        extra = render(a) if render else ""
        return f"{functional}({names[0]}{extra})"

    return LayerSpec(
        name=name,
        category="activation",
        doc=doc,
        args=args,
        shape=shape,
        module=lambda inputs, a: None,
        call=call,
        role=role,
        example=name,
    )


def _dim(a: Args) -> str:
    return f", dim={a['dim']}"


LAYERS = (
    _activation("relu", "F.relu", "max(x, 0).", role="idempotent"),
    _activation(
        "leaky_relu",
        "F.leaky_relu",
        "x for x > 0, slope * x otherwise.",
        (ArgSpec("slope", "float", default=0.01, aliases=("negative_slope",)),),
        lambda a: f", negative_slope={a['slope']!r}" if a["slope"] != 0.01 else "",
    ),
    _activation("gelu", "F.gelu", "Gaussian error linear unit."),
    _activation("silu", "F.silu", "x * sigmoid(x) (swish)."),
    _activation(
        "elu",
        "F.elu",
        "Exponential linear unit.",
        (ArgSpec("alpha", "float", default=1.0),),
        lambda a: f", alpha={a['alpha']!r}" if a["alpha"] != 1.0 else "",
    ),
    _activation("selu", "F.selu", "Scaled ELU."),
    _activation("softplus", "F.softplus", "log(1 + exp(x))."),
    _activation("mish", "F.mish", "x * tanh(softplus(x))."),
    _activation("tanh", "torch.tanh", "Hyperbolic tangent."),
    _activation("sigmoid", "torch.sigmoid", "1 / (1 + exp(-x)).", role="squash"),
    _activation(
        "softmax",
        "F.softmax",
        "Softmax over `dim` (default the last).",
        (ArgSpec("dim", "int", default=-1),),
        _dim,
        role="squash",
    ),
    _activation(
        "log_softmax",
        "F.log_softmax",
        "Log-softmax over `dim` (default the last).",
        (ArgSpec("dim", "int", default=-1),),
        _dim,
        role="squash",
    ),
)
