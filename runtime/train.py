"""The one training loop: train/eval modes, zero_grad, no-grad evaluation, checkpoints, resume."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from netspec.compiler.train_config import Choice, TrainConfig
from netspec.runtime.checkpoint import load_checkpoint, remove_stale_temporaries, restore_model, save_atomic
from netspec.runtime.distributed import World, barrier, broadcast_buffers, setup, sum_across
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.files import write_bytes_atomic
from netspec.runtime.inputs import channels_last, feed
from netspec.runtime.metrics import MetricSums
from netspec.runtime.precision import autocast, effective_precision
from netspec.runtime.prepare import Prepared
from netspec.runtime.report import RunReport
from netspec.runtime.splits import Normalizer, Split, shuffled_batches
from netspec.runtime.step_guard import StepGuard
from netspec.runtime.stopping import StopRequest
from netspec.runtime.stream import StreamSplit
from torch import nn


@dataclass
class RunConfig:
    """How to run: the training settings (the spec's schema, `TrainConfig`) plus options of this run only."""

    train: TrainConfig = field(default_factory=TrainConfig)
    compile: bool = False
    deterministic: bool = False
    device: str | None = None
    quiet: bool = False
    # steps between checks for a non-finite loss or a stop request (each is a sync, with DDP an all-reduce);
    # None: every step for one CPU process, every 10 for DDP on CPU, every 50 on accelerators
    check_every: int | None = None
    # steps between mid-epoch checkpoints (last.pt); None: only at epoch ends (and on Ctrl-C)
    checkpoint_every: int | None = None


# what `--resume` reads from a checkpoint; schedules whose shape depends on the run's total length
RESUME_KEYS = ("optimizer", "schedule", "epoch", "step", "best", "stale", "history", "torch_rng", "shuffle_rng")
TOTAL_SCHEDULES = ("cosine", "onecycle")


@dataclass
class EpochPosition:
    """A step boundary inside an epoch: the epoch's shuffling state, batches done, loss sums so far, RNG."""

    epoch_rng: torch.Tensor
    done: int
    total: torch.Tensor
    count: int
    torch_rng: torch.Tensor
    cuda_rng: list[torch.Tensor]

    def state(self) -> dict[str, Any]:
        return {"epoch_rng": self.epoch_rng, "done": self.done, "total": self.total.detach().cpu(), "count": self.count}

    @staticmethod
    def from_state(state: dict[str, Any] | None, device: torch.device) -> EpochPosition | None:
        if not state:
            return None
        return EpochPosition(
            state["epoch_rng"], state["done"], state["total"].to(device), state["count"], torch.empty(0), []
        )


def pick_device(requested: str | None) -> torch.device:
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError:
            raise RuntimeProblem(
                f"unknown device {requested!r}", code="E-usage", help="use cpu, cuda, cuda:N or mps"
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeProblem(
                "--device cuda was asked for, but CUDA is not available here", code="E-usage", help="use --device cpu"
            )
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeProblem(
                "--device mps was asked for, but MPS is not available here", code="E-usage", help="use --device cpu"
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def make_optimizer(choice: Choice, params, device: torch.device) -> torch.optim.Optimizer:
    """The optimizer the settings name; its arguments are complete (the schema bound every default)."""
    # one fused kernel per step instead of a handful of ops per parameter: the same update, less overhead
    fused = device.type in ("cpu", "cuda")
    a = choice.args
    if choice.name == "adam":
        return torch.optim.Adam(params, lr=a["lr"], weight_decay=a["weight_decay"], fused=fused)
    if choice.name == "adamw":
        return torch.optim.AdamW(params, lr=a["lr"], weight_decay=a["weight_decay"], fused=fused)
    if choice.name == "sgd":
        return torch.optim.SGD(
            params,
            lr=a["lr"],
            momentum=a["momentum"],
            nesterov=a["nesterov"],
            weight_decay=a["weight_decay"],
            fused=fused,
        )
    if choice.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=a["lr"], momentum=a["momentum"], weight_decay=a["weight_decay"])
    raise RuntimeProblem(f"unknown optimizer {choice.name!r}", code="E-usage")


def make_schedule(choice: Choice, optimizer: torch.optim.Optimizer, total_steps: int, steps_per_epoch: int):
    """Every schedule steps once per optimizer step (StepLR's size is in epochs, converted here)."""
    name, a = choice.name, choice.args
    if name == "none":
        return None
    if name == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=a["size"] * steps_per_epoch, gamma=a["gamma"])
    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(total_steps, 1))
    if name == "onecycle":
        peak = a.get("max_lr") or optimizer.param_groups[0]["lr"]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peak, total_steps=max(total_steps, 1))
    raise RuntimeProblem(f"unknown schedule {name!r}", code="E-usage")


