"""Recurrent layers (rnn, lstm, gru), always batch-first: [N, T, F] -> [N, T, hidden * directions]."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec
from netspec.compiler.catalog.common import concrete, need_float, need_rank
from netspec.compiler.tensor_types import TensorType

_GATES = {"rnn": 1, "gru": 3, "lstm": 4}
_CLASS = {"rnn": "nn.RNN", "gru": "nn.GRU", "lstm": "nn.LSTM"}


def _recurrent(kind: str) -> LayerSpec:
    def shape(inputs: list[TensorType], args: Args) -> TensorType:
        (t,) = inputs
        need_float(t, kind, weights=True)
        need_rank(t, (3,), kind, "[N, T, features] (batch first)")
        concrete(t.shape[2], "number of input features (last dim)", kind)
        directions = 2 if args["bidirectional"] else 1
        return t.with_shape((t.shape[0], t.shape[1], args["hidden"] * directions), spatial=False)

    def params(inputs: list[TensorType], args: Args) -> int:
        features = inputs[0].shape[2]
        assert isinstance(features, int)
        hidden, gates = args["hidden"], _GATES[kind]
        directions = 2 if args["bidirectional"] else 1
        total = 0
        for layer in range(args["layers"]):
            width = features if layer == 0 else hidden * directions
            per_direction = gates * hidden * (width + hidden) + (2 * gates * hidden if args["bias"] else 0)
            total += per_direction * directions
        return total

    def module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
        rendered = [repr(inputs[0].shape[2]), repr(args["hidden"])]
        if args["layers"] != 1:
            rendered.append(f"num_layers={args['layers']!r}")
        if kind == "rnn" and args["nonlinearity"] != "tanh":
            rendered.append(f"nonlinearity={args['nonlinearity']!r}")
        if not args["bias"]:
            rendered.append("bias=False")
        rendered.append("batch_first=True")
        if args["dropout"]:
            rendered.append(f"dropout={args['dropout']!r}")
        if args["bidirectional"]:
            rendered.append("bidirectional=True")
        return _CLASS[kind], rendered

    args = [
        ArgSpec("hidden", "int", minimum=1, aliases=("hidden_size",)),
        ArgSpec("layers", "int", default=1, minimum=1, aliases=("num_layers",)),
        ArgSpec("bidirectional", "bool", default=False),
        ArgSpec("dropout", "float", default=0.0, minimum=0.0, maximum=1.0),
        ArgSpec("bias", "bool", default=True),
    ]
    if kind == "rnn":
        args.append(ArgSpec("nonlinearity", "choice", default="tanh", choices=("tanh", "relu")))
    return LayerSpec(
        name=kind,
        category="recurrent",
        doc=f"{kind.upper()} over [N, T, F], batch first; outputs every step (follow with `last` for the final one).",
        args=tuple(args),
        shape=shape,
        params=params,
        module=module,
        call=lambda attr, names, a: f"{attr}({names[0]})[0]",
        prefix=kind,
        flops=flop_rules.recurrent(kind),
        example=f"{kind}(128) -> last",
    )


LAYERS = tuple(_recurrent(k) for k in ("rnn", "lstm", "gru"))
