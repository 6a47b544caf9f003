"""Where a token is: learned and sinusoidal position encodings, and the head tied to a token embedding."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import concrete, need_float
from netspec.compiler.symbolic import show
from netspec.compiler.tensor_types import TensorType, show_shape


def _sequence(t: TensorType, layer: str) -> int:
    need_float(t, layer, weights=True)
    if t.rank != 3:
        raise ShapeError(
            f"{layer} adds positions to a sequence [N, T, D], but its input is {t.rank}-D {show_shape(t.shape)}",
            label=f"input is {show_shape(t.shape)}",
            help="use it right after the token embedding: `embedding(vocab, dim) -> " + layer + "(...)`",
        )
    return concrete(t.shape[2], "width (last dim)", layer)


def _learned_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    width = _sequence(t, "position_embedding")
    if args["dim"] is not None and args["dim"] != width:
        raise ShapeError(
            f"position_embedding has dim={args['dim']}, but the sequence is {width} wide",
            label=f"dim={args['dim']}",
            help=f"write `position_embedding({args['max_len']})` and let netc infer the width",
        )
    length = t.shape[1]
    if isinstance(length, int) and length > args["max_len"]:
        raise ShapeError(
            f"position_embedding holds {args['max_len']} positions, but the sequence has {length}",
            label=f"T = {length}",
            help=f"raise max_len to at least {length}",
        )
    return t


def _learned_params(inputs: list[TensorType], args: Args) -> int:
    width = inputs[0].shape[2]
    assert isinstance(width, int)
    return args["max_len"] * width


POSITION_EMBEDDING = LayerSpec(
    name="position_embedding",
    category="positions",
    doc="Adds a learned vector per position to [N, T, D]: an nn.Embedding(max_len, D) of 0..T-1. "
    "A symbolic T is checked against max_len on the data before training.",
    args=(
        ArgSpec("max_len", "int", minimum=1, aliases=("positions", "block_size")),
        ArgSpec("dim", "optional_int", default=None, minimum=1, aliases=("embedding_dim",)),
    ),
    shape=_learned_shape,
    params=_learned_params,
    module=lambda inputs, args: ("nn.Embedding", [repr(args["max_len"]), repr(inputs[0].shape[2])]),
    call=lambda attr, names, args: f"{names[0]} + {attr}(torch.arange({names[0]}.shape[1], device={names[0]}.device))",
    prefix="pos",
    bounds_length="max_len",
    example="position_embedding(max_len=256)",
    flops=flop_rules.no_flops,
)

SINUSOIDAL_FUNCTION = '''
def sinusoidal_positions(x: torch.Tensor) -> torch.Tensor:
    """x [N, T, D] plus the sinusoidal position encoding of "Attention Is All You Need" (D even)."""
    t, d = x.shape[1], x.shape[2]
    position = torch.arange(t, device=x.device, dtype=torch.float32)[:, None]  # [T, 1]
    freq = 10000.0 ** (-torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d)  # [D/2]
    table = torch.stack([torch.sin(position * freq), torch.cos(position * freq)], dim=-1).flatten(1)  # [T, D]
    return x + table.to(x.dtype)
'''


def _sinusoidal_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    width = _sequence(t, "sinusoidal_positions")
    if width % 2:
        raise ShapeError(
            f"sinusoidal positions pair a sine and a cosine per frequency, but the width {width} is odd",
            label=f"width {width}",
            help="use an even width",
        )
    return t


SINUSOIDAL = LayerSpec(
    name="sinusoidal_positions",
    category="positions",
    doc="Adds the fixed sine/cosine position encoding (Vaswani et al. 2017) to [N, T, D]; no parameters.",
    args=(),
    shape=_sinusoidal_shape,
    call=lambda attr, names, args: f"sinusoidal_positions({names[0]})",
    example="sinusoidal_positions",
    flops=flop_rules.no_flops,
    support=(SINUSOIDAL_FUNCTION,),
)


# ---- weight tying --------------------------------------------------------------------------------


def _tied_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "tied_linear", weights=True)
    if t.spatial:
        raise ShapeError(
            f"tied_linear acts on the last dimension, but its input is a feature map {show_shape(t.shape)}",
            code="E-flatten",
            label=f"input is {show_shape(t.shape)}",
            help="add `flatten` before it",
        )
    if t.shape[-1] != args["dim"]:
        raise ShapeError(
            f"tied_linear reuses the embedding `{args['tie']}` of width {args['dim']}, "
            f"but its input is {show(t.shape[-1])} wide",
            label=f"input is {show_shape(t.shape)}",
            help=f"project to {args['dim']} first, e.g. `linear({args['dim']}) -> tied_linear({args['tie']})`",
        )
    return t.with_shape((*t.shape[:-1], args["vocab"]), spatial=False)


TIED_LINEAR = LayerSpec(
    name="tied_linear",
    category="positions",
    doc="Output head sharing a token embedding's weight: `tok = embedding(vocab, D)` ... `tied_linear(tok)` maps "
    "[N, ..., D] to [N, ..., vocab] as F.linear(x, tok.weight); the weight is counted once. "
    "The embedding must be named and defined in the same block.",
    args=(),
    shape=_tied_shape,
    call=lambda attr, names, args: f"F.linear({names[0]}, {args['tie']}.weight)",
    example="tied_linear(tok)",
    flops=flop_rules.linear,
    ties="embedding",
)

LAYERS = (POSITION_EMBEDDING, SINUSOIDAL, TIED_LINEAR)
