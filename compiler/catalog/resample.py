"""Resizing feature maps: interpolation to a size, a scale or another value's size, and pixel (un)shuffle."""

from __future__ import annotations

import math

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import channels, concrete, need_float, need_rank, string_literal
from netspec.compiler.symbolic import Dim, floordiv, mul
from netspec.compiler.tensor_types import TensorType, show_shape

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
# the interpolating modes and the one input rank each accepts; the others work on any [N, C, ...] of rank 3-5
_MODE_RANK = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_LAYOUT = "[N, C, L], [N, C, H, W] or [N, C, D, H, W]"


def _check_mode(t: TensorType, args: Args, layer: str) -> None:
    need_float(t, layer)
    need_rank(t, (3, 4, 5), layer, _LAYOUT)
    mode = args["mode"]
    want = _MODE_RANK.get(mode)
    if want is not None and t.rank != want:
        fits = next(m for m, r in _MODE_RANK.items() if r == t.rank) if t.rank in _MODE_RANK.values() else "nearest"
        raise ShapeError(
            f"{layer} mode={mode} works on {want}-D input, but its input is {t.rank}-D {show_shape(t.shape)}",
            code="E-arg-type",
            label=f"mode={mode}",
            help=f"use mode={fits} for a {t.rank}-D input",
        )
    if args["align_corners"] and want is None:
        raise ShapeError(
            f"align_corners applies only to the interpolating modes (linear, bilinear, bicubic, trilinear), "
            f"not mode={mode}",
            code="E-arg-type",
            label="align_corners=true",
            help="remove align_corners, or choose an interpolating mode",
        )


def _scaled(length: Dim, scale: float, axis: int, layer: str) -> Dim:
    """PyTorch's output size floor(length * scale); symbolic lengths only for whole-number scales."""
    if scale == int(scale) and not isinstance(length, int):
        return mul(length, int(scale))
    size = concrete(length, f"size of dim {axis} (a fractional scale needs it)", layer)
    out = math.floor(size * scale)
    if out < 1:
        raise ShapeError(
            f"{layer} scale={scale!r} shrinks dim {axis} from {size} to {out}",
            label=f"dim {axis} becomes {out}",
            help="use a larger scale or a `size`",
        )
    return out


def _upsample_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    _check_mode(t, args, "upsample")
    size, scale = args["size"], args["scale"]
    n = t.rank - 2
    if (size is None) == (scale is None):
        raise ShapeError(
            "upsample needs exactly one of `size` and `scale`",
            code="E-arg-count",
            label="both given" if size is not None else "neither given",
            help="write e.g. `upsample(scale=2)` or `upsample(size=[56, 56])`; `upsample_like(x, ref)` takes the "
            "size of another value",
        )
    if size is not None:
        sizes = size * n if len(size) == 1 else size
        if len(sizes) != n or any(s < 1 for s in sizes):
            raise ShapeError(
                f"upsample size must be {n} positive integer{'s' * (n > 1)} for a {t.rank}-D input, not {list(size)}",
                code="E-arg-type",
                label=f"size={list(size)}",
                help=f"give one size per spatial dim, e.g. size={[8] * n}",
            )
        spatial: list[Dim] = list(sizes)
    else:
        spatial = [_scaled(d, scale, axis + 2, "upsample") for axis, d in enumerate(t.shape[2:])]
    return t.with_shape((*t.shape[:2], *spatial))


def _interpolate_options(args: Args) -> str:
    text = "" if args["mode"] == "nearest" else f", mode={string_literal(args['mode'])}"
    return text + (", align_corners=True" if args["align_corners"] else "")


def _upsample_call(attr: str | None, names: list[str], args: Args) -> str:
    if args["size"] is not None:
        size = args["size"][0] if len(args["size"]) == 1 else tuple(args["size"])
        target = f"size={size!r}"
    else:
        target = f"scale_factor={args['scale']!r}"
    return f"F.interpolate({names[0]}, {target}{_interpolate_options(args)})"


_MODE_ARGS = (
    ArgSpec("mode", "choice", default="nearest", choices=_MODES),
    ArgSpec("align_corners", "bool", default=False),
)

