"""Checks and arithmetic that several shape rules share."""

from __future__ import annotations

import ast
import json

from netspec.compiler.catalog.base import Repair, ShapeError
from netspec.compiler.symbolic import Dim, add, ceildiv, floordiv, mul, show, sub, symbols
from netspec.compiler.tensor_types import TensorType, show_shape


def need_rank(t: TensorType, ranks: tuple[int, ...], layer: str, layout: str) -> None:
    if t.rank not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        note = torch_rank_note(layer, t.rank, ranks)
        raise ShapeError(
            f"{layer} expects a {want} input {layout}, but its input is {t.rank}-D {show_shape(t.shape)}",
            label=f"input is {show_shape(t.shape)}",
            help=_rank_help(t, ranks, layer),
            notes=(note,) if note else (),
        )


def torch_ranks(layer: str) -> tuple[int, int, str] | None:
    """The input ranks PyTorch's module for `layer` runs on (lowest, highest) and what it reads the batch
    dim N as on an input one rank short (an unbatched sample); None where no claim is made. Every value
    is checked against torch in tests/test_defects_10.py."""
    n = int(layer[-2]) if layer[-2:] in ("1d", "2d", "3d") else 0
    if layer.startswith(("conv", "maxpool", "avgpool", "adaptive_")) and n:
        return n + 1, n + 2, "channels"
    if layer in ("rnn", "gru", "lstm"):
        return 2, 3, "time (one unbatched sequence of N steps)"
    return None


def torch_rank_note(layer: str, rank: int, ranks: tuple[int, ...]) -> str:
    """What PyTorch itself would do with an input of this rank: a note that is true, or none."""
    known = torch_ranks(layer)
    if known is None:
        return ""
    low, high, unbatched = known
    spatial = low - 1
    if not low <= rank <= high and rank >= spatial > 1 and layer.startswith("adaptive_avgpool"):
        # torch's 2-D and 3-D adaptive average pools to size 1 are a mean over the last dims, of any rank
        return "PyTorch would run this pool to output size 1 over any leading dims as batch (other sizes raise)"
    if not low <= rank <= high:
        return f"PyTorch would raise an error on this {rank}-D input too"
    if rank == min(ranks) - 1 and layer.startswith("conv"):
        # the module's in_channels come from dim 1, but an unbatched sample has its channels in dim 0
        return (
            "PyTorch would take this as one unbatched sample with the batch dim N as channels, "
            "so it runs only when N equals the channel count netc reads from dim 1"
        )
    if rank == min(ranks) - 1:
        return f"PyTorch would take this as one unbatched sample and read the batch dim N as {unbatched}"
    return ""  # within PyTorch's ranks and netc's: not reached while both agree


def _rank_help(t: TensorType, ranks: tuple[int, ...], layer: str) -> str:
    if t.rank > max(ranks) and max(ranks) == 2:
        return "add `flatten` before it"
    if t.rank < min(ranks):
        return f"reshape the input first, e.g. `reshape(...)` to add the missing dimensions for {layer}"
    return ""


def need_float(t: TensorType, layer: str, weights: bool = False) -> None:
    """Float input; a layer with weights (created as float32) needs exactly float32."""
    if not t.is_float:
        raise ShapeError(
            f"{layer} needs a floating-point input, but its input is {t.dtype}",
            code="E-dtype",
            label=f"input dtype is {t.dtype}",
            help="token ids go through `embedding` first; otherwise declare the input as float32",
            notes=()
            if weights
            else ("PyTorch would run some such layers on integers and refuse others; netc asks for floats",),
        )
    if weights and t.dtype != "float32":
        raise ShapeError(
            f"{layer} has float32 weights, but its input is {t.dtype}",
            code="E-dtype",
            label=f"input dtype is {t.dtype}",
            help="declare the input as float32; for mixed precision train with `precision bf16` (autocast)",
        )


def concrete(d: Dim, what: str, layer: str) -> int:
    if isinstance(d, int):
        return d
    names = ", ".join(sorted(symbols(d)))
    raise ShapeError(
        f"{layer} needs a concrete {what}, but it depends on the symbolic dimension {names} ({show(d)})",
        code="E-symbolic",
        label=f"{what} is {show(d)}",
        help=f"give {names} a fixed size in the input declaration, or use an adaptive pool before this layer",
    )


