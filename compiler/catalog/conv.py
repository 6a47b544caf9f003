"""Convolutions and transposed convolutions over 1, 2 or 3 spatial dimensions."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, Repair, ShapeError
from netspec.compiler.catalog.common import channels, need_float, need_rank, transpose_out, tuple_arg, window_out
from netspec.compiler.symbolic import Dim, show
from netspec.compiler.tensor_types import TensorType, show_shape

_LAYOUT = {1: "[N, C, L]", 2: "[N, C, H, W]", 3: "[N, C, D, H, W]"}


def _axis_names(n: int) -> tuple[str, ...]:
    return {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}[n]


def _check_groups(layer: str, in_ch: int, out_ch: int, groups: int) -> None:
    if in_ch % groups or out_ch % groups:
        raise ShapeError(
            f"{layer} groups={groups} must divide both in_channels={in_ch} and out_channels={out_ch}",
            label=f"groups={groups}",
            help="choose groups that divides both channel counts",
        )


def _check_in_channels(layer: str, declared: int | None, actual: int, t: TensorType, out: int) -> None:
    if declared is not None and declared != actual:
        # the declared channel count sits last: the data is channels-last ([N, H, W, C]), not the layer wrong
        channels_last = t.rank >= 3 and t.shape[-1] == declared
        order = (0, t.rank - 1, *range(1, t.rank - 1))
        layout = (
            (
                Repair("declare the input channels-first, as PyTorch layers read it", input_order=order),
                Repair(
                    "permute the channels-last input first",
                    before=f"permute({', '.join(map(str, order))}) -> ",
                    applicable=False,
                ),
            )
            if channels_last
            else ()
        )
        raise ShapeError(
            f"{layer} expects {declared} input channels, but its input has {actual} {t}",
            label=f"declared in_channels={declared}",
            help="PyTorch reads dim 1 as channels: declare the input channels-first or permute it"
            if channels_last
            else f"drop the explicit value and let netc infer it, or write `{layer}({actual} -> {out}, ...)`",
            notes=(
                f"expected [N, {declared}, ...], found {show_shape(t.shape)}",
                *(
                    (f"{declared} is the size of the last dimension: is the input channels-last?",)
                    if channels_last
                    else ()
                ),
            ),
            repairs=(
                *layout,
                Repair(
                    f"write the inferred in_channels={actual}",
                    set_args=(("in_channels", actual),),
                ),
                Repair("drop in_channels and let netc infer it", set_args=(("in_channels", None),), applicable=False),
                *(
                    ()
                    if channels_last
                    else (
                        Repair(
                            f"declare the input with {declared} channels", input_size=(1, declared), applicable=False
                        ),
                    )
                ),
            ),
        )


def _check_time_as_channels(layer: str, t: TensorType) -> None:
    """A sequence [N, T, F] (T symbolic, F fixed) fed to conv1d: the layout, not the layer, is what is wrong."""
    if t.rank != 3 or isinstance(t.shape[1], int) or not isinstance(t.shape[2], int):
        return
    raise ShapeError(
        f"{layer} reads dim 1 as channels, but in {show_shape(t.shape)} dim 1 is the symbolic length "
        f"{show(t.shape[1])} and {t.shape[2]} looks like the features",
        code="E-symbolic",
        label=f"channels would be {show(t.shape[1])}",
        help=f"PyTorch's {layer} reads [N, C, L]: permute the sequence first, `permute(0, 2, 1) -> {layer}(...)`",
        notes=(f"expected [N, C, L] with C fixed, found {show_shape(t.shape)}",),
        repairs=(
            Repair("permute the sequence to [N, F, T] first", before="permute(0, 2, 1) -> "),
            Repair("declare the input as [N, F, T]", input_order=(0, 2, 1), applicable=False),
        ),
    )


def _check_input(layer: str, n: int, t: TensorType, args: Args) -> None:
    """What every convolution needs: float32 [N, C, ...] of the right rank; channels that fit."""
    need_float(t, layer, weights=True)
    need_rank(t, (n + 2,), layer, _LAYOUT[n])
    _check_time_as_channels(layer, t)
    in_ch = channels(t, layer)
    _check_in_channels(layer, args["in_channels"], in_ch, t, args["channels"])
    _check_groups(layer, in_ch, args["channels"], args["groups"])


def _conv_rule(n: int):
    layer = f"conv{n}d"

    def shape(inputs: list[TensorType], args: Args) -> TensorType:
        (t,) = inputs
        out_ch = args["channels"]
        _check_input(layer, n, t, args)
        kernel = tuple_arg(args["kernel"], n)
        stride = tuple_arg(args["stride"], n)
        dilation = tuple_arg(args["dilation"], n)
        padding = args["padding"]
        spatial: list[Dim] = []
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ShapeError(
                    f"{layer} padding=same needs stride 1, but stride is {args['stride']}",
                    code="E-arg-type",
                    label="padding=same",
                    help="use an explicit padding with a stride, e.g. padding=1 for kernel 3",
                )
            spatial = list(t.shape[2:])
        else:
            pads = (0,) * n if padding == "valid" else tuple_arg(padding, n)
            for axis, (length, k, s, p, d) in enumerate(zip(t.shape[2:], kernel, stride, pads, dilation, strict=False)):
                spatial.append(window_out(length, k, s, p, d, False, layer, _axis_names(n)[axis]))
        return t.with_shape((t.shape[0], out_ch, *spatial), spatial=True)

    return shape


def _conv_args(n: int, transpose: bool) -> tuple[ArgSpec, ...]:
    args = [
        ArgSpec("channels", "int", minimum=1, aliases=("out_channels", "out")),
        ArgSpec("kernel", "ints", minimum=1, aliases=("kernel_size",), arity=n),
        ArgSpec("stride", "ints", default=1, minimum=1, arity=n),
        ArgSpec("padding", "ints" if transpose else "padding", default=0, minimum=0, arity=n),
    ]
    if transpose:
        args.append(ArgSpec("output_padding", "ints", default=0, minimum=0, arity=n))
    args += [
        ArgSpec("dilation", "ints", default=1, minimum=1, arity=n),
        ArgSpec("groups", "int", default=1, minimum=1),
        ArgSpec("bias", "bool", default=True),
        ArgSpec("in_channels", "optional_int", default=None, minimum=1, aliases=("in",), keyword_only=True),
    ]
    return tuple(args)


def _transpose_rule(n: int):
    layer = f"conv_transpose{n}d"

    def shape(inputs: list[TensorType], args: Args) -> TensorType:
        (t,) = inputs
        out_ch = args["channels"]
        _check_input(layer, n, t, args)
        kernel, stride, pads, out_pads, dilation = (
            tuple_arg(args[k], n) for k in ("kernel", "stride", "padding", "output_padding", "dilation")
        )
        for op, s, d in zip(out_pads, stride, dilation, strict=False):
            if op >= max(s, d):
                raise ShapeError(
                    f"{layer} output_padding={op} must be smaller than stride or dilation ({max(s, d)})",
                    code="E-arg-type",
                    label=f"output_padding={op}",
                    help="output_padding only resolves the ambiguity of a strided transpose; keep it below the stride",
                )
        spatial = [
            transpose_out(length, k, s, p, op, d, layer, _axis_names(n)[i])
            for i, (length, k, s, p, op, d) in enumerate(
                zip(t.shape[2:], kernel, stride, pads, out_pads, dilation, strict=False)
            )
        ]
        return t.with_shape((t.shape[0], out_ch, *spatial), spatial=True)

    return shape


def _params(n: int):
    def params(inputs: list[TensorType], args: Args) -> int:
        """in * out / groups * prod(kernel) (+ bias), for convolutions and their transposes alike."""
        in_ch = inputs[0].shape[1]
        assert isinstance(in_ch, int)
        weights = in_ch * args["channels"] // args["groups"]
        for k in tuple_arg(args["kernel"], n):
            weights *= k
        return weights + (args["channels"] if args["bias"] else 0)

    return params


# keyword arguments written when they differ from PyTorch's default, in the order they are written
_CONV_OPTIONS = (("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1))
_TRANSPOSE_OPTIONS = (("stride", 1), ("padding", 0), ("output_padding", 0), ("groups", 1), ("dilation", 1))


def _module(cls: str, options: tuple[tuple[str, int], ...]):
    def module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
        rendered = [repr(inputs[0].shape[1]), repr(args["channels"]), f"kernel_size={args['kernel']!r}"]
        rendered += [f"{name}={args[name]!r}" for name, default in options if args[name] != default]
        if not args["bias"]:
            rendered.append("bias=False")
        return cls, rendered

    return module


def _make(n: int, transpose: bool) -> LayerSpec:
    shape = _transpose_rule(n) if transpose else _conv_rule(n)
    module = (
        _module(f"nn.ConvTranspose{n}d", _TRANSPOSE_OPTIONS) if transpose else _module(f"nn.Conv{n}d", _CONV_OPTIONS)
    )
    name = f"conv_transpose{n}d" if transpose else f"conv{n}d"
    return LayerSpec(
        name=name,
        category="conv",
        doc=f"{'Transposed c' if transpose else 'C'}onvolution over {_LAYOUT[n]}; in_channels is inferred.",
        args=_conv_args(n, transpose),
        shape=shape,
        params=_params(n),
        flops=flop_rules.conv(n, transpose),
        module=module,
        io=("in_channels", "channels"),
        prefix="deconv" if transpose else "conv",
        example=f"{name}(32, kernel=3{', stride=2' if transpose else ''})",
    )


LAYERS = tuple(_make(n, False) for n in (1, 2, 3)) + tuple(_make(n, True) for n in (1, 2, 3))
