"""The runtime side of `netc train`, `eval` and `predict`: flags -> config, problems -> diagnostics."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from netspec.compiler.diagnostics import CompileFailed
from netspec.compiler.pipeline import read_source
from netspec.compiler.render import render_all_text, summary
from netspec.compiler.source import SourceFile
from netspec.compiler.train_config import Choice, TrainConfig
from netspec.runtime.checkpoint import load_checkpoint, restore_model
from netspec.runtime.columns import by_name
from netspec.runtime.data import ArrayData, load_data, read_csv_table
from netspec.runtime.distributed import EXIT_PEER_LOST, is_peer_failure, launch, teardown, world_from_env
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.foreign_weights import init_from
from netspec.runtime.inputs import count, each, feed, move, take
from netspec.runtime.load import LoadedSpec, load
from netspec.runtime.precision import effective_precision
from netspec.runtime.predictions import prediction_rows, write_predictions
from netspec.runtime.prepare import Prepared, clean_inputs, prepare
from netspec.runtime.settings import BadSettings, require_data, run_settings
from netspec.runtime.splits import Normalizer, Split
from netspec.runtime.stopping import Interrupted
from netspec.runtime.train import RunConfig, Trainer, evaluate_split, pick_device


def _load(path: str) -> LoadedSpec:
    if not Path(path).is_file():
        raise RuntimeProblem(f"no such file: {path}", code="E-usage")
    return load(path)


def _run_config(args: argparse.Namespace, settings: TrainConfig) -> RunConfig:
    return RunConfig(
        train=settings,
        compile=args.compile,
        deterministic=args.deterministic,
        device=args.device,
        quiet=args.quiet,
        checkpoint_every=args.checkpoint_every,
    )


def _guard(fn):
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except CompileFailed as exc:
            source = _source_for(args.file)
            print(render_all_text(exc.diagnostics, source), file=sys.stderr)
            print(summary(exc.diagnostics), file=sys.stderr)
            return 1
        except BadSettings as exc:  # a flag or --set line the train section's schema refused
            if world_from_env().is_main:
                print(render_all_text(exc.diagnostics, exc.source), file=sys.stderr)
                print(summary(exc.diagnostics), file=sys.stderr)
            return 2
        except RuntimeProblem as exc:
            if world_from_env().is_main:  # every process meets the same problem; one reports it
                print(exc.render(), file=sys.stderr)
            return 2 if exc.code == "E-usage" else 1
        except BrokenPipeError:  # the reader (`| head`) left: the command line ends quietly
            raise
        except RuntimeError as exc:
            if world_from_env().enabled and is_peer_failure(exc):  # another rank died: the launcher reports it
                return EXIT_PEER_LOST
            raise
        except OSError as exc:  # the run directory or a data file cannot be read or written
            where = f": {exc.filename}" if exc.filename else ""
            print(f"error[E-io]: {exc.strerror or exc}{where}", file=sys.stderr)
            return 1

    return run


def _source_for(path: str) -> SourceFile:
    source, _ = read_source(Path(path))
    return source or SourceFile(path, "")


def _without_nproc(argv: list[str]) -> list[str]:
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--nproc":
            skip = True
        elif not item.startswith("--nproc="):
            out.append(item)
    return out


def _prepared(
    args: argparse.Namespace,
    loaded: LoadedSpec,
    settings: TrainConfig,
    standardize: bool,
    contract: dict[str, Any] | None = None,
) -> tuple[str, Prepared]:
    """The data set the settings name, validated against the spec and split.

    With a checkpoint's `contract`, table columns are put in the order the model was trained on.
    """
    choice = require_data(settings)
    names = [i["name"] for i in loaded.metadata["inputs"]]
    stream, workers = getattr(args, "stream", False), getattr(args, "workers", None)
    data = load_data(choice.name, choice.args, stream=stream, workers=workers, inputs=names)
    trained_on = (contract or {}).get("features")
    if isinstance(data, ArrayData) and trained_on and data.features and data.features != trained_on:
        data.x = by_name(data.x, data.features, trained_on, None, choice.args.get("path", choice.name))
        data.features = list(trained_on)
    prepared = prepare(
        data,
        loaded.metadata,
        val_split=settings.val_split,
        test_split=settings.test_split,
        standardize=standardize,
        onehot=args.targets == "onehot",
        source=choice.model_dump(mode="json"),
    )
    return choice.name, prepared


def _run_dir(args: argparse.Namespace, model: str) -> Path:
    """--out, else the resumed run's own folder, else a new runs/<model>-<time>."""
    if args.out:
        return Path(args.out)
    if args.resume and Path(args.resume).parent.name == "checkpoints":
        return Path(args.resume).parent.parent
    return Path("runs") / f"{model}-{time.strftime('%Y%m%d-%H%M%S')}"


