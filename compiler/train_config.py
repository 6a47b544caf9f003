"""The `train:` section: validated settings (data, optimizer, schedule...) the runtime follows."""

from __future__ import annotations

from typing import Any

from netspec.compiler import ir
from netspec.compiler.args import bind_call, split_call
from netspec.compiler.catalog.base import ArgSpec
from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.graph import Frozen
from netspec.compiler.suggest import did_you_mean, rename_fixes
from pydantic import Field, ValidationInfo, field_validator

_ROOT = ArgSpec("root", "str", default="data")
_DOWNLOAD = ArgSpec("download", "bool", default=False)

DATASETS: dict[str, tuple[ArgSpec, ...]] = {
    "digits": (),
    "iris": (),
    "wine": (),
    "breast_cancer": (),
    "diabetes": (),
    "mnist1d": (ArgSpec("samples", "int", default=5000, minimum=100),),
    "mnist": (_ROOT, _DOWNLOAD),
    "fashion_mnist": (_ROOT, _DOWNLOAD),
    "cifar10": (_ROOT, _DOWNLOAD),
    "csv": (ArgSpec("path", "str"), ArgSpec("target", "str")),
    "npz": (ArgSpec("path", "str"),),
    "text": (
        ArgSpec("path", "str", default=""),
        ArgSpec("length", "int", default=128, minimum=1, aliases=("block_size", "context")),
    ),
    "text_case": (
        ArgSpec("path", "str", default=""),
        ArgSpec("length", "int", default=128, minimum=1, aliases=("block_size", "context")),
    ),
    "image_folder": (ArgSpec("path", "str"), ArgSpec("size", "optional_ints", default=None, minimum=1, arity=2)),
}

_LR = ArgSpec("lr", "float", default=1e-3, minimum=0.0)
_WD = ArgSpec("weight_decay", "float", default=0.0, minimum=0.0)
OPTIMIZERS: dict[str, tuple[ArgSpec, ...]] = {
    "adam": (_LR, _WD),
    "adamw": (_LR, ArgSpec("weight_decay", "float", default=0.01, minimum=0.0)),
    "sgd": (
        ArgSpec("lr", "float", default=0.01, minimum=0.0),
        ArgSpec("momentum", "float", default=0.0, minimum=0.0),
        ArgSpec("nesterov", "bool", default=False),
        _WD,
    ),
    "rmsprop": (
        ArgSpec("lr", "float", default=1e-2, minimum=0.0),
        ArgSpec("momentum", "float", default=0.0, minimum=0.0),
        _WD,
    ),
}

SCHEDULES: dict[str, tuple[ArgSpec, ...]] = {
    "none": (),
    "step": (
        ArgSpec("size", "int", minimum=1, aliases=("step_size",)),
        ArgSpec("gamma", "float", default=0.1, minimum=0.0),
    ),
    "cosine": (),
    "onecycle": (ArgSpec("max_lr", "optional_float", default=None),),
}

# `early_stopping val_accuracy(patience=10)`: the monitored metric is the choice
EARLY_STOPPING = {
    monitor: (ArgSpec("patience", "int", default=5, minimum=1),)
    for monitor in ("val_loss", "val_accuracy", "val_f1", "val_r2", "val_mae", "train_loss")
}


