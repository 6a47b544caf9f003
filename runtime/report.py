"""What a run leaves behind and shows: progress bar, per-epoch lines, metrics.jsonl, summary.json, curves.png."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _tensorboard_writer(folder: Path):
    """TensorBoard event files when the tensorboard package is installed; nothing otherwise."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        return None
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(folder))


class RunReport:
    def __init__(self, out_dir: Path, kind: str, quiet: bool, writes: bool = True) -> None:
        self.out_dir = out_dir
        self.kind = kind
        self.quiet = quiet
        self.writes = writes  # under DDP only rank 0 writes files
        self.metrics_path = out_dir / "metrics.jsonl"
        self.tensorboard = None
        if writes:
            out_dir.mkdir(parents=True, exist_ok=True)
            self.metrics_path.write_text("", encoding="utf-8")
            self.tensorboard = _tensorboard_writer(out_dir / "tensorboard")

    def restart(self, history: list[dict[str, float]]) -> None:
        """On resume, metrics.jsonl holds exactly the epochs the checkpoint has seen."""
        if self.writes:
            write_text_atomic(self.metrics_path, "".join(json.dumps(r) + "\n" for r in history))

    def progress(self, total: int, epoch: int, epochs: int):
        if self.quiet or not sys.stderr.isatty():
            return None
        from tqdm import tqdm

        return tqdm(total=total, desc=f"epoch {epoch}/{epochs}", leave=False, unit="batch", file=sys.stderr)

    def epoch(self, row: dict[str, float]) -> None:
        if self.writes:
            with self.metrics_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")
        if self.tensorboard is not None:
            for key, value in row.items():
                if key != "epoch":
                    self.tensorboard.add_scalar(key, value, int(row["epoch"]))
            self.tensorboard.flush()
        if self.quiet:
            return
        parts = [f"epoch {int(row['epoch']):>3}", f"train_loss {row['train_loss']:.4f}"]
        for key in ("val_loss", "val_accuracy", "val_mae", "val_r2"):
            if key in row:
                parts.append(f"{key} {row[key]:.4f}")
        parts.append(f"{row['samples_per_s']:,.0f} samples/s")
        print("  ".join(parts), file=sys.stderr)

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr)

    def finish(self, summary: dict[str, Any], history: list[dict[str, float]]) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()
        if not self.writes:
            return
        write_text_atomic(self.out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        plot_curves(history, self.out_dir / "curves.png")


def plot_curves(history: list[dict[str, float]], path: Path) -> None:
    if not history:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    metric = next((k for k in ("val_accuracy", "val_r2") if k in history[0]), None)
    fig, axes = plt.subplots(1, 2 if metric else 1, figsize=(10 if metric else 5, 4), squeeze=False)
    ax = axes[0][0]
    ax.plot(epochs, [r["train_loss"] for r in history], label="train")
    if "val_loss" in history[0]:
        ax.plot(epochs, [r["val_loss"] for r in history], label="val")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    if metric:
        axes[0][1].plot(epochs, [r[metric] for r in history])
        axes[0][1].set_xlabel("epoch")
        axes[0][1].set_ylabel(metric)
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(prefix=".curves.", suffix=".png", dir=path.parent)
    os.close(fd)
    fig.savefig(tmp, dpi=80)
    plt.close(fig)
    os.replace(tmp, path)
