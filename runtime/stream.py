"""Data sets too large to hold in memory: samples are decoded on demand by DataLoader workers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from netspec.runtime.data import StreamData
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.splits import Normalizer, Split, fit_normalizer
from netspec.runtime.validate import check_targets, shape_inputs
from torch.utils.data import DataLoader, Dataset

NORMALIZER_SAMPLES = 512  # standardization statistics come from this many train samples


class _Targeted(Dataset):
    """The source data set's inputs with targets already converted to the task's contract."""

    def __init__(self, source: Dataset, targets: np.ndarray) -> None:
        self.source = source
        self.targets = torch.from_numpy(targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, _ = self.source[index]
        return torch.as_tensor(x, dtype=torch.float32), self.targets[index]


def _collate(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = zip(*batch, strict=True)
    return torch.stack(xs), torch.stack(ys)


class StreamSplit:
    """A split read lazily: the same batch order as an in-memory split, decoded by `workers` processes."""

    def __init__(self, dataset: Dataset, indices: np.ndarray, normalizer: Normalizer, workers: int) -> None:
        self.dataset = dataset
        self.indices = torch.from_numpy(indices.astype(np.int64))
        self.normalizer = normalizer
        self.workers = workers

    def __len__(self) -> int:
        return len(self.indices)

    def to(self, device: torch.device) -> StreamSplit:
        return self  # batches move to the device one at a time

    def _load(self, index_lists: list[list[int]], device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        loader = DataLoader(
            self.dataset,
            batch_sampler=index_lists,
            num_workers=self.workers,
            collate_fn=_collate,
            pin_memory=device.type == "cuda",
        )
        for x, y in loader:
            yield self.normalizer.inputs(x.to(device, non_blocking=True)), y.to(device, non_blocking=True)

    def batches(
        self, index_batches: list[torch.Tensor], device: torch.device
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self._load([self.indices[b].tolist() for b in index_batches], device)

    def eval_batches(
        self, size: int, rank: int, world: int, device: torch.device
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        mine = self.indices[rank::world].tolist()
        return self._load([mine[i : i + size] for i in range(0, len(mine), size)], device)


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def prepare_stream(
    data: StreamData,
    meta: dict[str, Any],
    val_split: float,
    test_split: float,
    standardize: bool,
    onehot: bool,
    permute: Callable[[int], np.ndarray],
) -> tuple[StreamSplit, StreamSplit | None, StreamSplit, Normalizer]:
    input_meta, task = meta["inputs"][0], meta["task"]
    if len(data.dataset) == 0:
        raise RuntimeProblem("the data set is empty", help="check the data folder")
    first, _ = data.dataset[0]
    shape_inputs(np.asarray(first)[None], input_meta, reshapeable=False)  # one sample tells the layout
    if input_meta["dtype"] != "float32":
        raise RuntimeProblem(
            f"streamed data sets give float32 images, but input `{input_meta['name']}` is {input_meta['dtype']}"
        )
    targets = check_targets(np.asarray(data.targets), task, onehot)
    dataset = _Targeted(data.dataset, targets)
    order = permute(len(dataset))
    n_test = round(len(order) * test_split)
    if n_test < 1 or len(order) - n_test < 2:
        raise RuntimeProblem(f"{len(order)} samples are too few to split off a test set", help="use more data")
    test_idx, rest = order[:n_test], order[n_test:]
    n_val = round(len(rest) * val_split)
    val_idx, train_idx = rest[:n_val], rest[n_val:]
    normalizer = Normalizer()
    if standardize:
        sample = train_idx[:NORMALIZER_SAMPLES]
        xs = torch.stack([dataset[int(i)][0] for i in sample])
        normalizer = fit_normalizer(Split(xs, torch.zeros(len(xs))), "")
    workers = data.workers if data.workers is not None else default_workers()

    def split(indices: np.ndarray) -> StreamSplit:
        return StreamSplit(dataset, indices, normalizer, workers)

    return split(train_idx), (split(val_idx) if n_val else None), split(test_idx), normalizer
