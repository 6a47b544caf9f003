"""Scale-out on PyTorch's own engine: torchrun launches, DistributedDataParallel trains."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

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


# a worker whose peer vanished (killed) exits with this code and prints nothing: the launcher says what happened
EXIT_PEER_LOST = 75


def setup(world: World, device: torch.device) -> None:
    if world.enabled and not dist.is_initialized():
        _end_with_launcher()
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")


def _end_with_launcher() -> None:
    """Ask Linux for SIGTERM when the launcher dies (a stop request: every rank ends at the next check point).

    Without it, workers of a killed launcher trained on for about 30 s, until gloo gave up.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the launcher died before the request was in place
        os.kill(os.getpid(), signal.SIGTERM)


def is_peer_failure(exc: BaseException) -> bool:
    """A collective failed because another process is gone (gloo: connection reset or closed by the peer)."""
    text = str(exc)
    return isinstance(exc, dist.DistError) or "gloo" in text or "Connection reset by peer" in text


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
        return _report_failure(list(exc.failures.items()), nproc)
    return 0


def _report_failure(failures: list[tuple[int, Any]], nproc: int) -> int:
    """One line for the first process that failed: which rank, how (the real signal), and what to do."""
    import signal

    killed = [(rank, f) for rank, f in failures if f.exitcode < 0 and -f.exitcode != signal.SIGTERM]
    if killed:  # the agent's own SIGTERM to the others is not the cause: the first other signal is
        rank, failure = min(killed, key=lambda item: item[1].timestamp)
        number = -failure.exitcode
        name = signal.Signals(number).name if number in signal.Signals.__members__.values() else f"signal {number}"
        hint = (
            "SIGKILL often comes from the out-of-memory killer (see `dmesg`): lower --batch-size or --nproc"
            if number == signal.SIGKILL
            else "check what sent it"
        )
        print(
            f"error[E-ddp]: training process {rank} of {nproc} was killed by signal {number} ({name}); the others "
            f"were stopped\n  = help: {hint}; continue with --resume <run dir>/checkpoints/last.pt",
            file=sys.stderr,
        )
        return 128 + number
    codes = [f.exitcode for _, f in failures]
    own = [c for c in codes if c > 0 and c != EXIT_PEER_LOST]
    if own:  # a worker stopped with a diagnostic (printed by rank 0); the agent then ended the rest
        return max(own)
    print(
        f"error[E-ddp]: the training processes were ended (exit codes {sorted(set(codes))})\n"
        "  = help: continue with --resume <run dir>/checkpoints/last.pt",
        file=sys.stderr,
    )
    return 1
