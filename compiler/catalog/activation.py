"""Elementwise activations and (log-)softmax: shape-preserving, float-only, parameter-free."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import channels, concrete, need_float, normalize_dim, string_literal
from netspec.compiler.tensor_types import TensorType


def _activation(
    name: str, functional: str, doc: str, args: tuple[ArgSpec, ...] = (), render=None, role: str = ""
) -> LayerSpec:
    def shape(inputs: list[TensorType], a: Args) -> TensorType:
        need_float(inputs[0], name)
        if "dim" in a:
            normalize_dim(a["dim"], inputs[0].rank, name)
        if "min" in a and a["min"] > a["max"]:
            raise ShapeError(
                f"{name} min={a['min']!r} is greater than max={a['max']!r}",
                code="E-arg-type",
                label="min > max",
                help="swap them: the range is [min, max]",
            )
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
        call=call,
        role=role,
        example=name,
        flops=flop_rules.no_flops,
    )


def _prelu_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "prelu", weights=True)
    count = args["count"]
    if count > 1:
        if t.rank < 2:
            raise ShapeError(f"prelu({count}) has one slope per channel (dim 1), but its input is {t}")
        actual = channels(t, "prelu")
        if actual != count:
            raise ShapeError(
                f"prelu({count}) has one slope per channel, but its input {t} has {actual} channels (dim 1)",
                label=f"{count} slopes, {actual} channels",
                help=f"write `prelu({actual})` for one slope per channel, or `prelu` for one shared slope",
            )
    return t


def _prelu_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    rendered = [] if args["count"] == 1 else [repr(args["count"])]
    if args["init"] != 0.25:
        rendered.append(f"init={args['init']!r}")
    return "nn.PReLU", rendered


PRELU = LayerSpec(
    name="prelu",
    category="activation",
    doc="x for x > 0, a * x otherwise, with a learned slope a: one shared (`prelu`), or one per channel "
    "of dim 1 (`prelu(64)`, PyTorch's num_parameters).",
    args=(
        ArgSpec("count", "int", default=1, minimum=1, aliases=("num_parameters",)),
        ArgSpec("init", "float", default=0.25, keyword_only=True),
    ),
    shape=_prelu_shape,
    params=lambda inputs, args: args["count"],
    module=_prelu_module,
    prefix="prelu",
    example="prelu(64)",
    flops=flop_rules.no_flops,
)


def _glu_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "glu")
    dim = normalize_dim(args["dim"], t.rank, "glu")
    if dim == 0:
        raise ShapeError(
            "glu along dim 0 would split the batch",
            code="E-arg-type",
            label="dim=0",
            help="use a feature dim",
            notes=("PyTorch would gate one half of the batch by the other",),
        )
    size = concrete(t.shape[dim], f"size of dim {dim} (glu halves it)", "glu")
    if size % 2:
        raise ShapeError(
            f"glu splits dim {dim} into two halves, but its size {size} is odd (input {t})",
            label=f"dim {dim} is {size}",
            help="make that dim even, e.g. with the layer before giving twice the size you want",
        )
    return t.with_shape((*t.shape[:dim], size // 2, *t.shape[dim + 1 :]))


GLU = LayerSpec(
    name="glu",
    category="activation",
    doc="Gated linear unit: a * sigmoid(b) for the two halves a, b of `dim` (default the last), which it halves.",
    args=(ArgSpec("dim", "int", default=-1),),
    shape=_glu_shape,
    call=lambda attr, names, args: f"F.glu({names[0]}, dim={args['dim']})",
    example="glu",
    flops=flop_rules.no_flops,
)


def _dim(a: Args) -> str:
    return f", dim={a['dim']}"


_ELEMENTWISE = (
    _activation("relu", "F.relu", "max(x, 0).", role="idempotent"),
    _activation(
        "leaky_relu",
        "F.leaky_relu",
        "x for x > 0, slope * x otherwise.",
        (ArgSpec("slope", "float", default=0.01, aliases=("negative_slope",)),),
        lambda a: f", negative_slope={a['slope']!r}" if a["slope"] != 0.01 else "",
    ),
    _activation(
        "gelu",
        "F.gelu",
        "Gaussian error linear unit; `approximate=tanh` for the tanh approximation.",
        (ArgSpec("approximate", "choice", default="none", choices=("none", "tanh")),),
        lambda a: f", approximate={string_literal(a['approximate'])}" if a["approximate"] != "none" else "",
    ),
    _activation("silu", "F.silu", "x * sigmoid(x) (swish)."),
    _activation(
        "elu",
        "F.elu",
        "Exponential linear unit.",
        (ArgSpec("alpha", "float", default=1.0),),
        lambda a: f", alpha={a['alpha']!r}" if a["alpha"] != 1.0 else "",
    ),
    _activation("selu", "F.selu", "Scaled ELU."),
    _activation(
        "celu",
        "F.celu",
        "Continuously differentiable ELU.",
        (ArgSpec("alpha", "float", default=1.0, minimum=1e-12),),
        lambda a: f", alpha={a['alpha']!r}" if a["alpha"] != 1.0 else "",
    ),
    _activation("relu6", "F.relu6", "min(max(x, 0), 6) (MobileNet).", role="idempotent"),
    _activation("hardswish", "F.hardswish", "x * relu6(x + 3) / 6 (MobileNetV3)."),
    _activation("hardsigmoid", "F.hardsigmoid", "relu6(x + 3) / 6 (MobileNetV3 squeeze-excitation).", role="squash"),
    _activation(
        "hardtanh",
        "F.hardtanh",
        "x clamped to [min, max] (default [-1, 1]).",
        (
            ArgSpec("min", "float", default=-1.0, aliases=("min_val",)),
            ArgSpec("max", "float", default=1.0, aliases=("max_val",)),
        ),
        lambda a: "".join(f", {k}_val={a[k]!r}" for k, d in (("min", -1.0), ("max", 1.0)) if a[k] != d),
        role="idempotent",
    ),
    _activation("softsign", "F.softsign", "x / (1 + |x|)."),
    _activation("logsigmoid", "F.logsigmoid", "log(sigmoid(x))."),
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
LAYERS = (*_ELEMENTWISE, PRELU, GLU)
