"""From a data set to validated, split, standardized tensors that match the spec."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from runtime.data import ArrayData
from runtime.errors import RuntimeProblem
from runtime.validate import check_inputs, check_targets, shape_inputs

SPLIT_SEED = 0  # the train/val/test split does not move with the training seed


@dataclass
class Split:
    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device: torch.device) -> Split:
        return Split(self.x.to(device), self.y.to(device))


@dataclass
class Normalizer:
    """Input standardization (and target standardization for regression), fitted on the train split."""

    x_mean: torch.Tensor | None = None
    x_std: torch.Tensor | None = None
    y_mean: torch.Tensor | None = None
    y_std: torch.Tensor | None = None

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.x_mean is None else (x - self.x_mean) / self.x_std

    def state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in vars(self).items() if v is not None}

    @staticmethod
    def from_state(state: dict[str, torch.Tensor]) -> Normalizer:
        return Normalizer(**state)

    @property
    def target_scale(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        return None if self.y_mean is None else (self.y_mean, self.y_std)  # type: ignore[return-value]


@dataclass
class Prepared:
    train: Split
    val: Split | None
    test: Split
    normalizer: Normalizer


def _permute(n: int) -> np.ndarray:
    return np.random.default_rng(SPLIT_SEED).permutation(n)


def prepare(
    data: ArrayData, meta: dict[str, Any], *, val_split: float, test_split: float, standardize: bool, onehot: bool
) -> Prepared:
    if len(meta["inputs"]) != 1:
        raise RuntimeProblem("training from a data set needs a model with exactly one input", code="E-usage")
    input_meta, task = meta["inputs"][0], meta["task"]

    def clean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = check_inputs(shape_inputs(np.asarray(x), input_meta, data.reshapeable), input_meta)
        y = check_targets(np.asarray(y), task, onehot)
        if x.shape[0] != y.shape[0]:
            raise RuntimeProblem(
                f"{x.shape[0]} input samples but {y.shape[0]} targets",
                help="inputs and targets must pair up one to one",
            )
        return x, y

    x, y = clean(data.x, data.y)
    if data.x_test is not None and data.y_test is not None:
        x_test, y_test = clean(data.x_test, data.y_test)
        order = _permute(len(x))
        x, y = x[order], y[order]
    else:
        order = _permute(len(x))
        n_test = round(len(x) * test_split)
        if n_test < 1 or len(x) - n_test < 2:
            raise RuntimeProblem(f"{len(x)} samples are too few to split off a test set", help="use more data")
        x_test, y_test = x[order[:n_test]], y[order[:n_test]]
        x, y = x[order[n_test:]], y[order[n_test:]]
    n_val = round(len(x) * val_split)
    val = Split(torch.from_numpy(x[:n_val]), torch.from_numpy(y[:n_val])) if n_val > 0 else None
    train = Split(torch.from_numpy(x[n_val:]), torch.from_numpy(y[n_val:]))
    test = Split(torch.from_numpy(x_test), torch.from_numpy(y_test))
    normalizer = _fit_normalizer(train, task["kind"]) if standardize else Normalizer()
    splits = [s for s in (train, val, test) if s is not None]
    for s in splits:
        s.x = normalizer.inputs(s.x) if s.x.is_floating_point() else s.x
        if normalizer.y_mean is not None:
            s.y = (s.y - normalizer.y_mean) / normalizer.y_std
    return Prepared(train, val, test, normalizer)


def _fit_normalizer(train: Split, kind: str) -> Normalizer:
    norm = Normalizer()
    x = train.x
    if x.is_floating_point():
        # per feature for tables, per channel for images, one scalar for sequences
        if x.dim() == 2:
            axes: tuple[int, ...] = (0,)
        elif x.dim() >= 4:
            axes = tuple(d for d in range(x.dim()) if d != 1)
        else:
            axes = tuple(range(x.dim()))
        mean = x.mean(dim=axes, keepdim=True)
        std = x.std(dim=axes, keepdim=True).clamp_min(1e-6)
        norm.x_mean, norm.x_std = mean, std
    if kind == "regression":
        norm.y_mean = train.y.mean(0, keepdim=True)
        norm.y_std = train.y.std(0, keepdim=True).clamp_min(1e-6)
    return norm
