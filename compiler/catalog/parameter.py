"""Learnable tensors that are not a layer's weights (layer scale, class tokens, position embeddings)."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.symbolic import product
from netspec.compiler.tensor_types import TensorType

INITS = ("constant", "zeros", "ones", "normal", "trunc_normal")


def _shape(inputs: list[TensorType], args: Args) -> TensorType:
    bad = [d for d in args["shape"] if d < 1]
    if bad:
        raise ShapeError(
            f"param {args['name']} has a size {bad[0]}, but sizes must be positive",
            code="E-arg-type",
            label=f"size {bad[0]}",
            help="write positive sizes, e.g. `[c, 1, 1]`",
        )
    if args["init"] in ("normal", "trunc_normal") and args["std"] <= 0:
        raise ShapeError(
            f"param {args['name']} = {args['init']}(std={args['std']!r}) needs a positive std",
            code="E-arg-type",
            label=f"std={args['std']!r}",
            help="e.g. `normal(std=0.02)`",
        )
    return TensorType("float32", tuple(args["shape"]), spatial=False)


def _params(inputs: list[TensorType], args: Args) -> int:
    size = product(list(args["shape"]))
    assert isinstance(size, int)
    return size


def _module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    """The tensor the initial values are made from, sizes as separate arguments (a block's `c` stays `c`)."""
    init, value = args["init"], args["value"]
    if init == "constant" and value in (0.0, 1.0):
        init = "zeros" if value == 0.0 else "ones"
    made = {"zeros": "torch.zeros", "ones": "torch.ones", "constant": "torch.ones"}.get(init, "torch.empty")
    return made, [repr(d) for d in args["shape"]]


def _wrap(args: Args) -> str:
    """torchvision's own forms: `nn.Parameter(torch.ones(c, 1, 1) * 1e-06)`, `...empty(...).normal_(std=0.02)`."""
    mean = f"mean={args['mean']!r}, " if args["mean"] != 0.0 else ""
    if args["init"] == "normal":
        return f"nn.Parameter({{}}.normal_({mean}std={args['std']!r}))"
    if args["init"] == "trunc_normal":  # cut at mean -/+ 2 std (nn.init's a and b are absolute bounds)
        low, high = args["mean"] - 2 * args["std"], args["mean"] + 2 * args["std"]
        return f"nn.Parameter(nn.init.trunc_normal_({{}}, {mean}std={args['std']!r}, a={low!r}, b={high!r}))"
    if args["init"] == "constant" and args["value"] not in (0.0, 1.0):
        return f"nn.Parameter({{}} * {args['value']!r})"
    return "nn.Parameter({})"


PARAMETER = LayerSpec(
    name="param",
    category="parameter",
    doc="A learnable tensor declared in a block or model, `param NAME: [sizes] = INIT`, used as a value "
    "(`out in + gamma * y`). INIT is a number (every element), `zeros`, `ones`, `normal(std=0.02, mean=0)` or "
    "`trunc_normal(std=0.02)` (cut at 2 std). "
    "Emitted as `self.NAME = nn.Parameter(...)`, so torchvision's `layer_scale`, `class_token` or "
    "`pos_embedding` keep their names; counted in the parameters. A declaration binds the arguments below "
    "(NAME, [sizes], the initializer and its number, mean or std); `param` is never called like a layer.",
    args=(
        ArgSpec("name", "str"),
        ArgSpec("shape", "int_list", minimum=1),
        ArgSpec("init", "choice", choices=INITS),
        ArgSpec("value", "float", default=0.0),
        ArgSpec("mean", "float", default=0.0),
        ArgSpec("std", "float", default=1.0),
    ),
    shape=_shape,
    params=_params,
    module=_module,
    call=lambda attr, names, args: str(attr),
    arity=-1,
    wrap=_wrap,
    example="param gamma: [96, 1, 1] = 1e-6",
    flops=flop_rules.no_flops,
)

LAYERS = (PARAMETER,)
