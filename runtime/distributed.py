"""Scale-out on PyTorch's own engine: torchrun launches, DistributedDataParallel trains."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def world_from_env() -> World:
    size = int(os.environ.get("WORLD_SIZE", "1"))
    return World(int(os.environ.get("RANK", "0")), size, int(os.environ.get("LOCAL_RANK", "0")))


def setup(world: World, device: torch.device) -> None:
    if world.enabled and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")


def teardown(world: World) -> None:
    """Every rank passes a barrier first: without it gloo aborts at exit about one run in three."""
    if world.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def sum_across(values: list[float], device: torch.device, world: World) -> list[float]:
    if not world.enabled:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def gather_across(tensor: torch.Tensor, world: World) -> torch.Tensor:
    if not world.enabled:
        return tensor
    parts: list[torch.Tensor | None] = [None] * world.size
    dist.all_gather_object(parts, tensor.cpu())
    return torch.cat([p for p in parts if p is not None])


def barrier(world: World) -> None:
    if world.enabled:
        dist.barrier()


def launch(nproc: int, argv: list[str]) -> int:
    """`netc train --nproc K ...` = `torchrun --standalone --nproc_per_node K -m compiler.cli train ...`."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        "-m",
        "compiler.cli",
        *argv,
    ]
    return subprocess.call(command)
