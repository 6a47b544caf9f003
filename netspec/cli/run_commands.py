"""The commands that run the model: train, eval and predict (they import the runtime, and torch, when run)."""

from __future__ import annotations

import argparse

from netspec.cli.output import positive_float, positive_int


def _train(args: argparse.Namespace) -> int:
    from netspec.runtime import cli as runtime_cli  # imports torch: only the commands that need it pay for it

    return runtime_cli.train(args)


def _evaluate(args: argparse.Namespace) -> int:
    from netspec.runtime import cli as runtime_cli

    return runtime_cli.evaluate(args)


def _predict(args: argparse.Namespace) -> int:
    from netspec.runtime import cli as runtime_cli

    return runtime_cli.predict(args)


def _export(args: argparse.Namespace) -> int:
    from netspec.runtime import cli as runtime_cli

    return runtime_cli.export_model(args)


def dim_size(text: str) -> tuple[str, int]:
    """`--dim T=128`: a symbolic dim fixed to a size (argparse turns the error into exit 2)."""
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier() or not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected NAME=SIZE with a positive size, e.g. T=128, not {text!r}")
    return name, int(value)


def _sample(args: argparse.Namespace) -> int:
    from netspec.runtime import cli as runtime_cli

    return runtime_cli.sample(args)


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 (greedy) or more")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train a spec on its data (the spec's train: section, overridable here)")
    train.add_argument("file", metavar="FILE")
    train.add_argument("--data", help="dataset name (digits, iris, ...) or a .npz/.csv file")
    train.add_argument("--target", help="target column for --data file.csv")
    train.add_argument("--epochs", type=positive_int)
    train.add_argument("--steps", type=positive_int)
    train.add_argument("--batch-size", type=positive_int)
    train.add_argument("--lr", type=positive_float)
    train.add_argument("--optimizer", choices=("adam", "adamw", "sgd", "rmsprop"))
    train.add_argument("--schedule", choices=("none", "step", "cosine", "onecycle"))
    train.add_argument("--seed", type=int)
    train.add_argument("--device", help="cpu, cuda, cuda:1, mps (default: the best available)")
    train.add_argument(
        "--precision", choices=("fp32", "bf16", "auto"), help="auto: bf16 where the hardware computes it natively"
    )
    train.add_argument("--compile", action="store_true", help="torch.compile the model")
    train.add_argument("--deterministic", action="store_true", help="use deterministic algorithms")
    train.add_argument(
        "--targets", choices=("ids", "onehot"), default="ids", help="onehot: convert one-hot targets to class ids"
    )
    train.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help='any train setting, in the spec\'s syntax (e.g. --set optimizer="sgd(lr=0.1)"); repeatable',
    )
    train.add_argument(
        "--print-config", action="store_true", help="print the settings in effect (spec, defaults, flags) and stop"
    )
    train.add_argument("--out", metavar="DIR", help="run directory (default runs/<model>-<timestamp>)")
    start = train.add_mutually_exclusive_group()
    start.add_argument(
        "--resume", metavar="CHECKPOINT", help="continue from a checkpoint (e.g. runs/x/checkpoints/last.pt)"
    )
    start.add_argument(
        "--init-from",
        metavar="FILE",
        help="start from the weights in a state_dict file, e.g. torchvision's (fine-tuning); "
        "tensors are paired with the model's in registration order",
    )
    train.add_argument(
        "--checkpoint-every",
        type=positive_int,
        metavar="STEPS",
        help="also write last.pt every STEPS steps inside epochs (a resume continues from that exact step)",
    )
    train.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    train.add_argument(
        "--stream", action="store_true", help="read samples on demand in DataLoader workers (automatic above 2 GiB)"
    )
    train.add_argument(
        "--workers", type=positive_int, help="DataLoader worker processes for streamed data (default: up to 4)"
    )
    train.add_argument(
        "--nproc", type=positive_int, default=1, help="train with K processes (DistributedDataParallel via torchrun)"
    )
    train.set_defaults(func=_train)

    evaluate = sub.add_parser("eval", help="evaluate a checkpoint on the test split of the data it was trained on")
    evaluate.add_argument("file", metavar="FILE")
    evaluate.add_argument("--checkpoint", required=True)
    evaluate.add_argument("--data")
    evaluate.add_argument("--target")
    evaluate.add_argument("--device")
    evaluate.add_argument("--targets", choices=("ids", "onehot"), default="ids")
    evaluate.set_defaults(func=_evaluate)

    predict = sub.add_parser("predict", help="predict with a checkpoint on inputs from .npz (array x) or .csv")
    predict.add_argument("file", metavar="FILE")
    predict.add_argument("--checkpoint", required=True)
    predict.add_argument("--input", required=True, metavar="X.npz|X.csv")
    predict.add_argument(
        "--output", metavar="FILE.jsonl|FILE.csv", help="write the predictions there (one schema, docs/design.md)"
    )
    predict.add_argument("--device")
    predict.set_defaults(func=_predict)

    export = sub.add_parser("export", help="export a checkpoint to ONNX or a torch.export program (batch dim dynamic)")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--checkpoint", required=True)
    export.add_argument("--format", choices=("onnx", "exported-program"), default="onnx")
    export.add_argument("-o", "--output", metavar="OUT", help="default: the spec's name with .onnx or .pt2, here")
    export.add_argument(
        "--dim",
        dest="sizes",
        type=dim_size,
        action="append",
        default=[],
        metavar="NAME=SIZE",
        help="fix a symbolic dim to a size instead of keeping it dynamic",
    )
    export.add_argument("--opset", type=positive_int, help="ONNX opset (default: the exporter's)")
    export.add_argument(
        "--raw-inputs", action="store_true", help="leave the checkpoint's input standardization out of the graph"
    )
    export.add_argument(
        "--raw-outputs", action="store_true", help="leave a regression's target scaling out (outputs standardized)"
    )
    export.set_defaults(func=_export)

    sample = sub.add_parser("sample", help="generate text with a trained byte-level language model")
    sample.add_argument("file", metavar="FILE")
    sample.add_argument("--checkpoint", required=True)
    sample.add_argument("--prompt", default="", help="text the generation continues (default: a new line)")
    sample.add_argument("--tokens", type=positive_int, default=200, help="how many bytes to generate")
    sample.add_argument("--temperature", type=_temperature, default=0.8, help="0 = always the likeliest byte")
    sample.add_argument("--top-k", type=positive_int, help="sample only among the k likeliest bytes")
    sample.add_argument("--context", type=positive_int, help="tokens the model sees (default: its training length)")
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--device")
    sample.set_defaults(func=_sample)