def tuple_arg(value: int | tuple[int, ...], n: int) -> tuple[int, ...]:
    return (value,) * n if isinstance(value, int) else tuple(value)


def window_out(
    length: Dim,
    kernel: int,
    stride: int,
    padding: int,
    dilation: int,
    ceil_mode: bool,
    layer: str,
    axis: str,
    pool: bool = False,
) -> Dim:
    """Output length of a conv or pool window along one axis (PyTorch's formula); `pool`: pooling's limits."""
    extent = dilation * (kernel - 1) + 1
    span = sub(add(length, 2 * padding), extent)
    out = add(ceildiv(span, stride) if ceil_mode else floordiv(span, stride), 1)
    if ceil_mode:
        # PyTorch drops the last window when it would start inside the right padding
        if isinstance(length, int):
            if (out - 1) * stride >= length + padding:  # type: ignore[operator]
                out = out - 1  # type: ignore[operator]
        elif padding > 0 or stride > extent:
            concrete(length, f"size along {axis} (ceil_mode makes the result depend on it)", layer)
    if isinstance(out, int) and out < 1:
        raise ShapeError(
            f"{layer} shrinks {axis} to {out}: ({show(length)} + 2*{padding} - {extent}) // {stride} + 1 = {out}",
            label=f"{axis} becomes {out}",
            help="the input is too small for this window: reduce the kernel or stride, add padding, "
            "or remove a pooling layer earlier",
            shrinks=True,
            repairs=_window_repairs(length, kernel, padding, extent, pool),
        )
    return out


def _window_repairs(length: Dim, kernel: int, padding: int, extent: int, pool: bool) -> tuple[Repair, ...]:
    """Ways to make a window fit: pad just enough (pools may pad at most half the kernel), or drop a pool.

    None is machine-applicable: the usual cause is an input smaller than the architecture was designed for."""
    repairs: list[Repair] = []
    if isinstance(length, int):
        needed = padding + -(-(extent - length - 2 * padding) // 2)
        if not pool or needed <= kernel // 2:
            repairs.append(
                Repair(f"pad by {needed} so the window fits", set_args=(("padding", needed),), applicable=False)
            )
    if pool:
        repairs.append(Repair("remove this pooling layer", remove=True, applicable=False))
    return tuple(repairs)


def transpose_out(
    length: Dim, kernel: int, stride: int, padding: int, output_padding: int, dilation: int, layer: str, axis: str
) -> Dim:
    out = add(add(mul(sub(length, 1), stride), dilation * (kernel - 1) + output_padding + 1), -2 * padding)
    if isinstance(out, int) and out < 1:
        raise ShapeError(
            f"{layer} gives a non-positive size {out} along {axis}: "
            f"({show(length)} - 1) * {stride} - 2*{padding} + {dilation * (kernel - 1)} + {output_padding} + 1 = {out}",
            label=f"{axis} becomes {out}",
            help="reduce the padding",
            shrinks=True,
            notes=("PyTorch would return an empty tensor here",) if out == 0 else (),
        )
    return out


def channels(t: TensorType, layer: str) -> int:
    return concrete(t.shape[1], "channel count (dim 1)", layer)


def check_declared(
    layer: str, what: str, declared: int | None, actual: int, t: TensorType, fix: str, notes: tuple[str, ...] = ()
) -> None:
    """A size the user wrote (PyTorch's num_features, in_features...) must equal the one the input has."""
    if declared is not None and declared != actual:
        origin = f" ({t.origin})" if t.origin else ""
        raise ShapeError(
            f"{layer} expects {declared} {what}, but its input {show_shape(t.shape)} has {actual}{origin}",
            label=f"declared {declared}, input has {actual}",
            help=f"write `{fix}`, or leave the size out and let netc infer it",
            notes=notes,
        )


def string_literal(value: str) -> str:
    """A Python string literal in the double quotes `ruff format` keeps (for validated choices like a mode)."""
    text = json.dumps(value)
    assert ast.literal_eval(text) == value
    return text


def normalize_dim(d: int, rank: int, layer: str) -> int:
    """A dim argument (negative counts from the end) as an index into a rank-`rank` shape, or a ShapeError."""
    if not -rank <= d < rank:
        raise ShapeError(
            f"{layer} dim {d} is out of range for a {rank}-D input",
            code="E-arg-type",
            label=f"dim={d}",
            help=f"use a dim between {-rank} and {rank - 1}",
        )
    return d % rank
