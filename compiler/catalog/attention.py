"""Attention and its primitives: matmul of two values, transpose, heads split/merge, multi-head attention."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import concrete, need_float, normalize_dim
from netspec.compiler.symbolic import Dim, mul, show
from netspec.compiler.tensor_types import TensorType, show_shape


def _same_dtype(a: TensorType, b: TensorType, layer: str) -> None:
    if a.dtype != b.dtype:
        raise ShapeError(
            f"{layer} mixes {a.dtype} and {b.dtype}",
            code="E-dtype",
            label=f"{a.dtype} and {b.dtype}",
            help="both values must have the same dtype",
        )


# ---- matmul ----------------------------------------------------------------------------------


def _matmul_shape(inputs: list[TensorType], args: Args) -> TensorType:
    a, b = inputs
    for t, side in ((a, "left"), (b, "right")):
        need_float(t, "matmul")
        if t.rank < 3:
            raise ShapeError(
                f"matmul multiplies batches of matrices [N, ..., R, C], but its {side} value is "
                f"{t.rank}-D {show_shape(t.shape)}",
                label=f"{side} is {show_shape(t.shape)}",
                help="for [N, D] features use `linear`; matmul needs at least [N, R, C] on both sides",
                notes=("PyTorch would multiply the batch dimension N as matrix rows, mixing samples",),
            )
    _same_dtype(a, b, "matmul")
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(
            f"matmul needs the left value's last dim to equal the right value's second-to-last, but got "
            f"{show_shape(a.shape)} @ {show_shape(b.shape)} ({show(a.shape[-1])} vs {show(b.shape[-2])})",
            label=f"{show_shape(a.shape)} @ {show_shape(b.shape)}",
            help="transpose one side, e.g. `matmul(q, transpose(k, -2, -1))` for attention scores",
        )
    batch: list[Dim] = []
    left, right = a.shape[:-2], b.shape[:-2]
    for i in range(1, max(len(left), len(right)) + 1):
        da = left[-i] if i <= len(left) else 1
        db = right[-i] if i <= len(right) else 1
        if da == db or db == 1:
            batch.append(da)
        elif da == 1:
            batch.append(db)
        else:
            raise ShapeError(
                f"matmul broadcasts the leading (batch) dims, but {show(da)} and {show(db)} differ in "
                f"{show_shape(a.shape)} @ {show_shape(b.shape)}",
                label=f"{show_shape(a.shape)} @ {show_shape(b.shape)}",
                help="the dims before the last two must be equal or 1",
            )
    return TensorType(a.dtype, (*reversed(batch), a.shape[-2], b.shape[-1]))


MATMUL = LayerSpec(
    name="matmul",
    category="attention",
    doc="Batched matrix product of two values: [N, ..., R, K] @ [N, ..., K, C] -> [N, ..., R, C] "
    "(leading dims broadcast).",
    args=(),
    shape=_matmul_shape,
    call=lambda attr, names, args: f"torch.matmul({names[0]}, {names[1]})",
    arity=2,
    example="matmul(q, transpose(k, -2, -1))",
    flops=flop_rules.linear,
)


# ---- transpose -------------------------------------------------------------------------------


def _transpose_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    d0, d1 = (normalize_dim(args[k], t.rank, "transpose") for k in ("dim0", "dim1"))
    if 0 in (d0, d1):
        raise ShapeError(
            "transpose must keep the batch dimension first",
            code="E-arg-type",
            label=f"dims {args['dim0']}, {args['dim1']}",
            help="swap two dims after the batch, e.g. `transpose(1, 2)`",
            notes=("PyTorch would swap the batch dimension away from the front",),
        )
    shape = list(t.shape)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    return t.with_shape(tuple(shape), spatial=False)


TRANSPOSE = LayerSpec(
    name="transpose",
    category="attention",
    doc="Swap two dims (not the batch): `transpose(-2, -1)` turns [N, H, T, D] into [N, H, D, T].",
    args=(ArgSpec("dim0", "int"), ArgSpec("dim1", "int")),
    shape=_transpose_shape,
    call=lambda attr, names, args: f"{names[0]}.transpose({args['dim0']}, {args['dim1']})",
    example="transpose(1, 2)",
    flops=flop_rules.no_flops,
)


# ---- heads -----------------------------------------------------------------------------------


def _divisors(width: int) -> str:
    return ", ".join(str(h) for h in range(1, width + 1) if width % h == 0 and h <= 64)


def head_size(width: Dim, heads: int, layer: str) -> int:
    """Width / heads, or an error that lists the head counts that would divide the width."""
    d = concrete(width, "width (last dim)", layer)
    if d % heads:
        raise ShapeError(
            f"{layer} splits the width {d} into {heads} heads, but {heads} does not divide {d}",
            label=f"width {d}, heads={heads}",
            help=f"use a head count that divides {d} ({_divisors(d)}), or change the width to a multiple of {heads}",
        )
    return d // heads


def _split_heads_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "split_heads")
    if t.rank != 3:
        raise ShapeError(
            f"split_heads expects a sequence [N, T, D], but its input is {t.rank}-D {show_shape(t.shape)}",
            label=f"input is {show_shape(t.shape)}",
            help="split heads right after the q/k/v projections (`linear(D) -> split_heads(H)`)",
        )
    size = head_size(t.shape[2], args["heads"], "split_heads")
    return t.with_shape((t.shape[0], args["heads"], t.shape[1], size), spatial=False)


SPLIT_HEADS = LayerSpec(
    name="split_heads",
    category="attention",
    doc="[N, T, D] -> [N, heads, T, D / heads] (unflatten the width, then move heads before time).",
    args=(ArgSpec("heads", "int", minimum=1, aliases=("num_heads",)),),
    shape=_split_heads_shape,
    call=lambda attr, names, args: f"{names[0]}.unflatten(-1, ({args['heads']}, -1)).transpose(1, 2)",
    example="split_heads(8)",
    flops=flop_rules.no_flops,
)


def _merge_heads_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    if t.rank != 4:
        raise ShapeError(
            f"merge_heads expects heads [N, H, T, D/H], but its input is {t.rank}-D {show_shape(t.shape)}",
            label=f"input is {show_shape(t.shape)}",
            help="merge_heads undoes `split_heads`; use it on the attention output",
        )
    n, h, time, size = t.shape
    return t.with_shape((n, time, mul(h, size)), spatial=False)


MERGE_HEADS = LayerSpec(
    name="merge_heads",
    category="attention",
    doc="[N, H, T, D/H] -> [N, T, D]: the inverse of `split_heads`.",
    args=(),
    shape=_merge_heads_shape,
    call=lambda attr, names, args: f"{names[0]}.transpose(1, 2).flatten(2)",
    example="merge_heads",
    flops=flop_rules.no_flops,
)


# ---- masks shared by the attention layers -------------------------------------------------------


def _check_mask(mask: TensorType, q: TensorType, kv: TensorType, layer: str, causal: bool) -> None:
    want = (q.shape[0], kv.shape[-2])
    if mask.dtype != "bool" or mask.shape != want:
        notes = ()
        if mask.is_float and layer == "attention" and not causal:
            notes = ("PyTorch would add a float mask to the attention scores instead of masking keys",)
        elif mask.is_float:
            # mha's key_padding_mask=~mask, and a causal mask's `&`, need a bool tensor
            notes = ("PyTorch would raise an error on a float mask here (`~` and `&` take bool masks)",)
        elif mask.rank == 2 and mask.shape[1] == 1 and layer == "attention":
            notes = ("PyTorch would broadcast a length-1 mask over every key",)
        elif mask.rank == 2 and mask.shape[1] == 1:
            notes = ("PyTorch would raise an error: nn.MultiheadAttention takes a key_padding_mask of [N, S]",)
        raise ShapeError(
            f"{layer}'s key-padding mask must be bool{show_shape(want)} (one flag per key: true = a real token), "
            f"but it is {mask.dtype}{show_shape(mask.shape)}",
            label=f"mask is {mask.dtype}{show_shape(mask.shape)}",
            help=f"declare it as `input mask: bool{show_shape(want)}` with the keys' sequence length",
            notes=notes,
        )


def _sequences(
    inputs: list[TensorType], layer: str, causal: bool = False
) -> tuple[TensorType, TensorType, TensorType | None]:
    q = inputs[0]
    kv = inputs[1] if len(inputs) > 1 else q
    mask = inputs[2] if len(inputs) > 2 else None
    for t, what in ((q, "query"), (kv, "key/value")):
        need_float(t, layer, weights=True)
        if t.rank != 3:
            raise ShapeError(
                f"{layer} expects {what} sequences [N, T, D], but it is {t.rank}-D {show_shape(t.shape)}",
                label=f"{what} is {show_shape(t.shape)}",
                help="flatten a feature map to tokens first, e.g. `flatten(2) -> transpose(1, 2)` gives [N, H*W, C]",
            )
    if q.shape[0] != kv.shape[0]:
        raise ShapeError(f"{layer} needs the same batch for query and key/value", label="batch differs")
    if mask is not None:
        _check_mask(mask, q, kv, layer, causal)
    return q, kv, mask


# ---- multi-head attention (scaled_dot_product_attention) ----------------------------------------

ATTENTION_CLASS = '''
class MultiHeadAttention(nn.Module):
    """Multi-head attention: nn.Linear projections around F.scaled_dot_product_attention."""

    def __init__(
        self,
        dim: int,
        heads: int,
        kv_dim: int | None = None,
        bias: bool = True,
        dropout: float = 0.0,
        causal: bool = False,
        rotary: bool = False,
    ) -> None:
        super().__init__()
        kv_dim = dim if kv_dim is None else kv_dim
        self.heads, self.dropout, self.causal, self.rotary = heads, dropout, causal, rotary
        self.q = nn.Linear(dim, dim, bias=bias)
        self.k = nn.Linear(kv_dim, dim, bias=bias)
        self.v = nn.Linear(kv_dim, dim, bias=bias)
        self.out = nn.Linear(dim, dim, bias=bias)

    def forward(
        self, x: torch.Tensor, kv: torch.Tensor | None = None, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        kv = x if kv is None else kv
        q = self.q(x).unflatten(-1, (self.heads, -1)).transpose(1, 2)  # [N, H, T, D/H]
        k = self.k(kv).unflatten(-1, (self.heads, -1)).transpose(1, 2)  # [N, H, S, D/H]
        v = self.v(kv).unflatten(-1, (self.heads, -1)).transpose(1, 2)  # [N, H, S, D/H]
        if self.rotary:
            q, k = rotate_positions(q), rotate_positions(k)
        attn_mask, causal = None, self.causal
        if mask is not None:  # [N, S], true = a real token
            attn_mask = mask[:, None, None, :]  # [N, 1, 1, S]
            if causal:
                t, s = q.shape[-2], k.shape[-2]
                attn_mask = attn_mask & torch.ones(t, s, dtype=torch.bool, device=q.device).tril()
                causal = False
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=p, is_causal=causal)
        return self.out(y.transpose(1, 2).flatten(2))  # [N, T, D]
'''

ROTARY_FUNCTION = '''
def rotate_positions(x: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding (RoFormer, GPT-NeoX half-split form) of [N, H, T, D] along T."""
    half = x.shape[-1] // 2
    freq = 10000.0 ** (-torch.arange(half, device=x.device, dtype=torch.float32) / half)
    angle = torch.arange(x.shape[-2], device=x.device, dtype=torch.float32)[:, None] * freq  # [T, D/2]
    cos, sin = angle.cos().to(x.dtype), angle.sin().to(x.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
'''


def _attention_shape(inputs: list[TensorType], args: Args) -> TensorType:
    q, kv, _ = _sequences(inputs, "attention", causal=bool(args.get("causal")))
    dim = concrete(q.shape[2], "query width (last dim)", "attention")
    concrete(kv.shape[2], "key/value width (last dim)", "attention")
    size = head_size(dim, args["heads"], "attention")
    if args["rotary"] and size % 2:
        raise ShapeError(
            f"rotary positions rotate pairs of features, but the head size {dim} / {args['heads']} = {size} is odd",
            label=f"head size {size}",
            help="choose heads so that the head size is even",
        )
    return q


def _attention_params(inputs: list[TensorType], args: Args) -> int:
    dim = inputs[0].shape[2]
    kv_dim = inputs[1].shape[2] if len(inputs) > 1 else dim
    assert isinstance(dim, int) and isinstance(kv_dim, int)
    weights = 2 * dim * dim + 2 * kv_dim * dim
    return weights + (4 * dim if args["bias"] else 0)


def _attention_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    dim = inputs[0].shape[2]
    rendered = [repr(dim), repr(args["heads"])]
    if len(inputs) > 1 and inputs[1].shape[2] != dim:
        rendered.append(f"kv_dim={inputs[1].shape[2]!r}")
    for key, default in (("bias", True), ("dropout", 0.0), ("causal", False), ("rotary", False)):
        if args[key] != default:
            rendered.append(f"{key}={args[key]!r}")
    return "MultiHeadAttention", rendered


def _attention_call(attr: str | None, names: list[str], args: Args) -> str:
    if len(names) == 3:
        return f"{attr}({names[0]}, {names[1]}, mask={names[2]})"
    return f"{attr}({', '.join(names)})"


_ATTENTION_ARGS = (
    ArgSpec("heads", "int", minimum=1, aliases=("num_heads",)),
    ArgSpec("dropout", "float", default=0.0, minimum=0.0, maximum=1.0),
    ArgSpec("bias", "bool", default=True),
    ArgSpec("causal", "bool", default=False),
)

ATTENTION = LayerSpec(
    name="attention",
    category="attention",
    doc="Multi-head attention over [N, T, D]: `attention(heads=8)` is self-attention; `attention(x, mem, heads=8)` "
    "takes keys/values from `mem` [N, S, E]; a third value, bool [N, S], masks padded keys (true = a real token). "
    "`causal=true` lets position t see only positions <= t; `rotary=true` rotates q and k by position (RoPE). "
    "nn.Linear projections q, k, v, out around F.scaled_dot_product_attention.",
    args=(*_ATTENTION_ARGS, ArgSpec("rotary", "bool", default=False)),
    shape=_attention_shape,
    params=_attention_params,
    module=_attention_module,
    call=_attention_call,
    prefix="attn",
    example="attention(heads=4, causal=true)",
    flops=flop_rules.attention,
    optional_inputs=2,
    support=(ROTARY_FUNCTION, ATTENTION_CLASS),
)


# ---- nn.MultiheadAttention (the form torchvision's ViT uses) --------------------------------------


def _mha_shape(inputs: list[TensorType], args: Args) -> TensorType:
    q, kv, _ = _sequences(inputs, "mha")
    dim = concrete(q.shape[2], "query width (last dim)", "mha")
    if kv.shape[2] != dim:
        raise ShapeError(
            f"mha (nn.MultiheadAttention) here needs keys/values as wide as the queries ({dim}), "
            f"but they are {show(kv.shape[2])} wide",
            label=f"query width {dim}, key/value width {show(kv.shape[2])}",
            help="use `attention(...)`, which projects keys/values of any width, or add `linear(...)` on them",
        )
    head_size(dim, args["heads"], "mha")
    return q


def _mha_params(inputs: list[TensorType], args: Args) -> int:
    dim = inputs[0].shape[2]
    assert isinstance(dim, int)
    return 4 * dim * dim + (4 * dim if args["bias"] else 0)


def _mha_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    rendered = [repr(inputs[0].shape[2]), repr(args["heads"])]
    if args["dropout"]:
        rendered.append(f"dropout={args['dropout']!r}")
    if not args["bias"]:
        rendered.append("bias=False")
    return "nn.MultiheadAttention", [*rendered, "batch_first=True"]


def _mha_call(attr: str | None, names: list[str], args: Args) -> str:
    q = names[0]
    kv = names[1] if len(names) > 1 else q
    extra = [f"key_padding_mask=~{names[2]}"] if len(names) > 2 else []
    if args["causal"]:
        extra.append(f"attn_mask=nn.Transformer.generate_square_subsequent_mask({q}.shape[1], device={q}.device)")
        extra.append("is_causal=True")
    return f"{attr}({', '.join([q, kv, kv, *extra])}, need_weights=False)[0]"


def _mha_causal_shape(inputs: list[TensorType], args: Args) -> TensorType:
    out = _mha_shape(inputs, args)
    if args["causal"] and (len(inputs) > 1 and inputs[1].shape[1] != inputs[0].shape[1]):
        raise ShapeError(
            "mha with causal=true needs as many keys as queries",
            label="causal cross-attention",
            help="use `attention(..., causal=true)` for causal attention over sequences of different lengths",
        )
    return out


MHA = LayerSpec(
    name="mha",
    category="attention",
    doc="nn.MultiheadAttention(batch_first=True) over [N, T, D], with the same inputs as `attention` "
    "(state_dict names in_proj_weight/out_proj, as torchvision's ViT); keys/values as wide as the queries.",
    args=_ATTENTION_ARGS,
    shape=_mha_causal_shape,
    params=_mha_params,
    module=_mha_module,
    call=_mha_call,
    prefix="attn",
    example="mha(heads=12)",
    flops=flop_rules.attention,
    optional_inputs=2,
)

LAYERS = (MATMUL, TRANSPOSE, SPLIT_HEADS, MERGE_HEADS, ATTENTION, MHA)
