"""`netspec.fit(spec, train, val=None, ...)`: train a spec on data held in Python, with the loop `netc train` runs."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from netspec.compiler.render import render_all_text
from netspec.compiler.train_config import TrainConfig
from netspec.compiler.train_overrides import apply_overrides, spec_literal
from netspec.runtime.data import ArrayData
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.inputs import each, feed, move
from netspec.runtime.load import LoadedSpec, load
from netspec.runtime.prepare import prepare
from netspec.runtime.splits import Normalizer
from netspec.runtime.train import RunConfig, Trainer
from torch import nn
from torch.utils.data import DataLoader, Dataset


@dataclass
class FitResult:
    """What `fit` returns: the run summary (test and val metrics, epochs, timings), the trained module, its folder.

    The module takes standardized inputs, as in training; `predict` applies the fitted normalizer first
    (and, for regression, returns values on the targets' own scale).
    """

    summary: dict[str, Any]
    model: nn.Module
    run_dir: Path
    normalizer: Normalizer

    def predict(self, x: Any) -> torch.Tensor:
        """The model's outputs (logits, or regression values) for raw inputs: an array, a tensor or a dict of them."""
        device = next(self.model.parameters()).device
        inputs = each(lambda v: torch.as_tensor(np.asarray(v) if not isinstance(v, torch.Tensor) else v), x)
        inputs = each(lambda v: v.float() if v.is_floating_point() else v.long(), inputs)
        self.model.eval()
        with torch.inference_mode():
            out = feed(self.model, move(self.normalizer.inputs(move(inputs, device)), device)).float().cpu()
        if self.normalizer.y_mean is not None:
            out = out * self.normalizer.y_std + self.normalizer.y_mean
        return out


def _numpy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numpy(v) for k, v in value.items()}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _join(parts: list[Any], stack: bool) -> Any:
    """Samples stacked (a Dataset) or batches concatenated (a DataLoader), inputs kept by name."""
    if isinstance(parts[0], dict):
        return {k: _join([p[k] for p in parts], stack) for k in parts[0]}
    return np.stack(parts) if stack else np.concatenate(parts)


def _pairs(items: Iterable[Any], stack: bool, what: str) -> tuple[Any, np.ndarray]:
    xs, ys = [], []
    for item in items:
        if isinstance(item, dict) and "y" in item:
            rest = {k: v for k, v in item.items() if k != "y"}
            item = (rest["x"] if list(rest) == ["x"] else rest, item["y"])
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise RuntimeProblem(
                f"{what} yields {type(item).__name__}, not (inputs, target) pairs",
                code="E-usage",
                help="yield (x, y), ({'a': xa, 'b': xb}, y) or {'x': x, 'y': y}",
            )
        xs.append(_numpy(item[0]))
        ys.append(_numpy(item[1]))
    if not xs:
        raise RuntimeProblem(f"{what} is empty", code="E-usage")
    return _join(xs, stack), _join(ys, stack)


def as_arrays(data: Any, what: str) -> ArrayData:
    """(x, y) of tensors or arrays (x may be a dict by input name), {'x':..,'y':..}, a Dataset or a DataLoader."""
    if isinstance(data, DataLoader):
        x, y = _pairs(data, stack=False, what=what)
    elif isinstance(data, Dataset):
        x, y = _pairs((data[i] for i in range(len(data))), stack=True, what=what)  # type: ignore[arg-type]
    elif isinstance(data, dict) and "y" in data:
        rest = {k: v for k, v in data.items() if k != "y"}
        x, y = _numpy(rest["x"] if list(rest) == ["x"] else rest), _numpy(data["y"])
    elif isinstance(data, tuple | list) and len(data) == 2:
        x, y = _numpy(data[0]), _numpy(data[1])
    else:
        raise RuntimeProblem(
            f"{what} must be (x, y), a dict with 'y', a Dataset or a DataLoader, not {type(data).__name__}",
            code="E-usage",
        )
    return ArrayData(what, x, y)


def _settings(loaded: LoadedSpec, overrides: dict[str, Any]) -> TrainConfig:
    """The spec's settings with keyword overrides: a string is spec text (`optimizer="sgd(lr=0.1)"`)."""
    config = TrainConfig.model_validate(loaded.metadata["train"])
    lines = [f"{k} {v if isinstance(v, str) else spec_literal(v)}" for k, v in overrides.items()]
    config, diags, source = apply_overrides(config, lines, loaded.metadata["task"]["kind"])
    if diags:
        raise RuntimeProblem("bad training settings\n" + render_all_text(diags, source), code="E-usage")
    return config


def fit(
    spec: str | Path | LoadedSpec,
    train: Any,
    val: Any = None,
    *,
    test: Any = None,
    out: str | Path | None = None,
    device: str | None = None,
    quiet: bool = True,
    **settings: Any,
) -> FitResult:
    """Train `spec` on `train` (and `val`, else a val_split of train); `test` defaults to a test_split of train.

    Keyword settings override the spec's `train:` section, checked by its schema (`epochs=5`,
    `optimizer="adamw(lr=3e-4)"`). The run folder (`out`, default runs/<model>-<time>) gets the same
    checkpoints, metrics and summary as `netc train`; the returned model holds the best epoch's weights.
    """
    loaded = spec if isinstance(spec, LoadedSpec) else load(spec)
    config = _settings(loaded, settings)
    data = as_arrays(train, "train")
    if test is not None:
        held_out = as_arrays(test, "test")
        data.x_test, data.y_test = held_out.x, held_out.y
    prepared = prepare(
        data,
        loaded.metadata,
        val_split=config.val_split,
        test_split=config.test_split,
        standardize=config.standardize,
        onehot=False,
        source={"name": "python", "args": {}},
        val_data=as_arrays(val, "val") if val is not None else None,
    )
    model_name = loaded.metadata["model"]
    run_dir = Path(out) if out is not None else Path("runs") / f"{model_name}-{time.strftime('%Y%m%d-%H%M%S')}"
    trainer = Trainer(
        loaded.model_class,
        loaded.make_loss,
        loaded.metadata,
        prepared,
        RunConfig(train=config, device=device, quiet=quiet),
        run_dir,
    )
    summary = trainer.fit()
    return FitResult(summary, trainer.model, run_dir, prepared.normalizer.to(trainer.device))