@_guard
def train(args: argparse.Namespace) -> int:
    world = world_from_env()
    if args.nproc > 1 and not world.enabled:
        _load(args.file)  # report spec errors once, before starting processes
        return launch(args.nproc, _without_nproc(args.argv))
    loaded = _load(args.file)
    settings = run_settings(loaded.metadata, args, Path(args.file))
    if args.print_config:
        print(json.dumps({"train": settings.effective(), "written": sorted(settings.model_fields_set)}, indent=2))
        return 0
    cfg = _run_config(args, settings)
    name, prepared = _prepared(args, loaded, settings, standardize=settings.standardize)
    out_dir = _run_dir(args, loaded.metadata["model"])
    trainer = Trainer(loaded.model_class, loaded.make_loss, loaded.metadata, prepared, cfg, out_dir, world)
    trainer.stop.install()
    try:
        if args.resume:
            trainer.resume(Path(args.resume))
        elif getattr(args, "init_from", None):
            loaded_tensors = init_from(trainer.model, Path(args.init_from))
            if world.is_main and not cfg.quiet:
                print(f"initialized {loaded_tensors} tensors from {args.init_from}", file=sys.stderr)
        result = _fit(trainer, loaded, name, prepared, out_dir)
    except Interrupted:  # every rank stopped at the same step boundary: that state resumes exactly
        trainer.save_interrupted()
        if world.is_main:
            last = out_dir / "checkpoints" / "last.pt"
            print(
                f"netc: interrupted at step {trainer.step} (epoch {trainer.epoch + 1}); continue with --resume {last}",
                file=sys.stderr,
            )
        return 130
    except KeyboardInterrupt:  # a second Ctrl-C: stop at once, keep the last checkpoint written
        if world.is_main:
            last = out_dir / "checkpoints" / "last.pt"
            hint = f"; continue with --resume {last}" if last.exists() else ""
            print(f"netc: interrupted in epoch {trainer.epoch + 1}{hint}", file=sys.stderr)
        return 130
    finally:
        trainer.stop.uninstall()
        teardown(world)
    if world.is_main:
        print(_summary_line(result))
    return 0


def _fit(trainer: Trainer, loaded: LoadedSpec, name: str, prepared, out_dir: Path) -> dict[str, Any]:
    cfg = trainer.cfg
    if trainer.world.is_main and not cfg.quiet:
        print(
            f"training {loaded.metadata['model']} ({loaded.metadata['total_params']:,} parameters) on {name}: "
            f"{len(prepared.train)} train / {len(prepared.val) if prepared.val else 0} val / {len(prepared.test)} test samples, "
            f"device {trainer.device} ({effective_precision(cfg.train.precision, trainer.device)}), "
            f"processes {trainer.world.size}, run dir {out_dir}",
            file=sys.stderr,
        )
    return trainer.fit()


def _summary_line(result: dict[str, Any]) -> str:
    test = result["test"]
    metric = f"accuracy {test['accuracy']:.4f}" if "accuracy" in test else f"r2 {test['r2']:.4f}  mae {test['mae']:.4f}"
    return f"test: loss {test['loss']:.4f}  {metric}  ({result['epochs']} epochs, {result['train_seconds']:.1f}s training, best epoch {result['best_epoch']})"


def _restore(
    loaded: LoadedSpec, checkpoint: str, device: torch.device
) -> tuple[torch.nn.Module, Normalizer, dict[str, Any]]:
    """The checkpoint's model in eval mode, its normalizer, and the data contract it was trained with."""
    path = Path(checkpoint)
    state = load_checkpoint(path, loaded.metadata["spec_hash"])
    model = loaded.model_class()
    restore_model(model, state["model"], path)
    model.to(device).eval()
    return model, Normalizer.from_state(state.get("normalizer", {})), state.get("data") or {}


