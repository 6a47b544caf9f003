"""Max, average and adaptive pooling over 1, 2 or 3 spatial dimensions."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import need_float, need_rank, tuple_arg, window_out
from netspec.compiler.tensor_types import TensorType

_LAYOUT = {1: "[N, C, L]", 2: "[N, C, H, W]", 3: "[N, C, D, H, W]"}
_AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _pool(n: int, kind: str) -> LayerSpec:
    name = f"{kind}pool{n}d"
    torch_name = f"nn.{'Max' if kind == 'max' else 'Avg'}Pool{n}d"

    def shape(inputs: list[TensorType], args: Args) -> TensorType:
        (t,) = inputs
        need_float(t, name)
        need_rank(t, (n + 2,), name, _LAYOUT[n])
        kernel = tuple_arg(args["kernel"], n)
        stride = tuple_arg(args["stride"] if args["stride"] is not None else args["kernel"], n)
        padding = tuple_arg(args["padding"], n)
        dilation = tuple_arg(args.get("dilation", 1), n)
        for k, p in zip(kernel, padding, strict=False):
            if p > k // 2:
                raise ShapeError(
                    f"{name} padding={p} must be at most half the kernel ({k} // 2 = {k // 2})",
                    code="E-arg-type",
                    label=f"padding={p}",
                    help=f"use padding <= {k // 2}",
                )
        if kind == "avg" and n == 3:
            _avg3d_fits(t, kernel)
        spatial = [
            window_out(length, k, s, p, d, args["ceil_mode"], name, _AXES[n][i], pool=True)
            for i, (length, k, s, p, d) in enumerate(zip(t.shape[2:], kernel, stride, padding, dilation, strict=False))
        ]
        return t.with_shape((*t.shape[:2], *spatial), spatial=True)

    def module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
        rendered = [repr(args["kernel"])]
        if args["stride"] is not None and args["stride"] != args["kernel"]:
            rendered.append(f"stride={args['stride']!r}")
        if args["padding"] != 0:
            rendered.append(f"padding={args['padding']!r}")
        if kind == "max" and args["dilation"] != 1:
            rendered.append(f"dilation={args['dilation']!r}")
        if args["ceil_mode"]:
            rendered.append("ceil_mode=True")
        if kind == "avg" and not args["count_include_pad"]:
            rendered.append("count_include_pad=False")
        return torch_name, rendered

    args = [
        ArgSpec("kernel", "ints", minimum=1, aliases=("kernel_size",), arity=n),
        ArgSpec("stride", "optional_ints", default=None, minimum=1, arity=n),
        ArgSpec("padding", "ints", default=0, minimum=0, arity=n),
    ]
    if kind == "max":
        args.append(ArgSpec("dilation", "ints", default=1, minimum=1, arity=n))
    args.append(ArgSpec("ceil_mode", "bool", default=False))
    if kind == "avg":
        args.append(ArgSpec("count_include_pad", "bool", default=True))
    return LayerSpec(
        name=name,
        category="pool",
        doc=f"{'Max' if kind == 'max' else 'Average'} pooling over {_LAYOUT[n]}; stride defaults to the kernel.",
        args=tuple(args),
        shape=shape,
        module=module,
        prefix="pool",
        example=f"{name}(2)",
        flops=flop_rules.no_flops,
    )


def _avg3d_fits(t: TensorType, kernel: tuple[int, ...]) -> None:
    """PyTorch's avg_pool3d (not the 1-D or 2-D pools) needs the unpadded input at least the kernel on every axis."""
    for axis, length, k in zip(_AXES[3], t.shape[2:], kernel, strict=True):
        if isinstance(length, int) and length < k:
            raise ShapeError(
                f"avgpool3d needs the {axis} ({length}) to be at least the kernel ({k}) before padding",
                label=f"{axis} is {length}",
                help=f"use a kernel of at most {length} along the {axis}, e.g. kernel=[{min(length, k)}, ...]",
                notes=('PyTorch\'s avg_pool3d checks this too ("input image smaller than kernel size")',),
            )


def _adaptive(n: int, kind: str) -> LayerSpec:
    name = f"adaptive_{kind}pool{n}d"
    torch_name = f"nn.Adaptive{'Max' if kind == 'max' else 'Avg'}Pool{n}d"

    def shape(inputs: list[TensorType], args: Args) -> TensorType:
        (t,) = inputs
        need_float(t, name)
        need_rank(t, (n + 2,), name, _LAYOUT[n])
        size = args["size"]
        sizes = (size,) * n if isinstance(size, int) or size is None else tuple(size)
        spatial = [length if s is None else s for s, length in zip(sizes, t.shape[2:], strict=False)]
        return t.with_shape((*t.shape[:2], *spatial), spatial=True)

    def module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
        return torch_name, [repr(args["size"])]

    return LayerSpec(
        name=name,
        category="pool",
        doc=f"Adaptive {kind} pooling to a fixed output size (works on any input size).",
        args=(ArgSpec("size", "adaptive", minimum=1, aliases=("output_size",), arity=n),),
        shape=shape,
        module=module,
        prefix="pool",
        example=f"{name}(1)",
        flops=flop_rules.no_flops,
    )


LAYERS = tuple(_pool(n, k) for k in ("max", "avg") for n in (1, 2, 3)) + tuple(
    _adaptive(n, k) for k in ("avg", "max") for n in (1, 2, 3)
)
