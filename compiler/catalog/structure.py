"""Shape-only layers (flatten, reshape, permute, last) and dropout/identity."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import need_float, normalize_dim, string_literal
from netspec.compiler.symbolic import floordiv, mul, product, show, symbols
from netspec.compiler.tensor_types import TensorType, show_shape


def _flatten_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    start = normalize_dim(args["start"], t.rank, "flatten")
    end = normalize_dim(args["end"], t.rank, "flatten")
    if start > end:
        raise ShapeError(f"flatten start={args['start']} comes after end={args['end']}", code="E-arg-type")
    if start == 0:
        raise ShapeError(
            "flatten start=0 would merge the batch dimension into the features",
            code="E-arg-type",
            label="start=0",
            help="flatten from dim 1 (the default)",
        )
    merged = t.shape[start : end + 1]
    size = product(list(merged))
    origin = ""
    if len(merged) > 1:
        origin = f"{' * '.join(show(d) for d in merged)} = {show(size)} from flatten"
    return t.with_shape((*t.shape[:start], size, *t.shape[end + 1 :]), spatial=False, origin=origin)


def _flatten_call(attr: str | None, names: list[str], args: Args) -> str:
    if args["end"] == -1:
        return f"torch.flatten({names[0]}, {args['start']})"
    return f"torch.flatten({names[0]}, {args['start']}, {args['end']})"


FLATTEN = LayerSpec(
    name="flatten",
    category="shape",
    doc="Merge dims start..end (default: all but the batch) into one.",
    args=(
        ArgSpec("start", "int", default=1, aliases=("start_dim",)),
        ArgSpec("end", "int", default=-1, aliases=("end_dim",)),
    ),
    shape=_flatten_shape,
    call=_flatten_call,
    role="idempotent",
    example="flatten",
    flops=flop_rules.no_flops,
)


def _reshape_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    target = list(args["shape"])
    total = product(list(t.shape[1:]))
    if sum(1 for d in target if d == -1) > 1:
        raise ShapeError("reshape can infer at most one dimension (-1)", code="E-arg-type", label="two -1 entries")
    if any(d == 0 or d < -1 for d in target):
        raise ShapeError("reshape sizes must be positive (or -1 once)", code="E-arg-type")
    known = product([d for d in target if d != -1])
    assert isinstance(known, int)
    if -1 in target:
        inferred = floordiv(total, known)
        if mul(inferred, known) != total:
            if not isinstance(total, int):
                raise ShapeError(
                    f"reshape needs {show(total)} elements per sample to be a multiple of {known}, which depends on {', '.join(sorted(symbols(total)))}",
                    code="E-symbolic",
                    label=f"input is {show_shape(t.shape)}",
                    help="give those dimensions fixed sizes in the input declaration",
                )
            raise ShapeError(
                f"reshape cannot split {show(total)} elements per sample into {target}",
                label=f"input is {show_shape(t.shape)}",
                help=f"the known sizes multiply to {known}, which does not divide {show(total)}",
            )
        target[target.index(-1)] = inferred
    elif known != total:
        if not isinstance(total, int):
            raise ShapeError(
                f"reshape to {known} elements per sample needs {show(total)} == {known}, which depends on {', '.join(sorted(symbols(total)))}",
                code="E-symbolic",
                label=f"input is {show_shape(t.shape)}",
                help="use -1 for the size that follows the symbolic dimension",
            )
        raise ShapeError(
            f"reshape to {show_shape((t.shape[0], *target))} needs {known} elements per sample, "
            f"but the input has {show(total)} ({show_shape(t.shape)})",
            label=f"input is {show_shape(t.shape)}",
            help="the sizes (without the batch dim) must multiply to the input's; use -1 to infer one",
        )
    return t.with_shape((t.shape[0], *target), spatial=False)


RESHAPE = LayerSpec(
    name="reshape",
    category="shape",
    doc="Reshape each sample; the batch dim stays first. `reshape(64, -1)` infers one size.",
    args=(ArgSpec("shape", "int_list", aliases=("dims",)),),
    shape=_reshape_shape,
    call=lambda attr, names, args: (
        f"{names[0]}.reshape({names[0]}.shape[0], {', '.join(str(d) for d in args['shape'])})"
    ),
    example="reshape(4, 7, 7)",
    flops=flop_rules.no_flops,
    varargs=True,
)


def _permute_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    order = list(args["dims"])
    if sorted(d % t.rank if -t.rank <= d < t.rank else d for d in order) != list(range(t.rank)):
        raise ShapeError(
            f"permute needs a reordering of all {t.rank} dims, got {order}",
            code="E-arg-type",
            label=f"input is {show_shape(t.shape)}",
            help=f"list each of 0..{t.rank - 1} once, e.g. permute({', '.join(map(str, range(t.rank)))})",
        )
    order = [d % t.rank for d in order]
    if order[0] != 0:
        raise ShapeError(
            "permute must keep the batch dimension first",
            code="E-arg-type",
            label=f"dims={tuple(order)}",
            help="start the order with 0",
        )
    return t.with_shape(tuple(t.shape[d] for d in order), spatial=False)


PERMUTE = LayerSpec(
    name="permute",
    category="shape",
    doc="Reorder dims; the batch dim stays first. `permute(0, 2, 1)` swaps [N, C, T] to [N, T, C].",
    args=(ArgSpec("dims", "int_list"),),
    shape=_permute_shape,
    call=lambda attr, names, args: f"{names[0]}.permute({', '.join(str(d) for d in args['dims'])})",
    example="permute(0, 2, 1)",
    flops=flop_rules.no_flops,
    varargs=True,
)


def _last_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    if t.rank < 3:
        raise ShapeError(
            f"last takes the final time step of a sequence [N, T, ...], but its input is {t.rank}-D {show_shape(t.shape)}",
            label=f"input is {show_shape(t.shape)}",
            help="use `last` after a recurrent layer (`lstm(128) -> last`), or remove it",
            notes=("PyTorch would run x[:, -1] here and silently pick the last feature",) if t.rank == 2 else (),
        )
    return t.with_shape((t.shape[0], *t.shape[2:]), spatial=False)


LAST = LayerSpec(
    name="last",
    category="shape",
    doc="The last time step of a sequence: [N, T, ...] -> [N, ...].",
    args=(),
    shape=_last_shape,
    call=lambda attr, names, args: f"{names[0]}[:, -1]",
    example="lstm(128) -> last",
    flops=flop_rules.no_flops,
)


def _same(inputs: list[TensorType], args: Args) -> TensorType:
    return inputs[0]


def _dropout_module(cls: str):
    return lambda inputs, args: (cls, [repr(args["p"])])


DROPOUT = LayerSpec(
    name="dropout",
    category="regularization",
    doc="Zero elements with probability p while training.",
    args=(ArgSpec("p", "float", default=0.5, minimum=0.0, maximum=1.0),),
    shape=lambda inputs, args: (need_float(inputs[0], "dropout"), inputs[0])[1],
    module=_dropout_module("nn.Dropout"),
    role="dropout",
    prefix="dropout",
    example="dropout(0.25)",
    flops=flop_rules.no_flops,
)


def _channel_dropout_note(n: int, rank: int) -> str:
    """What PyTorch's DropoutNd does with a wrong rank (checked against torch in tests/test_defects_10.py)."""
    if rank < 2 or (n == 1 and rank > 3):
        return f"PyTorch would raise an error on this {rank}-D input too"
    if rank == 2 and n == 2:
        return "PyTorch would run it and zero single elements, as plain dropout does"
    if rank == n + 1:
        return "PyTorch would take this as one unbatched sample: whole rows along the last dim, the batch dim N read as channels"
    return "PyTorch would run it and zero whole [N, C] slices across all the remaining dims"


