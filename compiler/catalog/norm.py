"""Batch and layer normalization, with the variant resolved from the input's rank."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import channels, concrete, need_float, need_rank
from netspec.compiler.symbolic import product
from netspec.compiler.tensor_types import TensorType

_BN_CLASS = {2: "nn.BatchNorm1d", 3: "nn.BatchNorm1d", 4: "nn.BatchNorm2d", 5: "nn.BatchNorm3d"}


def _bn_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "batchnorm", weights=True)
    need_rank(t, (2, 3, 4, 5), "batchnorm", "[N, C, ...]")
    channels(t, "batchnorm")
    return t


def _bn_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    rendered = [repr(inputs[0].shape[1])]
    if args["eps"] != 1e-5:
        rendered.append(f"eps={args['eps']!r}")
    if args["momentum"] != 0.1:
        rendered.append(f"momentum={args['momentum']!r}")
    if not args["affine"]:
        rendered.append("affine=False")
    return _BN_CLASS[inputs[0].rank], rendered


BATCHNORM = LayerSpec(
    name="batchnorm",
    category="norm",
    doc="Batch normalization over dim 1; BatchNorm1d/2d/3d chosen from the input rank.",
    args=(
        ArgSpec("eps", "float", default=1e-5, minimum=0.0),
        ArgSpec("momentum", "float", default=0.1, minimum=0.0, maximum=1.0),
        ArgSpec("affine", "bool", default=True),
    ),
    shape=_bn_shape,
    params=lambda inputs, args: 2 * inputs[0].shape[1] if args["affine"] else 0,  # type: ignore[operator]
    module=_bn_module,
    prefix="bn",
    flops=flop_rules.no_flops,
    buffers=flop_rules.batchnorm_buffers,
    example="batchnorm",
)


def _ln_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "layernorm", weights=True)
    if args["dims"] >= t.rank:
        raise ShapeError(
            f"layernorm over the last {args['dims']} dims needs at least a {args['dims'] + 1}-D input, got {t}",
            code="E-arg-type",
            help="normalize fewer dims; the batch dim is never normalized",
        )
    for d in t.shape[-args["dims"] :]:
        concrete(d, "normalized size", "layernorm")
    return t


def _ln_shape_of(inputs: list[TensorType], args: Args) -> list[int]:
    return [int(d) for d in inputs[0].shape[-args["dims"] :]]  # type: ignore[arg-type]


def _ln_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    shape = _ln_shape_of(inputs, args)
    rendered = [repr(shape[0]) if len(shape) == 1 else repr(tuple(shape))]
    if args["eps"] != 1e-5:
        rendered.append(f"eps={args['eps']!r}")
    if not args["affine"]:
        rendered.append("elementwise_affine=False")
    return "nn.LayerNorm", rendered


LAYERNORM = LayerSpec(
    name="layernorm",
    category="norm",
    doc="Layer normalization over the last `dims` dimensions (default 1).",
    args=(
        ArgSpec("dims", "int", default=1, minimum=1),
        ArgSpec("eps", "float", default=1e-5, minimum=0.0),
        ArgSpec("affine", "bool", default=True),
    ),
    shape=_ln_shape,
    params=lambda inputs, args: 2 * product(_ln_shape_of(inputs, args)) if args["affine"] else 0,  # type: ignore[operator]
    module=_ln_module,
    prefix="ln",
    flops=flop_rules.no_flops,
    example="layernorm",
)

LAYERS = (BATCHNORM, LAYERNORM)
