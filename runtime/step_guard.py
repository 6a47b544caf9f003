"""What every process must agree on after each step: the loss is finite, and nobody asked to stop."""

from __future__ import annotations

import torch
import torch.distributed as dist

from runtime.distributed import World
from runtime.errors import RuntimeProblem
from runtime.stopping import Interrupted, StopRequest


class StepGuard:
    """Records the first non-finite loss and any stop request on the device; `check` acts on them.

    `check` costs a device-to-host sync, so the loop calls it every step on CPU (where syncs are free)
    and every few dozen steps elsewhere; the step named in a divergence message is exact either way.
    With DDP the loss and the stop flag are summed over ranks in one all-reduce, so every rank reaches
    the same verdict at the same step and they stop together instead of waiting on each other.
    """

    def __init__(self, device: torch.device, world: World, stop: StopRequest) -> None:
        self.world, self.stop = world, stop
        self.first_step = torch.full((), -1, dtype=torch.long, device=device)
        self.first_value = torch.zeros((), device=device)
        self.stop_agreed = torch.zeros((), device=device)
        self._flags = (torch.zeros((), device=device), torch.ones((), device=device))  # no host-to-device copy per step

    def record(self, loss: torch.Tensor, step: int) -> None:
        seen = loss.detach().float()
        if self.world.enabled:
            both = torch.stack([seen, self._flags[self.stop.requested]])
            dist.all_reduce(both)
            seen = both[0]
            self.stop_agreed = torch.maximum(self.stop_agreed, both[1])
        new = ~torch.isfinite(seen) & (self.first_step < 0)
        self.first_step = torch.where(new, step, self.first_step)
        self.first_value = torch.where(new, seen, self.first_value)

    def check(self, epoch: int) -> None:
        step = int(self.first_step)
        if step >= 0:
            where = f" on one of the {self.world.size} processes" if self.world.enabled else ""
            raise RuntimeProblem(
                f"the loss became {float(self.first_value)}{where} at step {step} (epoch {epoch})",
                code="E-diverged",
                help="lower the learning rate (--lr), add `clip 1.0` to the train section, or check the data for extreme values",
            )
        if self.stop_agreed.item() if self.world.enabled else self.stop.requested:
            raise Interrupted
