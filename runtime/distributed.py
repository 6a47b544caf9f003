"""Scale-out on PyTorch's own engine: torchrun launches, DistributedDataParallel trains."""

from __future__ import annotations

import contextlib
import logging
import os
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
        with contextlib.suppress(RuntimeError):  # a peer is already gone (Ctrl-C, a kill): nothing to wait for
            dist.barrier()
        dist.destroy_process_group()


def sum_across(values: list[float], device: torch.device, world: World) -> list[float]:
    if not world.enabled:
        return values
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def broadcast_buffers(module: torch.nn.Module, world: World) -> None:
    """Rank 0's buffers on every rank: each rank's last forward updated its own batchnorm statistics."""
    if world.enabled:
        for buffer in module.buffers():
            dist.broadcast(buffer, src=0)


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
    """`netc train --nproc K ...` = `torchrun --standalone --nproc_per_node K -m netspec train ...`.

    The elastic agent runs in this process so that a failed worker ends as an exit code, not as
    torchrun's traceback: each worker has already printed its own diagnostic.
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    # torchrun would pick 1 thread per worker and print a banner about it; say it ourselves, quietly
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    for name in list(logging.root.manager.loggerDict):  # the agent's loggers each set their own level
        if name.startswith("torch.distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        run(parse_args(["--standalone", f"--nproc_per_node={nproc}", "-m", "netspec", *argv]))
    except SignalException as exc:  # Ctrl-C or a kill: the workers got it too and said where they stopped
        return 128 + int(exc.sigval)
    except ChildFailedError as exc:
        codes = [failure.exitcode for failure in exc.failures.values()]
        if max(codes) > 0:  # a worker stopped with a diagnostic; the agent then ended the rest
            return max(codes)
        print(f"error: a training process was ended by signal {-min(codes)}", file=sys.stderr)
        return 1
    return 0