def _channel_dropout_shape(n: int):
    layer = f"dropout{n}d"

    def shape(inputs: list[TensorType], args: Args) -> TensorType:
        (t,) = inputs
        need_float(t, layer)
        if t.rank != n + 2:
            layout = "[N, C, L]" if n == 1 else "[N, C, H, W]"
            raise ShapeError(
                f"{layer} expects a {n + 2}-D input {layout}, but its input is {t.rank}-D {show_shape(t.shape)}",
                label=f"input is {show_shape(t.shape)}",
                help=f"use dropout{t.rank - 2}d for a {t.rank}-D input" if 3 <= t.rank <= 4 else "use dropout",
                notes=(_channel_dropout_note(n, t.rank),),
            )
        return t

    return shape


DROPOUT1D, DROPOUT2D = (
    LayerSpec(
        name=f"dropout{n}d",
        category="regularization",
        doc=f"Zero whole channels of {'[N, C, L]' if n == 1 else '[N, C, H, W]'} with probability p while training.",
        args=(ArgSpec("p", "float", default=0.5, minimum=0.0, maximum=1.0),),
        shape=_channel_dropout_shape(n),
        module=_dropout_module(f"nn.Dropout{n}d"),
        role="dropout",
        prefix="dropout",
        example=f"dropout{n}d(0.1)",
        flops=flop_rules.no_flops,
    )
    for n in (1, 2)
)

IDENTITY = LayerSpec(
    name="identity",
    category="shape",
    doc="Pass the input through unchanged.",
    args=(),
    shape=_same,
    call=lambda attr, names, args: names[0],
    role="idempotent",
    example="identity",
    flops=flop_rules.no_flops,
)


def _stochastic_depth_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "stochastic_depth")
    return t


STOCHASTIC_DEPTH = LayerSpec(
    name="stochastic_depth",
    category="regularization",
    doc="While training, zero a residual branch with probability p and scale it by 1 / (1 - p): per sample "
    "(`mode=row`, default) or for the whole batch (`mode=batch`); torchvision.ops.StochasticDepth.",
    args=(
        ArgSpec("p", "float", minimum=0.0, maximum=1.0),
        ArgSpec("mode", "choice", default="row", choices=("row", "batch")),
    ),
    shape=_stochastic_depth_shape,
    module=lambda inputs, args: ("torchvision.ops.StochasticDepth", [repr(args["p"]), string_literal(args["mode"])]),
    prefix="stochastic_depth",
    role="dropout",
    example="stochastic_depth(0.1)",
    flops=flop_rules.no_flops,
)

LAYERS = (FLATTEN, RESHAPE, PERMUTE, LAST, DROPOUT, DROPOUT1D, DROPOUT2D, IDENTITY, STOCHASTIC_DEPTH)
