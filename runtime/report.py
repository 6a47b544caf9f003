"""What a run leaves behind and shows: progress bar, per-epoch lines, metrics.jsonl, summary.json, curves.png."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from netspec.runtime.files import write_atomic, write_text_atomic


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
        for key in ("val_loss", "val_accuracy", "val_f1", "val_mae", "val_r2"):
            if key in row:
                parts.append(f"{key} {row[key]:.4f}")
        parts.append(f"{row['samples_per_s']:,.0f} samples/s")
        print("  ".join(parts), file=sys.stderr)

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr)

    def finish(
        self, summary: dict[str, Any], history: list[dict[str, float]], classes: list[str] | None = None
    ) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()
        if not self.writes:
            return
        write_text_atomic(self.out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        plot_curves(history, self.out_dir / "curves.png")
        matrix = summary["test"].get("confusion_matrix")
        if matrix is not None:
            names = classes if classes and len(classes) == len(matrix) else [str(i) for i in range(len(matrix))]
            table = {
                "split": "test",
                "rows": "true class",
                "columns": "predicted class",
                "classes": names,
                "matrix": matrix,
            }
            write_text_atomic(self.out_dir / "confusion.json", json.dumps(table, indent=2) + "\n")
            plot_confusion(matrix, names, self.out_dir / "confusion.png")


def _pyplot():
    """matplotlib's pyplot (off-screen), or None without the `plots` extra: the run then has no pictures."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: list[dict[str, float]], path: Path) -> None:
    plt = _pyplot()
    if not history or plt is None:
        return
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
    try:
        write_atomic(path, lambda handle: fig.savefig(handle, format="png", dpi=80))
    finally:
        plt.close(fig)


def plot_confusion(matrix: list[list[int]], names: list[str], path: Path) -> None:
    """The test split's confusion matrix as a picture: counts in each cell, true class down, predicted across."""
    plt = _pyplot()
    if plt is None:
        return
    size = min(12.0, 2.0 + 0.5 * len(names))
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ticks = range(len(names))
    ax.set_xticks(ticks, names, rotation=90 if len(names) > 6 else 0)
    ax.set_yticks(ticks, names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if len(names) <= 30:
        peak = max(max(row) for row in matrix) or 1
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                ax.text(j, i, str(count), ha="center", va="center", color="white" if count > peak / 2 else "black")
    fig.tight_layout()
    try:
        write_atomic(path, lambda handle: fig.savefig(handle, format="png", dpi=80))
    finally:
        plt.close(fig)