def evaluate_split(
    model: nn.Module,
    loss_fn: nn.Module,
    split: Split | StreamSplit,
    kind: str,
    normalizer: Normalizer,
    cfg: RunConfig,
    device: torch.device,
    world: World | None = None,
    with_confusion: bool = False,
) -> dict[str, Any]:
    """Metrics over a whole split in eval mode without gradients; with DDP each rank takes a shard."""
    world = world or World()
    model.eval()
    sums = MetricSums(kind)
    with torch.inference_mode():
        for xb, yb in split.eval_batches(1024, world.rank, world.size, device):
            if cfg.train.channels_last:
                xb = channels_last(xb)
            with autocast(device, cfg.train.precision):
                out = feed(model, xb)
            out = out.float()
            sums.add(loss_fn(out, yb), out, yb, normalizer.target_scale)
    return sums.as_dict(device, world, with_confusion)


class Trainer:
    def __init__(
        self,
        model_class: type[nn.Module],
        make_loss,
        meta: dict[str, Any],
        data: Prepared,
        cfg: RunConfig,
        out_dir: Path,
        world: World | None = None,
    ) -> None:
        self.meta, self.data, self.cfg, self.out_dir = meta, data, cfg, out_dir
        self.world = world or World()
        self.kind = meta["task"]["kind"]
        self.device = pick_device(cfg.device)
        if self.world.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.world.local_rank)
        setup(self.world, self.device)
        torch.manual_seed(cfg.train.seed)
        if cfg.deterministic:
            torch.use_deterministic_algorithms(True)
        self.model = model_class().to(self.device)
        if cfg.train.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        net: nn.Module = self.model
        if self.world.enabled:
            from torch.nn.parallel import DistributedDataParallel

            net = DistributedDataParallel(net, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.forward = torch.compile(net) if cfg.compile else net
        self.check_every = cfg.check_every or (50 if self.device.type != "cpu" else 10 if self.world.enabled else 1)
        self.stop = StopRequest()  # `netc train` installs it for Ctrl-C; library callers keep their own handlers
        self.loss_fn = make_loss()
        self.generator = torch.Generator().manual_seed(cfg.train.seed)
        if len(data.train) < cfg.train.batch_size:
            raise RuntimeProblem(
                f"the train split has {len(data.train)} samples, fewer than one batch of {cfg.train.batch_size}",
                help=f"lower the batch size (--batch-size {max(2 * self.world.size, len(data.train) // 4)}) or use more data",
            )
        if cfg.train.batch_size < 2 * self.world.size:
            share = f"each of the {self.world.size} processes" if self.world.enabled else "a batch"
            raise RuntimeProblem(
                f"batch size {cfg.train.batch_size} is too small: {share} needs at least 2 samples "
                "(batchnorm cannot train on one)",
                code="E-usage",
                help=f"use --batch-size {2 * self.world.size} or more",
            )
        self.steps_per_epoch = len(
            shuffled_batches(len(data.train), cfg.train.batch_size, torch.Generator().manual_seed(0), self.world.size)
        )
        self.total_steps = cfg.train.steps if cfg.train.steps else cfg.train.epochs * self.steps_per_epoch
        self.epochs = math.ceil(self.total_steps / self.steps_per_epoch)
        self.optimizer = make_optimizer(cfg.train.optimizer, self.model.parameters(), self.device)
        self.schedule = make_schedule(cfg.train.schedule, self.optimizer, self.total_steps, self.steps_per_epoch)
        self.train_split = data.train.to(self.device)
        main = self.world.is_main
        self.report = RunReport(out_dir, self.kind, quiet=cfg.quiet or not main, writes=main)
        if main:
            remove_stale_temporaries(out_dir / "checkpoints")
        self.epoch = 0
        self.step = 0
        self.best: float | None = None
        self.stale = 0
        self.history: list[dict[str, float]] = []
        es = cfg.train.early_stopping
        self.monitor = es.name if es else "val_loss" if data.val is not None else "train_loss"
        if data.val is None and self.monitor.startswith("val_"):
            self.monitor = "train_loss"
        self.patience = es.args["patience"] if es else None
        self.position: EpochPosition | None = None  # inside an epoch: where a checkpoint written now resumes
        self.resume_at: EpochPosition | None = None

    # ---- checkpoints ----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything a resume needs; inside an epoch, also where in the epoch's batch order it stands."""
        at = self.position
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict() if self.schedule else {},
            "epoch": self.epoch,
            "step": self.step,
            "total_steps": self.total_steps,
            "steps_per_epoch": self.steps_per_epoch,
            "best": self.best,
            "stale": self.stale,
            "history": self.history,
            "torch_rng": at.torch_rng if at else torch.get_rng_state(),
            "shuffle_rng": self.generator.get_state(),
            "cuda_rng": (at.cuda_rng if at else torch.cuda.get_rng_state_all()) if self.device.type == "cuda" else [],
            "position": at.state() if at else None,
            "spec_hash": self.meta["spec_hash"],
            "normalizer": self.data.normalizer.state(),
            "data": self.data.contract,
            "settings": self.cfg.train.written(),
        }

    def save(self, name: str, state: dict[str, Any] | None = None) -> None:
        if self.world.is_main:  # one writer; the other ranks hold the same weights
            save_atomic(state if state is not None else self.state(), self.out_dir / "checkpoints" / name)

    def save_interrupted(self) -> None:
        """On Ctrl-C: the state at the step boundary where every rank stopped, resumable bit-exactly."""
        self.save("last.pt")

    def resume(self, path: Path) -> None:
        state = load_checkpoint(path, self.meta["spec_hash"], needs=RESUME_KEYS)
        self._check_resumable(state, path)
        restore_model(self.model, state["model"], path)
        try:
            self.optimizer.load_state_dict(state["optimizer"])
            if self.schedule and state["schedule"]:
                self.schedule.load_state_dict(state["schedule"])
        except (ValueError, KeyError, RuntimeError) as exc:
            raise RuntimeProblem(
                f"the optimizer state in {path} does not fit this run's optimizer ({self.cfg.train.optimizer.name}): {exc}",
                code="E-checkpoint",
                help="resume with the optimizer the run was trained with",
            ) from None
        self.epoch, self.step = state["epoch"], state["step"]
        self.best, self.stale, self.history = state["best"], state["stale"], list(state["history"])
        torch.set_rng_state(state["torch_rng"])
        self.generator.set_state(state["shuffle_rng"])
        if self.device.type == "cuda" and state["cuda_rng"]:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        self.resume_at = EpochPosition.from_state(state.get("position"), self.device)
        self._carry_best(path)
        self.report.restart(self.history)

    def _check_resumable(self, state: dict[str, Any], path: Path) -> None:
        """Refuse a resume that would not continue the same run (a schedule bent, batches out of step)."""
        old_per_epoch = state.get("steps_per_epoch", self.steps_per_epoch)
        if old_per_epoch != self.steps_per_epoch:
            raise RuntimeProblem(
                f"{path} was written with {old_per_epoch} steps per epoch, this run has {self.steps_per_epoch} "
                "(a different batch size or data set)",
                code="E-usage",
                help="resume with the run's batch size and data, or start a new run",
            )
        old_total = state.get("total_steps", self.total_steps)
        schedule = self.cfg.train.schedule.name
        if old_total != self.total_steps and schedule in TOTAL_SCHEDULES:
            old_epochs = math.ceil(old_total / self.steps_per_epoch)
            raise RuntimeProblem(
                f"the run's {schedule} schedule spans its {old_total} steps ({old_epochs} epochs); continuing to "
                f"{self.total_steps} steps would raise the learning rate again after step {state['step']}",
                code="E-usage",
                help=f"resume with --epochs {old_epochs} (the run's own length), or start a new run with the longer "
                "length (a schedule that does not depend on the length, `schedule none` or `step`, can be extended)",
            )
        if state["step"] > self.total_steps:
            raise RuntimeProblem(
                f"{path} is at step {state['step']}, past this run's {self.total_steps} steps",
                code="E-usage",
                help=f"resume with --steps {state['step']} or more",
            )

    def _carry_best(self, path: Path) -> None:
        """A resume into another run directory starts from the source run's best.pt, so the run always has one."""
        mine, theirs = self.out_dir / "checkpoints" / "best.pt", path.parent / "best.pt"
        if self.world.is_main and not mine.exists() and theirs.is_file() and theirs.resolve() != mine.resolve():
            mine.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(mine, theirs.read_bytes())

    # ---- the loop -------------------------------------------------------------------
    def train_epoch(self) -> dict[str, float]:
        self.model.train()
        cfg, split, world = self.cfg, self.train_split, self.world
        guard = StepGuard(self.device, world, self.stop)
        started = time.perf_counter()
        resume_at, self.resume_at = self.resume_at, None
        if resume_at is None:  # a fresh epoch: its batch order comes from the shuffling generator's state now
            epoch_rng = self.generator.get_state()
            total, count, done = torch.zeros((), device=self.device), 0, 0
        else:  # inside an epoch: draw the same order again, then skip the batches already trained on
            epoch_rng, total, count, done = resume_at.epoch_rng, resume_at.total, resume_at.count, resume_at.done
            self.generator.set_state(epoch_rng)
        # with DDP each rank takes its share of the same global batch; gradients are averaged
        batches = shuffled_batches(len(split), cfg.train.batch_size, self.generator, world.size)
        batches = [b[world.rank :: world.size] for b in batches][done:]
        batches = batches[: max(0, self.total_steps - self.step)]
        bar = self.report.progress(len(batches), self.epoch + 1, self.epochs)
        every = cfg.checkpoint_every
        for index, (xb, yb) in enumerate(split.batches(batches, self.device), start=done):
            # the step boundary: what a mid-epoch checkpoint (or Ctrl-C, which stops here) resumes from
            self.position = EpochPosition(epoch_rng, index, total, count, torch.get_rng_state(), self._cuda_rng())
            if every and index > done and self.step % every == 0:
                self.save("last.pt")
            if cfg.train.channels_last:
                xb = channels_last(xb)
            self.optimizer.zero_grad(set_to_none=True)
            with autocast(self.device, cfg.train.precision):
                out = feed(self.forward, xb)
            loss = self.loss_fn(out.float(), yb)
            guard.record(loss, self.step + 1)
            if (self.step + 1) % self.check_every == 0:
                guard.check(self.epoch + 1)  # each step for one CPU process: no update from a non-finite loss
            loss.backward()
            if cfg.train.clip:
                nn.utils.clip_grad_norm_(self.model.parameters(), cfg.train.clip)
            self.optimizer.step()
            if self.schedule is not None:
                self.schedule.step()
            self.step += 1
            total = total + loss.detach() * len(yb)
            count += len(yb)
            if bar is not None:
                bar.update(1)
                if self.step % self.check_every == 0:  # reading the loss is a sync too
                    rate = count * world.size / max(time.perf_counter() - started, 1e-9)
                    bar.set_postfix(loss=f"{float(loss.detach()):.4f}", samples_s=f"{rate:,.0f}")
        if bar is not None:
            bar.close()
        self.position = EpochPosition(
            epoch_rng, done + len(batches), total, count, torch.get_rng_state(), self._cuda_rng()
        )
        guard.check(self.epoch + 1)
        self.position = None
        seconds = time.perf_counter() - started
        loss_sum, samples = sum_across([float(total), float(count)], self.device, world)
        return {
            "train_loss": loss_sum / max(samples, 1),
            "seconds": seconds,
            "samples_per_s": samples / max(seconds, 1e-9),
        }

    def _cuda_rng(self) -> list[torch.Tensor]:
        return torch.cuda.get_rng_state_all() if self.device.type == "cuda" else []

    def evaluate(self, split: Split, with_confusion: bool = False) -> dict[str, Any]:
        # with DDP: the bare module, with rank 0's buffers (batchnorm statistics) on every rank. The DDP
        # wrapper would broadcast them inside its first forward, and a rank whose shard of a tiny split
        # is empty never makes that call: the others waited for it forever.
        net = self.forward
        if self.world.enabled:
            broadcast_buffers(self.model, self.world)
            net = self.model
        return evaluate_split(
            net, self.loss_fn, split, self.kind, self.data.normalizer, self.cfg, self.device, self.world, with_confusion
        )

    def fit(self) -> dict[str, Any]:
        while self.epoch < self.epochs and self.step < self.total_steps:
            row: dict[str, float] = {
                "epoch": self.epoch + 1,
                **self.train_epoch(),
                "lr": self.optimizer.param_groups[0]["lr"],
            }
            if self.data.val is not None:
                row |= {f"val_{k}": v for k, v in self.evaluate(self.data.val).items()}
            self.epoch += 1
            self.history.append(row)
            value = row[self.monitor]
            higher_is_better = self.monitor.endswith(("accuracy", "f1", "r2"))
            better = self.best is None or (value > self.best if higher_is_better else value < self.best)
            if better:
                self.best, self.stale = value, 0
            else:
                self.stale += 1
            state = self.state()
            if better:
                self.save("best.pt", state)
            self.save("last.pt", state)
            self.report.epoch(row)
            if self.patience is not None and self.stale >= self.patience:
                self.report.note(f"early stopping: {self.monitor} did not improve for {self.patience} epochs")
                break
        barrier(self.world)  # best.pt is on disk before any rank reads it
        best_path = self.out_dir / "checkpoints" / "best.pt"
        if best_path.is_file():
            best = load_checkpoint(best_path, self.meta["spec_hash"])
            restore_model(self.model, best["model"], best_path)
            best_epoch = best["epoch"]
        else:  # nothing trained in this run directory (e.g. a resume of a finished run elsewhere): the last weights
            best_epoch = self.epoch
            self.report.note(f"no best.pt in {best_path.parent}: the test uses the last weights")
        summary = {
            "test": self.evaluate(self.data.test, with_confusion=True),
            "val": self.evaluate(self.data.val) if self.data.val is not None else {},
            "best_epoch": best_epoch,
            "epochs": self.epoch,
            "steps": self.step,
            "train_seconds": sum(r["seconds"] for r in self.history),
            "device": str(self.device),
            "precision": effective_precision(self.cfg.train.precision, self.device),
            "processes": self.world.size,
            "model": self.meta["model"],
            "spec_hash": self.meta["spec_hash"],
        }
        self.report.finish(summary, self.history, self.data.contract.get("classes"))
        return summary
