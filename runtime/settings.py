"""One run's training settings: the spec's TrainConfig with the command line's flags and `--set` lines over it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from netspec.compiler.diagnostics import Diagnostic
from netspec.compiler.source import SourceFile
from netspec.compiler.train_config import Choice, TrainConfig
from netspec.compiler.train_overrides import apply_overrides, choice_text, setting_line, spec_literal
from netspec.runtime.data import data_from_flag
from netspec.runtime.errors import RuntimeProblem

# flag attribute -> the train setting it writes (the value is checked by the setting's schema)
_NUMBER_FLAGS = ("epochs", "steps", "batch_size", "seed")
_WORD_FLAGS = ("precision", "schedule", "optimizer")  # argparse already limited these to known words
PATH_ARGS = ("path", "root")  # data arguments that name a file or folder


class BadSettings(Exception):
    """An override that the train section's grammar or schema refused: diagnostics in the `--set` text."""

    def __init__(self, diagnostics: list[Diagnostic], source: SourceFile) -> None:
        super().__init__(diagnostics[0].message if diagnostics else "bad override")
        self.diagnostics = diagnostics
        self.source = source


def flag_lines(args: argparse.Namespace) -> list[str]:
    """The flags a user gave, as train-section lines, in the order they apply (then each --set)."""
    lines: list[str] = []
    if getattr(args, "data", None):
        name, data_args = data_from_flag(args.data, getattr(args, "target", None))
        lines.append(f"data {choice_text(Choice(name=name, args=data_args))}")
    lines += [
        f"{attr} {spec_literal(getattr(args, attr))}" for attr in _NUMBER_FLAGS if getattr(args, attr, None) is not None
    ]
    lines += [f"{attr} {getattr(args, attr)}" for attr in _WORD_FLAGS if getattr(args, attr, None) is not None]
    return lines + list(getattr(args, "set", None) or [])


def _apply(config: TrainConfig, lines: list[str], task_kind: str) -> TrainConfig:
    config, diags, source = apply_overrides(config, lines, task_kind)
    if diags:
        raise BadSettings(diags, source)
    return config


def locate(choice: Choice, base: Path) -> Choice:
    """Data paths made absolute: a spec's against the spec's folder, a flag's against the current one."""
    args: dict[str, Any] = dict(choice.args)
    for key in PATH_ARGS:
        # an empty path is none given (`text()` reads its built-in corpus), not the spec's folder
        if isinstance(args.get(key), str) and args[key] and not Path(args[key]).expanduser().is_absolute():
            args[key] = str((base / Path(args[key]).expanduser()).resolve())
    return Choice(name=choice.name, args=args)


def run_settings(meta: dict[str, Any], args: argparse.Namespace, spec_path: Path) -> TrainConfig:
    """The spec's settings (METADATA, validated by the schema) with every override of this command."""
    spec = TrainConfig.model_validate(meta["train"])
    lines = flag_lines(args)
    config = _apply(spec, lines, meta["task"]["kind"])
    lr = getattr(args, "lr", None)
    if lr is not None:  # --lr rewrites the learning rate of whichever optimizer is in effect
        opt = config.optimizer
        config = _apply(
            config,
            [f"optimizer {choice_text(Choice(name=opt.name, args={**opt.args, 'lr': lr}))}"],
            meta["task"]["kind"],
        )
    if config.data is not None:
        from_command_line = any(setting_line(line).split(" ", 1)[0] == "data" for line in lines)
        base = Path.cwd() if from_command_line else spec_path.resolve().parent
        config = config.model_copy(update={"data": locate(config.data, base)})
    return config


def require_data(config: TrainConfig) -> Choice:
    if config.data is None:
        raise RuntimeProblem(
            "the spec names no data to train on",
            code="E-usage",
            help="add `data NAME` to its train: section, or pass --data digits|FILE.npz|FILE.csv "
            '(or --set data=csv("f.csv", target="y"))',
        )
    return config.data