class Choice(Frozen):
    """A named choice with bound arguments, e.g. adam(lr=0.001)."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


def default_choice(options: dict[str, tuple[ArgSpec, ...]], name: str) -> Choice:
    """A choice with every argument at its schema default (the defaults are written once, in the ArgSpecs)."""
    return Choice(name=name, args={a.name: a.default for a in options[name]})


class TrainConfig(Frozen):
    """The training settings, one schema from the spec through METADATA into the runtime.

    A setting the spec did not write is unset (absent from `model_fields_set`, and from `written()`,
    which is what METADATA records) and reads as its default here. `data` has no default: a model
    does not tell which data set fits it.
    """

    data: Choice | None = None
    optimizer: Choice = Field(default_factory=lambda: default_choice(OPTIMIZERS, "adam"))
    schedule: Choice = Field(default_factory=lambda: default_choice(SCHEDULES, "none"))
    batch_size: int = 64
    epochs: int = 10
    steps: int | None = None
    seed: int = 0
    clip: float | None = None
    val_split: float = 0.1
    test_split: float = 0.2
    early_stopping: Choice | None = None
    standardize: bool = True
    precision: str = "fp32"
    channels_last: bool = False

    @field_validator("data", "optimizer", "schedule", "early_stopping")
    @classmethod
    def _bound(cls, choice: Choice | None, info: ValidationInfo) -> Choice | None:
        """Data from outside the compiler (METADATA, a caller's config): the same names, arguments and defaults."""
        if choice is None:
            return None
        options = _CHOICES[info.field_name or ""]
        if choice.name not in options:
            raise ValueError(f"unknown {info.field_name} {choice.name!r}: choose one of {', '.join(options)}")
        specs = {a.name: a for a in options[choice.name]}
        unknown = sorted(set(choice.args) - set(specs))
        missing = [n for n, a in specs.items() if a.required and n not in choice.args]
        if unknown or missing:
            raise ValueError(
                f"{choice.name}: "
                + "; ".join([*(f"no argument {n!r}" for n in unknown), *(f"{n!r} missing" for n in missing)])
            )
        return Choice(name=choice.name, args={n: choice.args.get(n, a.default) for n, a in specs.items()})

    def written(self) -> dict[str, Any]:
        """The settings the spec (or an override) wrote, as plain JSON-able data: what METADATA holds."""
        return self.model_dump(mode="json", exclude_unset=True)

    def effective(self) -> dict[str, Any]:
        """Every setting, written or default, as plain data (`netc train --print-config`)."""
        return self.model_dump(mode="json")


_SCALARS: dict[str, ArgSpec] = {
    "batch_size": ArgSpec("batch_size", "int", minimum=1),
    "epochs": ArgSpec("epochs", "int", minimum=1),
    "steps": ArgSpec("steps", "int", minimum=1),
    "seed": ArgSpec("seed", "int", minimum=0),
    "clip": ArgSpec("clip", "float", minimum=0.0),
    "val_split": ArgSpec("val_split", "float", minimum=0.0, maximum=0.9),
    "test_split": ArgSpec("test_split", "float", minimum=0.0, maximum=0.9),
    "standardize": ArgSpec("standardize", "bool"),
    "precision": ArgSpec("precision", "choice", choices=("fp32", "bf16", "auto")),
    "channels_last": ArgSpec("channels_last", "bool"),
}
_CHOICES: dict[str, dict[str, tuple[ArgSpec, ...]]] = {
    "data": DATASETS,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "early_stopping": EARLY_STOPPING,
}
SETTINGS = tuple(_SCALARS) + tuple(_CHOICES)


def _choice(setting: ir.Setting, options: dict[str, tuple[ArgSpec, ...]]) -> tuple[Choice | None, list[Diagnostic]]:
    expr = setting.value
    call = split_call(expr)
    if call is None:
        return None, [
            error("E-train", f"`{setting.key}` expects one of {', '.join(options)}", expr.span, label="not a choice")
        ]
    name, name_span, args = call
    if name not in options:
        hint = did_you_mean(name, options)
        return None, [
            error(
                "E-train",
                f"unknown {setting.key} `{name}`",
                name_span,
                label=f"unknown {setting.key}",
                help=hint or f"choose one of {', '.join(options)}",
                fixes=rename_fixes(name, options, name_span),
            )
        ]
    values, _, diags = bind_call(name, options[name], args, expr.span)
    return (None, diags) if diags else (Choice(name=name, args=values), [])


_TASK_METRICS = {
    "multiclass": ("val_loss", "val_accuracy", "val_f1", "train_loss"),
    "binary": ("val_loss", "val_accuracy", "val_f1", "train_loss"),
    "multilabel": ("val_loss", "val_accuracy", "val_f1", "train_loss"),
    "regression": ("val_loss", "val_r2", "val_mae", "train_loss"),
}


def resolve_train(
    section: ir.TrainSection | None, task_kind: str | None = None
) -> tuple[TrainConfig, list[Diagnostic]]:
    if section is None:
        return TrainConfig(), []
    values: dict[str, Any] = {}
    diags: list[Diagnostic] = []
    seen: set[str] = set()
    for setting in section.settings:
        key = setting.key
        if key in seen:
            diags.append(
                error("E-duplicate", f"`{key}` is set twice", setting.key_span, label="set again here", help="keep one")
            )
            continue
        seen.add(key)
        if key in _CHOICES:
            options = _CHOICES[key]
            if key == "early_stopping" and task_kind is not None:
                options = {k: v for k, v in options.items() if k in _TASK_METRICS[task_kind]}
            choice, more = _choice(setting, options)
            diags += more
            if choice is not None:
                values[key] = choice
        elif key in _SCALARS:
            values_, _, more = bind_call(
                key, (_SCALARS[key],), [ir.Arg(span=setting.value.span, value=setting.value)], setting.span
            )
            diags += more
            if not more:
                values[key] = values_[key]
        else:
            hint = did_you_mean(key, SETTINGS)
            diags.append(
                error(
                    "E-train",
                    f"unknown training setting `{key}`",
                    setting.key_span,
                    label="unknown setting",
                    help=hint or f"settings: {', '.join(SETTINGS)}",
                    fixes=rename_fixes(key, SETTINGS, setting.key_span),
                )
            )
    if "steps" in values and "epochs" in values:
        diags.append(error("E-train", "set `epochs` or `steps`, not both", section.span, help="remove one of them"))
    return TrainConfig(**values), diags
