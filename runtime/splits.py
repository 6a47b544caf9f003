"""Train/val/test splits held in memory, their batches, and the input standardization fitted on them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch


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
    """A split held in memory (on the training device): batches are index slices, no collation."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device: torch.device) -> Split:
        return Split(self.x.to(device), self.y.to(device))

    def batches(
        self, index_batches: list[torch.Tensor], device: torch.device
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for index in index_batches:
            index = index.to(self.x.device)
            yield self.x[index].to(device, non_blocking=True), self.y[index].to(device, non_blocking=True)

    def eval_batches(
        self, size: int, rank: int, world: int, device: torch.device
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        x, y = self.x[rank::world], self.y[rank::world]
        for start in range(0, len(x), size):
            yield (
                x[start : start + size].to(device, non_blocking=True),
                y[start : start + size].to(device, non_blocking=True),
            )


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


def fit_normalizer(train: Split, kind: str) -> Normalizer:
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
