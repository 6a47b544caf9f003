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
from netspec.runtime.data import data_from_flag, load_data, read_csv_features
from netspec.runtime.distributed import launch, teardown, world_from_env
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.load import LoadedSpec, load
from netspec.runtime.precision import effective_precision
from netspec.runtime.prepare import Prepared, prepare
from netspec.runtime.splits import Normalizer, Split
from netspec.runtime.stopping import Interrupted
from netspec.runtime.train import RunConfig, Trainer, evaluate_split, pick_device
from netspec.runtime.validate import check_inputs, shape_inputs


def _load(path: str) -> LoadedSpec:
    if not Path(path).is_file():
        raise RuntimeProblem(f"no such file: {path}", code="E-usage")
    return load(path)


def _data_choice(args: argparse.Namespace, train_cfg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if getattr(args, "data", None):
        return data_from_flag(args.data, getattr(args, "target", None))
    return train_cfg["data"]["name"], dict(train_cfg["data"]["args"])


def _run_config(args: argparse.Namespace, t: dict[str, Any]) -> RunConfig:
    opt_name = args.optimizer or t["optimizer"]["name"]
    opt_args = (
        dict(t["optimizer"]["args"])
        if opt_name == t["optimizer"]["name"]
        else {"lr": {"sgd": 0.01, "rmsprop": 0.01}.get(opt_name, 1e-3)}
    )
    if args.lr is not None:
        opt_args["lr"] = args.lr
    schedule = args.schedule or t["schedule"]["name"]
    steps = args.steps if args.steps is not None else (None if args.epochs is not None else t["steps"])
    return RunConfig(
        optimizer=opt_name,
        optimizer_args=opt_args,
        schedule=schedule,
        schedule_args=dict(t["schedule"]["args"]) if schedule == t["schedule"]["name"] else {},
        batch_size=args.batch_size or t["batch_size"],
        epochs=args.epochs or t["epochs"],
        steps=steps,
        seed=args.seed if args.seed is not None else t["seed"],
        clip=t["clip"],
        early_stopping={"monitor": t["early_stopping"]["name"], **t["early_stopping"]["args"]}
        if t["early_stopping"]
        else None,
        precision=args.precision or t["precision"],
        channels_last=t["channels_last"],
        compile=args.compile,
        deterministic=args.deterministic,
        device=args.device,
        quiet=args.quiet,
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
        except RuntimeProblem as exc:
            if world_from_env().is_main:  # every process meets the same problem; one reports it
                print(exc.render(), file=sys.stderr)
            return 2 if exc.code == "E-usage" else 1
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


def _prepared(args: argparse.Namespace, loaded: LoadedSpec, standardize: bool) -> tuple[str, Prepared]:
    """The data set named by --data or the spec, validated against the spec and split."""
    t = loaded.metadata["train"]
    name, data_args = _data_choice(args, t)
    prepared = prepare(
        load_data(name, data_args, stream=getattr(args, "stream", False), workers=getattr(args, "workers", None)),
        loaded.metadata,
        val_split=t["val_split"],
        test_split=t["test_split"],
        standardize=standardize,
        onehot=args.targets == "onehot",
    )
    return name, prepared


@_guard
def train(args: argparse.Namespace) -> int:
    world = world_from_env()
    if args.nproc > 1 and not world.enabled:
        _load(args.file)  # report spec errors once, before starting processes
        return launch(args.nproc, _without_nproc(args.argv))
    loaded = _load(args.file)
    t = loaded.metadata["train"]
    cfg = _run_config(args, t)
    name, prepared = _prepared(args, loaded, standardize=t["standardize"])
    out_dir = (
        Path(args.out) if args.out else Path("runs") / f"{loaded.metadata['model']}-{time.strftime('%Y%m%d-%H%M%S')}"
    )
    trainer = Trainer(loaded.model_class, loaded.make_loss, loaded.metadata, prepared, cfg, out_dir, world)
    trainer.stop.install()
    try:
        if args.resume:
            trainer.resume(Path(args.resume))
        result = _fit(trainer, loaded, name, prepared, out_dir)
    except (Interrupted, KeyboardInterrupt):
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
            f"device {trainer.device} ({effective_precision(cfg.precision, trainer.device)}), "
            f"processes {trainer.world.size}, run dir {out_dir}",
            file=sys.stderr,
        )
    return trainer.fit()


def _summary_line(result: dict[str, Any]) -> str:
    test = result["test"]
    metric = f"accuracy {test['accuracy']:.4f}" if "accuracy" in test else f"r2 {test['r2']:.4f}  mae {test['mae']:.4f}"
    return f"test: loss {test['loss']:.4f}  {metric}  ({result['epochs']} epochs, {result['train_seconds']:.1f}s training, best epoch {result['best_epoch']})"


def _restore(loaded: LoadedSpec, checkpoint: str, device: torch.device) -> tuple[torch.nn.Module, Normalizer]:
    from netspec.runtime.checkpoint import load_checkpoint

    state = load_checkpoint(Path(checkpoint), loaded.metadata["spec_hash"])
    model = loaded.model_class()
    model.load_state_dict(state["model"])
    model.to(device).eval()
    return model, Normalizer.from_state(state.get("normalizer", {}))


@_guard
def evaluate(args: argparse.Namespace) -> int:
    loaded = _load(args.file)
    t = loaded.metadata["train"]
    device = pick_device(args.device)
    model, normalizer = _restore(loaded, args.checkpoint, device)
    _, prepared = _prepared(args, loaded, standardize=False)
    test = prepared.test
    x = normalizer.inputs(test.x) if test.x.is_floating_point() else test.x
    y = (test.y - normalizer.y_mean) / normalizer.y_std if normalizer.y_mean is not None else test.y
    cfg = RunConfig(precision=t["precision"])
    metrics = evaluate_split(
        model, loaded.make_loss(), Split(x, y), loaded.metadata["task"]["kind"], normalizer, cfg, device
    )
    print(json.dumps({"test": metrics}, indent=2))
    return 0


@_guard
def predict(args: argparse.Namespace) -> int:
    loaded = _load(args.file)
    device = pick_device(args.device)
    model, normalizer = _restore(loaded, args.checkpoint, device)
    path = Path(args.input)
    if not path.exists():
        raise RuntimeProblem(f"no such file: {path}", code="E-usage")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            if "x" not in archive:
                raise RuntimeProblem(f"{path} has no array 'x'", help="save inputs with np.savez(path, x=inputs)")
            x = archive["x"]
    elif path.suffix == ".csv":
        x = read_csv_features(path)
    else:
        raise RuntimeProblem(f"--input must be a .npz or .csv file, not {path.name}", code="E-usage")
    meta = loaded.metadata["inputs"][0]
    x = check_inputs(shape_inputs(x, meta, reshapeable=False), meta)
    xt = torch.from_numpy(x)
    xt = normalizer.inputs(xt) if xt.is_floating_point() else xt
    with torch.inference_mode():
        out = torch.cat([model(xt[i : i + 1024].to(device)).float().cpu() for i in range(0, len(xt), 1024)])
    kind = loaded.metadata["task"]["kind"]
    rows: list[dict[str, Any]] = []
    layout = loaded.metadata["task"].get("layout", "sample")
    if kind == "multiclass" and layout != "sample":
        rows = [{"classes": ids.tolist()} for ids in out.argmax(-1 if layout == "token" else 1)]
    elif kind == "multiclass":
        probs = out.softmax(1)
        rows = [{"class": int(p.argmax()), "probabilities": [round(float(v), 6) for v in p]} for p in probs]
    elif kind in ("binary", "multilabel"):
        probs = out.sigmoid()
        rows = [{"labels": [int(v > 0.5) for v in p], "probabilities": [round(float(v), 6) for v in p]} for p in probs]
    else:
        if normalizer.y_mean is not None:
            out = out * normalizer.y_std + normalizer.y_mean
        rows = [{"values": [float(v) for v in r]} for r in out]
    for row in rows:
        print(json.dumps(row))
    return 0


@_guard
def sample(args: argparse.Namespace) -> int:
    from netspec.runtime.sample import sample as sample_text

    return sample_text(args, _load(args.file), _restore, pick_device(args.device))
