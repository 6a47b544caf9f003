"""Layers with several tensor inputs: `+`, `-`, `*` (broadcasting), concat and expand_batch."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, Repair, ShapeError
from netspec.compiler.catalog.common import normalize_dim
from netspec.compiler.symbolic import Dim, Sym, add
from netspec.compiler.tensor_types import TensorType, show_shape


def broadcast(a: TensorType, b: TensorType, op: str) -> TensorType:
    """PyTorch broadcasting: align from the right; sizes must be equal or 1."""
    if a.dtype != b.dtype:
        raise ShapeError(
            f"`{op}` mixes {a.dtype} and {b.dtype}",
            code="E-dtype",
            label=f"{a.dtype} {op} {b.dtype}",
            help="both sides must have the same dtype",
        )
    _keep_batch_first(a, b, op)
    out: list[Dim] = []
    for i in range(1, max(a.rank, b.rank) + 1):
        da = a.shape[-i] if i <= a.rank else 1
        db = b.shape[-i] if i <= b.rank else 1
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        else:
            raise ShapeError(
                f"`{op}` needs equal or broadcastable shapes, but got {show_shape(a.shape)} and {show_shape(b.shape)}",
                label=f"{show_shape(a.shape)} {op} {show_shape(b.shape)}",
                notes=(f"dim {max(a.rank, b.rank) - i} differs: {da} vs {db}",),
                help="make the branches agree, e.g. with a 1x1 conv2d on the shortcut (`conv2d(c, 1, stride=...)`)",
            )
    # a feature map stays one when scaled by a smaller tensor (a layer scale [C, 1, 1], an attention map)
    spatial = any(t.spatial and t.rank == len(out) for t in (a, b))
    return TensorType(a.dtype, tuple(reversed(out)), spatial)


def _keep_batch_first(a: TensorType, b: TensorType, op: str) -> None:
    """A batched value combined with a tensor of more dims (a `param`) would no longer have N first."""
    batch = Sym.var("N")
    for value, other in ((a, b), (b, a)):
        if value.shape and value.shape[0] == batch and other.rank > value.rank:
            raise ShapeError(
                f"`{op}` of {show_shape(value.shape)} and the {other.rank}-D {show_shape(other.shape)} would move "
                f"the batch dim N to position {other.rank - value.rank}",
                label=f"{show_shape(a.shape)} {op} {show_shape(b.shape)}",
                help=f"give the other side at most {value.rank} dims, e.g. [C, 1, 1] to scale [N, C, H, W]",
                notes=("PyTorch would broadcast it, with the batch no longer the first dim",),
            )


def _binary(name: str, op: str) -> LayerSpec:
    def shape(inputs: list[TensorType], args: Args) -> TensorType:
        a, b = inputs
        return broadcast(a, b, op)

    return LayerSpec(
        name=name,
        category="combine",
        doc=f"Elementwise `{op}` of two values (PyTorch broadcasting).",
        args=(),
        shape=shape,
        call=lambda attr, names, args: f" {op} ".join(names),
        arity=2,
        flops=flop_rules.no_flops,
        example=f"a {op} b",
    )


def _concat_shape(inputs: list[TensorType], args: Args) -> TensorType:
    first = inputs[0]
    dim = normalize_dim(args["dim"], first.rank, "concat")
    if dim == 0:
        raise ShapeError(
            "concat along dim 0 would join batches",
            code="E-arg-type",
            help="concatenate along dim 1 or later",
            repairs=(Repair("concatenate along dim 1 (the features)", set_args=(("dim", 1),)),),
        )
    total: Dim = 0
    for t in inputs:
        if (
            t.rank != first.rank
            or t.dtype != first.dtype
            or any(i != dim and x != y for i, (x, y) in enumerate(zip(t.shape, first.shape, strict=False)))
        ):
            raise ShapeError(
                f"concat along dim {args['dim']} needs every other dim equal, but got "
                + " and ".join(show_shape(x.shape) for x in inputs),
                label="shapes: " + ", ".join(show_shape(x.shape) for x in inputs),
                help="resize the branches so they differ only along the concatenated dim",
            )
        total = add(total, t.shape[dim])
    shape = list(first.shape)
    shape[dim] = total
    return first.with_shape(tuple(shape), spatial=all(t.spatial for t in inputs))


CONCAT = LayerSpec(
    name="concat",
    category="combine",
    doc="Concatenate two or more values along `dim` (default 1, the channels/features).",
    args=(ArgSpec("dim", "int", default=1),),
    shape=_concat_shape,
    call=lambda attr, names, args: f"torch.cat([{', '.join(names)}], dim={args['dim']})",
    arity=0,
    flops=flop_rules.no_flops,
    example="concat(a, b, dim=1)",
)

ADD = _binary("add", "+")
SUB = _binary("sub", "-")
MUL = _binary("mul", "*")


def _expand_shape(inputs: list[TensorType], args: Args) -> TensorType:
    token, like = inputs
    if token.rank < 1 or token.shape[0] != 1 or not like.shape or like.shape[0] != Sym.var("N"):
        raise ShapeError(
            f"expand_batch repeats a [1, ...] tensor over the batch of a [N, ...] value, but got "
            f"{show_shape(token.shape)} and {show_shape(like.shape)}",
            label=f"{show_shape(token.shape)} and {show_shape(like.shape)}",
            help="declare the tensor with a leading 1, e.g. `param class_token: [1, 1, 768] = zeros`",
        )
    return token.with_shape((like.shape[0], *token.shape[1:]), spatial=False)


EXPAND_BATCH = LayerSpec(
    name="expand_batch",
    category="combine",
    doc="A [1, ...] tensor (a `param` class token) repeated over the batch of a [N, ...] value, without copying: "
    "`concat(expand_batch(class_token, x), x, dim=1)`, as ViT does.",
    args=(),
    shape=_expand_shape,
    call=lambda attr, names, args: f"{names[0]}.expand({names[1]}.shape[0], *{names[0]}.shape[1:])",
    arity=2,
    example="expand_batch(class_token, x)",
    flops=flop_rules.no_flops,
)

LAYERS = (ADD, SUB, MUL, CONCAT, EXPAND_BATCH)