UPSAMPLE = LayerSpec(
    name="upsample",
    category="resample",
    doc="Resize [N, C, ...] to `size` (one per spatial dim, or one for all) or by `scale` (output floor(size * "
    "scale), as F.interpolate); mode nearest (default), bilinear, bicubic, ...",
    args=(
        ArgSpec("size", "int_list", default=None),
        ArgSpec("scale", "optional_float", default=None, minimum=1e-6, aliases=("scale_factor",)),
        *_MODE_ARGS,
    ),
    shape=_upsample_shape,
    call=_upsample_call,
    example="upsample(scale=2, mode=bilinear)",
    flops=flop_rules.no_flops,
)


def _like_shape(inputs: list[TensorType], args: Args) -> TensorType:
    t, ref = inputs
    _check_mode(t, args, "upsample_like")
    if ref.rank != t.rank:
        raise ShapeError(
            f"upsample_like resizes to the spatial size of a value of the same rank, but got {show_shape(t.shape)} "
            f"and {show_shape(ref.shape)}",
            label=f"{t.rank}-D and {ref.rank}-D",
            help="pass a reference with the same layout [N, C, ...]",
        )
    return t.with_shape((*t.shape[:2], *ref.shape[2:]))


UPSAMPLE_LIKE = LayerSpec(
    name="upsample_like",
    category="resample",
    doc="Resize the first value to the spatial size of the second (`upsample_like(y, x, mode=bilinear)`), "
    "as segmentation heads return to the input's size.",
    args=_MODE_ARGS,
    shape=_like_shape,
    call=lambda attr, names, args: f"F.interpolate({names[0]}, size={names[1]}.shape[2:]{_interpolate_options(args)})",
    arity=2,
    example="upsample_like(y, x, mode=bilinear)",
    flops=flop_rules.no_flops,
)


def _pixel_shuffle_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_rank(t, (4,), "pixel_shuffle", "[N, C, H, W]")
    r = args["factor"]
    c = channels(t, "pixel_shuffle")
    if c % (r * r):
        raise ShapeError(
            f"pixel_shuffle({r}) moves {r}x{r} = {r * r} channels into each pixel block, but {c} channels "
            f"are not a multiple of {r * r}",
            label=f"{c} channels",
            help=f"give the layer before {r * r} * k channels",
        )
    return t.with_shape((t.shape[0], c // (r * r), mul(t.shape[2], r), mul(t.shape[3], r)))


def _pixel_unshuffle_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_rank(t, (4,), "pixel_unshuffle", "[N, C, H, W]")
    r = args["factor"]
    spatial = []
    for axis, d in zip(("height", "width"), t.shape[2:], strict=True):
        size = concrete(d, f"{axis} (it must be a multiple of {r})", "pixel_unshuffle")
        if size % r:
            raise ShapeError(
                f"pixel_unshuffle({r}) needs the {axis} to be a multiple of {r}, but it is {size}",
                label=f"{axis} is {size}",
                help=f"resize or pad the map to a multiple of {r}",
            )
        spatial.append(floordiv(size, r))
    return t.with_shape((t.shape[0], mul(t.shape[1], r * r), *spatial))


def _factor() -> tuple[ArgSpec, ...]:
    return (ArgSpec("factor", "int", minimum=1, aliases=("upscale_factor", "downscale_factor")),)


PIXEL_SHUFFLE = LayerSpec(
    name="pixel_shuffle",
    category="resample",
    doc="[N, C * r * r, H, W] -> [N, C, H * r, W * r] (sub-pixel convolution upsampling).",
    args=_factor(),
    shape=_pixel_shuffle_shape,
    call=lambda attr, names, args: f"F.pixel_shuffle({names[0]}, {args['factor']})",
    example="pixel_shuffle(2)",
    flops=flop_rules.no_flops,
)

PIXEL_UNSHUFFLE = LayerSpec(
    name="pixel_unshuffle",
    category="resample",
    doc="[N, C, H * r, W * r] -> [N, C * r * r, H, W], the inverse of pixel_shuffle.",
    args=_factor(),
    shape=_pixel_unshuffle_shape,
    call=lambda attr, names, args: f"F.pixel_unshuffle({names[0]}, {args['factor']})",
    example="pixel_unshuffle(2)",
    flops=flop_rules.no_flops,
)

LAYERS = (UPSAMPLE, UPSAMPLE_LIKE, PIXEL_SHUFFLE, PIXEL_UNSHUFFLE)