@_guard
def evaluate(args: argparse.Namespace) -> int:
    loaded = _load(args.file)
    device = pick_device(args.device)
    model, normalizer, contract = _restore(loaded, args.checkpoint, device)
    settings = run_settings(loaded.metadata, args, Path(args.file))
    if not args.data and contract.get("source"):  # the data the checkpoint was trained on, not the spec's default
        settings = settings.model_copy(update={"data": Choice.model_validate(contract["source"])})
    _, prepared = _prepared(args, loaded, settings, standardize=False, contract=contract)
    test = prepared.test
    x = normalizer.inputs(test.x)
    y = (test.y - normalizer.y_mean) / normalizer.y_std if normalizer.y_mean is not None else test.y
    cfg = RunConfig(train=settings)
    metrics = evaluate_split(
        model, loaded.make_loss(), Split(x, y), loaded.metadata["task"]["kind"], normalizer, cfg, device, None, True
    )
    print(json.dumps({"test": metrics}, indent=2))
    return 0


def _predict_inputs(path: Path, meta: dict[str, Any], contract: dict[str, Any]) -> Any:
    """`--input`: an .npz with an array `x` or one named after each input, or a CSV matched by column names."""
    names = [i["name"] for i in meta["inputs"]]
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if len(names) > 1:
                missing = [n for n in names if n not in archive]
                if missing:
                    raise RuntimeProblem(
                        f"{path} has no array {', '.join(map(repr, missing))} (the model's inputs are {', '.join(names)})",
                        help=f"save inputs with np.savez(path, {', '.join(f'{n}=...' for n in names)})",
                    )
                return {n: archive[n] for n in names}
            key = next((k for k in (names[0], "x") if k in archive), None)
            if key is None:
                raise RuntimeProblem(
                    f"{path} has no array {names[0]!r} or 'x' (it has {', '.join(archive.files) or 'nothing'})",
                    help=f"save inputs with np.savez(path, {names[0]}=inputs)",
                )
            return archive[key]
    if path.suffix == ".csv":
        if len(names) > 1:
            raise RuntimeProblem(f"a model with {len(names)} inputs reads --input from an .npz", code="E-usage")
        x, header = read_csv_table(path)
        return by_name(x, header, contract.get("features"), contract.get("target"), path)
    raise RuntimeProblem(f"--input must be a .npz or .csv file, not {path.name}", code="E-usage")


@_guard
def predict(args: argparse.Namespace) -> int:
    loaded = _load(args.file)
    device = pick_device(args.device)
    model, normalizer, contract = _restore(loaded, args.checkpoint, device)
    path = Path(args.input)
    if not path.exists():
        raise RuntimeProblem(f"no such file: {path}", code="E-usage")
    x = clean_inputs(_predict_inputs(path, loaded.metadata, contract), loaded.metadata["inputs"], reshapeable=False)
    xt = normalizer.inputs(each(torch.from_numpy, x))
    with torch.inference_mode():
        out = torch.cat(
            [feed(model, move(take(xt, slice(i, i + 1024)), device)).float().cpu() for i in range(0, count(xt), 1024)]
        )
    kind = loaded.metadata["task"]["kind"]
    if kind == "regression" and normalizer.y_mean is not None:
        out = out * normalizer.y_std + normalizer.y_mean
    layout = loaded.metadata["task"].get("layout", "sample")
    rows = prediction_rows(kind, out, contract.get("classes"), layout)
    if args.output:
        write_predictions(rows, Path(args.output))
        return 0
    for row in rows:
        print(json.dumps(row))
    return 0


@_guard
def export_model(args: argparse.Namespace) -> int:
    from netspec.runtime.checkpoint import load_checkpoint
    from netspec.runtime.export import SUFFIX, export

    loaded = _load(args.file)
    state = load_checkpoint(Path(args.checkpoint), loaded.metadata["spec_hash"])
    out = Path(args.output) if args.output else Path(args.file).with_suffix(SUFFIX[args.format]).name
    result = export(
        loaded,
        state,
        args.format,
        Path(out),
        sizes=dict(args.sizes),
        raw_inputs=args.raw_inputs,
        raw_outputs=args.raw_outputs,
        opset=args.opset,
    )
    dynamic = "; ".join(f"{name}: {', '.join(dims) or 'none'}" for name, dims in result.dynamic.items())
    inside = [
        w for w, on in (("input standardization", result.standardized), ("target scaling", result.rescaled)) if on
    ]
    print(f"wrote {result.path} ({args.format}{f', opset {result.opset}' if result.opset else ''})", file=sys.stderr)
    print(f"  dynamic dims: {dynamic}", file=sys.stderr)
    print(f"  preprocessing inside: {', '.join(inside) or 'none'}", file=sys.stderr)
    return 0


@_guard
def sample(args: argparse.Namespace) -> int:
    from netspec.runtime.sample import sample as sample_text

    return sample_text(args, _load(args.file), _restore, pick_device(args.device))
