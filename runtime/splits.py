"""Train/val/test splits held in memory, their batches, and the input standardization fitted on them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from netspec.runtime.inputs import Inputs, count, each, move, take


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator, processes: int = 1) -> list[torch.Tensor]:
    """One epoch's batches of sample indices, in an order drawn from `generator`.

    A short last batch that would leave some process fewer than 2 samples is dropped: a batch of one
    breaks batchnorm (and with DDP an empty share gives a NaN mean loss) and carries little signal.
    """
    order = torch.randperm(n, generator=generator)
    batches = list(order.split(batch_size))
    if len(batches) > 1 and len(batches[-1]) < 2 * processes:
        batches.pop()
    return batches


@dataclass
class Split:
    """A split held in memory (on the training device): batches are index slices, no collation.

    `x` is one tensor, or a dict of tensors by input name for a model with several inputs.
    """

    x: Inputs
    y: torch.Tensor

    def __len__(self) -> int:
        return count(self.x)

    def to(self, device: torch.device) -> Split:
        return Split(each(lambda v: v.to(device), self.x), self.y.to(device))

    def batches(self, index_batches: list[torch.Tensor], device: torch.device) -> Iterator[tuple[Inputs, torch.Tensor]]:
        for index in index_batches:
            index = index.to(self.y.device)
            yield move(take(self.x, index), device), self.y[index].to(device, non_blocking=True)

    def eval_batches(
        self, size: int, rank: int, world: int, device: torch.device
    ) -> Iterator[tuple[Inputs, torch.Tensor]]:
        x, y = take(self.x, slice(rank, None, world)), self.y[rank::world]
        for start in range(0, len(y), size):
            part = slice(start, start + size)
            yield move(take(x, part), device), y[part].to(device, non_blocking=True)


@dataclass
class Normalizer:
    """Input standardization (and target standardization for regression), fitted on the train split."""

    x_mean: torch.Tensor | dict[str, torch.Tensor] | None = None
    x_std: torch.Tensor | dict[str, torch.Tensor] | None = None
    y_mean: torch.Tensor | None = None
    y_std: torch.Tensor | None = None

    def inputs(self, x: Inputs) -> Inputs:
        """Standardized float inputs (integer ids pass as they are); per input name for several inputs."""
        if self.x_mean is None:
            return x
        if isinstance(x, dict):
            mean, std = self.x_mean, self.x_std
            return {k: (v - mean[k]) / std[k] if k in mean else v for k, v in x.items()}  # type: ignore[index]
        return (x - self.x_mean) / self.x_std if x.is_floating_point() else x

    def to(self, device: torch.device) -> Normalizer:
        return Normalizer(*(None if v is None else each(lambda t: t.to(device), v) for v in vars(self).values()))

    def state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in vars(self).items() if v is not None}

    @staticmethod
    def from_state(state: dict[str, torch.Tensor]) -> Normalizer:
        return Normalizer(**state)

    @property
    def target_scale(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        return None if self.y_mean is None else (self.y_mean, self.y_std)  # type: ignore[return-value]


def _statistics(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    # per feature for tables, per channel for images, one scalar for sequences
    if x.dim() == 2:
        axes: tuple[int, ...] = (0,)
    elif x.dim() >= 4:
        axes = tuple(d for d in range(x.dim()) if d != 1)
    else:
        axes = tuple(range(x.dim()))
    return x.mean(dim=axes, keepdim=True), x.std(dim=axes, keepdim=True).clamp_min(1e-6)


def fit_normalizer(train: Split, kind: str) -> Normalizer:
    norm = Normalizer()
    x = train.x
    if isinstance(x, dict):
        stats = {k: _statistics(v) for k, v in x.items() if v.is_floating_point()}
        if stats:
            norm.x_mean, norm.x_std = {k: m for k, (m, _) in stats.items()}, {k: s for k, (_, s) in stats.items()}
    elif x.is_floating_point():
        norm.x_mean, norm.x_std = _statistics(x)
    if kind == "regression":
        norm.y_mean = train.y.mean(0, keepdim=True)
        norm.y_std = train.y.std(0, keepdim=True).clamp_min(1e-6)
    return norm
