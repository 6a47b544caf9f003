"""Linear and embedding layers."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, Repair, ShapeError
from netspec.compiler.catalog.common import concrete, need_float
from netspec.compiler.tensor_types import TensorType, show_shape


def _linear_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "linear", weights=True)
    if t.rank < 2:
        raise ShapeError(f"linear expects at least a 2-D input [N, features], but its input is {show_shape(t.shape)}")
    features = concrete(t.shape[-1], "number of input features (last dim)", "linear")
    declared = args["in_features"]
    if declared is not None and declared != features:
        origin = f" ({t.origin})" if t.origin else ""
        if t.spatial and _flat_size(t) == declared:
            # written for the flattened map: the missing step is the flatten, not the number
            raise ShapeError(
                f"linear expects {declared} input features, the size of the whole feature map {show_shape(t.shape)}, "
                f"but without `flatten` it acts on the last dimension ({features})",
                code="E-flatten",
                label=f"input is {show_shape(t.shape)}",
                notes=(f"expected [N, {declared}], found {show_shape(t.shape)}",),
                help="add `flatten` before it to get [N, features]",
                repairs=(Repair("add `flatten` before it", before="flatten -> "),),
            )
        raise ShapeError(
            f"linear expects {declared} input features, but its input has {features}{origin}",
            label=f"declared in_features={declared}",
            notes=(f"expected [..., {declared}], found {show_shape(t.shape)}",),
            help=f"write `linear({args['out_features']})` and let netc infer it, "
            f"or `linear({features} -> {args['out_features']})`",
            repairs=(
                Repair(f"write the inferred in_features={features}", set_args=(("in_features", features),)),
                Repair("drop in_features and let netc infer it", set_args=(("in_features", None),)),
                Repair(f"declare the input with {declared} features", input_size=(-1, declared), applicable=False),
            ),
        )
    # on a conv/pool map it acts on the width, as in PyTorch; the map stays a map, so the task check can say
    # "add flatten" if it reaches the head (the classic mistake), while [N, H, T, D] projections are fine
    return t.with_shape((*t.shape[:-1], args["out_features"]), spatial=t.spatial and t.rank >= 4)


def _flat_size(t: TensorType) -> int | None:
    """The size of every dimension after the batch multiplied, when they are all concrete."""
    size = 1
    for d in t.shape[1:]:
        if not isinstance(d, int):
            return None
        size *= d
    return size


def _linear_params(inputs: list[TensorType], args: Args) -> int:
    features = inputs[0].shape[-1]
    assert isinstance(features, int)
    out = args["out_features"]
    return features * out + (out if args["bias"] else 0)


def _linear_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    extra = [] if args["bias"] else ["bias=False"]
    return "nn.Linear", [repr(inputs[0].shape[-1]), repr(args["out_features"]), *extra]


LINEAR = LayerSpec(
    name="linear",
    category="dense",
    doc="Fully connected layer on the last dimension of any rank (as PyTorch's Linear); in_features is inferred.",
    args=(
        ArgSpec("out_features", "int", minimum=1, aliases=("out", "units")),
        ArgSpec("in_features", "optional_int", default=None, minimum=1, aliases=("in",), keyword_only=True),
        ArgSpec("bias", "bool", default=True),
    ),
    shape=_linear_shape,
    params=_linear_params,
    module=_linear_module,
    io=("in_features", "out_features"),
    prefix="fc",
    role="affine",
    flops=flop_rules.linear,
    example="linear(128)",
)


def _embedding_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    if t.is_float or t.dtype == "bool":
        raise ShapeError(
            f"embedding looks up integer token ids, but its input is {t.dtype}",
            code="E-dtype",
            label=f"input dtype is {t.dtype}",
            help="declare the input as int64, e.g. `input tokens: int64[N, T]`",
        )
    padding, vocab = args["padding_idx"], args["vocab"]
    if padding is not None and padding >= vocab:  # nn.Embedding asserts "Padding_idx must be within num_embeddings"
        raise ShapeError(
            f"padding_idx={padding} is not a token id of embedding(vocab={vocab}): ids are 0..{vocab - 1}",
            code="E-arg-type",
            label=f"padding_idx={padding}",
            help=f"use padding_idx={vocab - 1} (or 0), or a vocab above {padding}",
        )
    return TensorType("float32", (*t.shape, args["dim"]), spatial=False)


def _embedding_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    extra = [] if args["padding_idx"] is None else [f"padding_idx={args['padding_idx']!r}"]
    return "nn.Embedding", [repr(args["vocab"]), repr(args["dim"]), *extra]


EMBEDDING = LayerSpec(
    name="embedding",
    category="dense",
    doc="Token ids [N, ...] -> vectors [N, ..., dim].",
    args=(
        ArgSpec("vocab", "int", minimum=1, aliases=("num_embeddings",)),
        ArgSpec("dim", "int", minimum=1, aliases=("embedding_dim",)),
        ArgSpec("padding_idx", "optional_int", default=None, minimum=0),
    ),
    shape=_embedding_shape,
    params=lambda inputs, args: args["vocab"] * args["dim"],
    module=_embedding_module,
    prefix="embed",
    flops=flop_rules.no_flops,
    example="embedding(vocab=20000, dim=128)",
)

LAYERS = (LINEAR, EMBEDDING)
