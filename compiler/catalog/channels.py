"""Taking tensors apart along a dim: chunk, narrow, channel shuffle, mean over dims."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import channels, concrete, need_float, normalize_dim
from netspec.compiler.tensor_types import TensorType, show_shape


def _not_batch(dim: int, layer: str, what: str) -> None:
    if dim == 0:
        raise ShapeError(
            f"{layer} along dim 0 would {what} the batch",
            code="E-arg-type",
            label="dim 0 is the batch",
            help="use dim 1 (channels/features) or later",
            notes=(f"PyTorch would {what} the batch itself: samples would no longer be independent",),
        )


def _chunk_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    dim = normalize_dim(args["dim"], t.rank, "chunk")
    _not_batch(dim, "chunk", "split")
    size = concrete(t.shape[dim], f"size of dim {dim}", "chunk")
    chunks, index = args["chunks"], args["index"]
    piece = -(-size // chunks)  # torch.chunk: pieces of ceil(size / chunks), the last one smaller
    count = -(-size // piece)
    if index >= count:
        made = f"only {count} piece{'s' * (count > 1)}" if count < chunks else f"{count} pieces (0 to {count - 1})"
        raise ShapeError(
            f"chunk({chunks}) of dim {dim} (size {size}) gives {made}, so there is no piece {index}",
            label=f"index={index}",
            help=f"take a piece from 0 to {count - 1}",
            notes=(f"torch.chunk cuts pieces of ceil({size} / {chunks}) = {piece}",) if count < chunks else (),
        )
    shape = list(t.shape)
    shape[dim] = min(piece, size - index * piece)
    return t.with_shape(tuple(shape))


CHUNK = LayerSpec(
    name="chunk",
    category="shape",
    doc="One piece of torch.chunk: `chunk(2, 0)` is the first half of the channels, `chunk(2, 1)` the second "
    "(ShuffleNet's split). Name each piece: `a = in -> chunk(2, 0)`.",
    args=(
        ArgSpec("chunks", "int", minimum=1),
        ArgSpec("index", "int", minimum=0),
        ArgSpec("dim", "int", default=1),
    ),
    shape=_chunk_shape,
    call=lambda attr, names, args: f"torch.chunk({names[0]}, {args['chunks']}, dim={args['dim']})[{args['index']}]",
    example="chunk(2, 0)",
    flops=flop_rules.no_flops,
)


def _narrow_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    dim = normalize_dim(args["dim"], t.rank, "narrow")
    _not_batch(dim, "narrow", "cut")
    size = concrete(t.shape[dim], f"size of dim {dim}", "narrow")
    start, length = args["start"], args["length"]
    if start + length > size:
        raise ShapeError(
            f"narrow takes {length} entries of dim {dim} from {start}, but the dim has only {size} "
            f"(input {show_shape(t.shape)})",
            label=f"{start} + {length} > {size}",
            help=f"take at most {size - start} from {start}" if start < size else f"start below {size}",
        )
    shape = list(t.shape)
    shape[dim] = length
    return t.with_shape(tuple(shape))


NARROW = LayerSpec(
    name="narrow",
    category="shape",
    doc="`length` entries of `dim` (default 1, the channels) from `start`: unequal channel splits "
    "(`a = in -> narrow(0, 16)`, `b = in -> narrow(16, 48)`), as torch.narrow.",
    args=(
        ArgSpec("start", "int", minimum=0),
        ArgSpec("length", "int", minimum=1),
        ArgSpec("dim", "int", default=1),
    ),
    shape=_narrow_shape,
    call=lambda attr, names, args: f"{names[0]}.narrow({args['dim']}, {args['start']}, {args['length']})",
    example="narrow(0, 16)",
    flops=flop_rules.no_flops,
)


def _shuffle_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    if t.rank < 3:
        raise ShapeError(
            f"channel_shuffle expects [N, C, ...] with at least one more dim, but its input is {show_shape(t.shape)}",
            label=f"input is {show_shape(t.shape)}",
            help="use it on a feature map [N, C, H, W]",
        )
    c, groups = channels(t, "channel_shuffle"), args["groups"]
    if c % groups:
        raise ShapeError(
            f"channel_shuffle({groups}) needs the channel count {c} to be a multiple of {groups}",
            label=f"{c} channels",
            help="choose groups that divides the channel count",
        )
    return t


CHANNEL_SHUFFLE = LayerSpec(
    name="channel_shuffle",
    category="shape",
    doc="Interleave the channels of `groups` groups (ShuffleNet): [N, C, ...] keeps its shape.",
    args=(ArgSpec("groups", "int", minimum=1),),
    shape=_shuffle_shape,
    call=lambda attr, names, args: f"F.channel_shuffle({names[0]}, {args['groups']})",
    example="channel_shuffle(2)",
    flops=flop_rules.no_flops,
)


def _mean_dims(t: TensorType, args: Args) -> list[int]:
    dims = [normalize_dim(d, t.rank, "mean") for d in args["dims"]]
    for d in dims:
        _not_batch(d, "mean", "average over")
    if len(set(dims)) != len(dims):
        raise ShapeError(
            f"mean lists dim {next(d for d in dims if dims.count(d) > 1)} twice",
            code="E-arg-type",
            label=f"dims={list(args['dims'])}",
            help="list each dim once",
        )
    return dims


def _mean_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "mean")
    dims = _mean_dims(t, args)
    if args["keepdim"]:
        return t.with_shape(tuple(1 if i in dims else d for i, d in enumerate(t.shape)))
    return t.with_shape(tuple(d for i, d in enumerate(t.shape) if i not in dims), spatial=False)


def _mean_call(attr: str | None, names: list[str], args: Args) -> str:
    dims = args["dims"][0] if len(args["dims"]) == 1 else tuple(args["dims"])
    return f"{names[0]}.mean(dim={dims!r}{', keepdim=True' if args['keepdim'] else ''})"


MEAN = LayerSpec(
    name="mean",
    category="shape",
    doc="Average over the listed dims (`mean([2, 3])`: global average pooling to [N, C]); "
    "`keepdim=true` keeps them as size 1.",
    args=(ArgSpec("dims", "int_list", aliases=("dim",)), ArgSpec("keepdim", "bool", default=False)),
    shape=_mean_shape,
    call=_mean_call,
    example="mean([2, 3])",
    flops=flop_rules.no_flops,
)

LAYERS = (CHUNK, NARROW, CHANNEL_SHUFFLE, MEAN)
