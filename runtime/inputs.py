"""A model's inputs: one tensor, or for a model with several inputs a dict of them by input name.

The loop, the splits and the normalizer only ever count, index, move, map and feed inputs; these are
those operations, so that one input and many take the same code path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import nn

T = TypeVar("T")
Inputs = Any  # torch.Tensor | np.ndarray | dict[str, torch.Tensor | np.ndarray]


def count(x: Inputs) -> int:
    first = next(iter(x.values())) if isinstance(x, dict) else x
    return int(first.shape[0])


def each(fn: Callable[[Any], Any], x: Inputs) -> Inputs:
    """`fn` applied to every input tensor (or array), keeping the structure."""
    return {k: fn(v) for k, v in x.items()} if isinstance(x, dict) else fn(x)


def take(x: Inputs, index: Any) -> Inputs:
    return each(lambda v: v[index], x)


def move(x: Inputs, device: torch.device) -> Inputs:
    return each(lambda v: v.to(device, non_blocking=True), x)


def channels_last(x: Inputs) -> Inputs:
    """Image batches ([N, C, H, W]) in channels-last memory format; other inputs as they are."""
    return each(lambda v: v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v, x)


def feed(model: nn.Module, x: Inputs) -> torch.Tensor:
    """The model's forward on a batch: the tensor, or the named inputs in the order forward takes them."""
    return model(*x.values()) if isinstance(x, dict) else model(x)
