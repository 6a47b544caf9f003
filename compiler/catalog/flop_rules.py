"""FLOP and buffer rules for catalog entries, counted the way torch.utils.flop_counter.FlopCounterMode counts.

FlopCounterMode counts 2 FLOPs per multiply-add of the matrix products and convolutions it knows
(mm, addmm, bmm, convolution, scaled dot-product attention) and nothing for elementwise work, norms,
pools or gathers; a bias add inside addmm or a convolution is not counted either. A rule returns a
dimension expression (an int, or a polynomial in N and the symbolic dims) so the cost of a spec is
known before the batch size is.
"""

from __future__ import annotations

from netspec.compiler.catalog.base import Args, FlopRule
from netspec.compiler.catalog.common import tuple_arg
from netspec.compiler.symbolic import Dim, add, mul, product
from netspec.compiler.tensor_types import TensorType

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def no_flops(inputs: list[TensorType], out: TensorType, args: Args) -> Dim:
    """Elementwise, normalizing, pooling, gathering and shape ops: FlopCounterMode counts none of them."""
    return 0


def linear(inputs: list[TensorType], out: TensorType, args: Args) -> Dim:
    """A product contracting the input's last dim (addmm, bmm): 2 * every output element * in_features.

    Serves every layer that maps the last dimension by a matrix: linear, a linear tied to an embedding, matmul.
    """
    return mul(product(list(out.shape)), 2 * inputs[0].shape[-1])  # type: ignore[operator]


def conv(n: int, transpose: bool) -> FlopRule:
    """aten.convolution: 2 * N * prod(spatial) * prod(kernel) * in_channels * out_channels / groups.

    The spatial extent is the output's for a convolution and the input's for a transposed one
    (each output of a transpose is a scatter of the input positions), as PyTorch's conv_flop_count has it.
    """

    def flops(inputs: list[TensorType], out: TensorType, args: Args) -> Dim:
        x = inputs[0]
        in_ch, out_ch, groups = x.shape[1], args["channels"], args["groups"]
        spatial = (x if transpose else out).shape[2:]
        per_position = 2 * product(list(tuple_arg(args["kernel"], n))) * in_ch * out_ch // groups  # type: ignore[operator]
        return mul(product([x.shape[0], *spatial]), per_position)

    return flops


def recurrent(kind: str) -> FlopRule:
    """Every step, every layer, every direction: the input and hidden matmuls, 2 * N * T * gates * H * (in + H)."""

    def flops(inputs: list[TensorType], out: TensorType, args: Args) -> Dim:
        x = inputs[0]
        hidden, directions = args["hidden"], 2 if args["bidirectional"] else 1
        per_step = 0
        for layer in range(args["layers"]):
            width = x.shape[2] if layer == 0 else hidden * directions
            per_step += directions * 2 * GATES[kind] * hidden * (width + hidden)  # type: ignore[operator]
        return mul(product([x.shape[0], x.shape[1]]), per_step)

    return flops


def batchnorm_buffers(inputs: list[TensorType], args: Args) -> int:
    """running_mean and running_var (one per channel) and num_batches_tracked."""
    return 2 * inputs[0].shape[1] + 1  # type: ignore[operator]


def tracked_stats_buffers(inputs: list[TensorType], args: Args) -> int:
    """instancenorm keeps running statistics only with track_running_stats=true."""
    return batchnorm_buffers(inputs, args) if args["track_running_stats"] else 0


def attention(inputs: list[TensorType], out: TensorType, args: Args) -> Dim:
    """Projections q, out of [N, T, D] and k, v of [N, S, E] to D, then scores and weighted sum: 4 * N * T * S * D.

    The causal mask and padding masks change which scores are used, not how many are computed.
    """
    q = inputs[0]
    kv = inputs[1] if len(inputs) > 1 else q
    n, t, d = q.shape
    s, e = kv.shape[1], kv.shape[2]
    projections = add(mul(mul(n, t), 4 * d * d), mul(mul(n, s), 4 * e * d))  # type: ignore[operator]
    return add(projections, mul(product([n, t, s]), 4 * d))  # type: ignore[arg-type]
