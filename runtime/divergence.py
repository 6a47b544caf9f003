"""Stops training at a non-finite loss, naming its step, without a host sync on every step of a GPU run."""

from __future__ import annotations

import torch

from runtime.distributed import World, loss_across
from runtime.errors import RuntimeProblem


class DivergenceWatch:
    """Records the first non-finite loss on the device; `check` raises for it.

    `check` costs a device-to-host sync, so the loop calls it every step on CPU (where syncs are free)
    and every few dozen steps elsewhere; the step in the message is exact either way. With DDP the
    loss is summed over ranks first, so every rank sees the same verdict at the same step and they
    stop together instead of leaving the others waiting in all-reduce.
    """

    def __init__(self, device: torch.device, world: World) -> None:
        self.world = world
        self.first_step = torch.full((), -1, dtype=torch.long, device=device)
        self.first_value = torch.zeros((), device=device)

    def record(self, loss: torch.Tensor, step: int) -> None:
        seen = loss_across(loss, self.world)
        new = ~torch.isfinite(seen) & (self.first_step < 0)
        self.first_step = torch.where(new, step, self.first_step)
        self.first_value = torch.where(new, seen.to(self.first_value.dtype), self.first_value)

    def check(self, epoch: int) -> None:
        step = int(self.first_step)
        if step < 0:
            return
        where = f" on one of the {self.world.size} processes" if self.world.enabled else ""
        raise RuntimeProblem(
            f"the loss became {float(self.first_value)}{where} at step {step} (epoch {epoch})",
            code="E-diverged",
            help="lower the learning rate (--lr), add `clip 1.0` to the train section, or check the data for extreme values",
        )
