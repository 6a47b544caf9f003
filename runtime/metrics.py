"""Per-task metrics over a whole split, computed by scikit-learn from the gathered outputs and targets.

A task kind maps to one function (`METRICS`) from (outputs, targets) as numpy arrays on the original
scale to named floats; a new task adds an entry. `confusion` gives the matrix for classification tasks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from netspec.runtime.distributed import World, gather_across, sum_across
from sklearn import metrics as skm


def _multiclass(out: np.ndarray, y: np.ndarray) -> dict[str, float]:
    pred, labels = out.argmax(1), np.arange(out.shape[1])
    p, r, f1, _ = skm.precision_recall_fscore_support(y, pred, labels=labels, average="macro", zero_division=0)
    return {"accuracy": float(skm.accuracy_score(y, pred)), "precision": float(p), "recall": float(r), "f1": float(f1)}


def _auc(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """ROC-AUC (macro over labels); labels whose split holds one class only have none and are left out."""
    both = [j for j in range(y.shape[1]) if 0 < y[:, j].sum() < len(y)]
    if not both:
        return {}
    return {"roc_auc": float(skm.roc_auc_score(y[:, both], scores[:, both], average="macro"))}


def _binary(out: np.ndarray, y: np.ndarray) -> dict[str, float]:
    truth, pred = y[:, 0].astype(int), (out[:, 0] > 0).astype(int)
    p, r, f1, _ = skm.precision_recall_fscore_support(truth, pred, average="binary", zero_division=0)
    scores = {"accuracy": float(skm.accuracy_score(truth, pred)), "precision": float(p), "recall": float(r)}
    return scores | {"f1": float(f1)} | _auc(y, out)


def _multilabel(out: np.ndarray, y: np.ndarray) -> dict[str, float]:
    truth, pred = y.astype(int), (out > 0).astype(int)
    p, r, f1, _ = skm.precision_recall_fscore_support(truth, pred, average="macro", zero_division=0)
    # accuracy per label decision (subset accuracy, every label right, is far stricter): the mean of truth == pred
    scores = {"accuracy": float((truth == pred).mean()), "precision": float(p), "recall": float(r), "f1": float(f1)}
    return scores | _auc(y, out)


def _regression(out: np.ndarray, y: np.ndarray) -> dict[str, float]:
    # R² with scikit-learn's semantics: a constant target column scores 1.0 if predicted exactly, else 0.0
    return {"mae": float(skm.mean_absolute_error(y, out)), "r2": float(skm.r2_score(y, out))}


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], dict[str, float]]] = {
    "multiclass": _multiclass,
    "binary": _binary,
    "multilabel": _multilabel,
    "regression": _regression,
}


def confusion(kind: str, out: np.ndarray, y: np.ndarray) -> list[list[int]] | None:
    """Rows: true class, columns: predicted class (binary: 0, 1); None for tasks without classes."""
    if kind == "multiclass":
        return skm.confusion_matrix(y, out.argmax(1), labels=np.arange(out.shape[1])).tolist()
    if kind == "binary":
        return skm.confusion_matrix(y[:, 0].astype(int), (out[:, 0] > 0).astype(int), labels=[0, 1]).tolist()
    return None


class MetricSums:
    """Collects the loss sum and every output and target of a split, so that metrics are exact over it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.loss = 0.0
        self.count = 0
        self.outputs: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []
        self.layout, self.classes = "sample", 0  # per-token or per-pixel multiclass: set by the first batch

    def add(
        self,
        loss: torch.Tensor,
        output: torch.Tensor,
        target: torch.Tensor,
        target_scale: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> None:
        if self.kind == "multiclass" and target.dim() > 1:
            self.add_elements(loss, output, target)
            return
        n = target.shape[0]
        self.loss += float(loss) * n
        self.count += n
        output = output.float()
        if target_scale is not None:  # regression metrics on the original scale of the targets
            mean, std = target_scale
            output, target = output * std + mean, target.float() * std + mean
        self.outputs.append(output.detach().cpu())
        self.targets.append(target.detach().cpu())

    def add_elements(self, loss: torch.Tensor, output: torch.Tensor, target: torch.Tensor) -> None:
        """Per-token [N, T, C] or per-pixel [N, C, H, W] classes: the predicted ids of the real (not ignored) targets.

        Only ids are kept (not the logits), so a split of images costs one integer per pixel.
        """
        per_token = output.shape[:-1] == target.shape
        classes = output.shape[-1] if per_token else output.shape[1]
        pred = output.argmax(-1) if per_token else output.argmax(1)
        real = (target >= 0) & (target < classes)
        count = int(real.sum())
        self.loss += float(loss) * count  # the loss is a mean over the real targets
        self.count += count
        self.layout, self.classes = ("token" if per_token else "pixel"), classes
        self.outputs.append(pred[real].to(torch.int32).cpu())
        self.targets.append(target[real].to(torch.int32).cpu())

    def element_metrics(self, loss: float, pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
        """Token or pixel accuracy and macro precision/recall/F1; perplexity (tokens) or mean IoU (pixels)."""
        labels = np.arange(self.classes)
        p, r, f1, _ = skm.precision_recall_fscore_support(y, pred, labels=labels, average="macro", zero_division=0)
        result = {"accuracy": float(skm.accuracy_score(y, pred)), "precision": float(p), "recall": float(r)}
        result["f1"] = float(f1)
        if self.layout == "token":
            result["perplexity"] = math.exp(min(loss, 50.0))
        else:  # IoU averaged over the classes that occur in the targets or the predictions
            result["mean_iou"] = float(skm.jaccard_score(y, pred, average="macro", zero_division=0))
        return result

    def gathered(self, world: World) -> tuple[np.ndarray, np.ndarray]:
        """Every rank's outputs and targets (with DDP each rank evaluated a shard)."""
        out = gather_across(torch.cat(self.outputs) if self.outputs else torch.empty(0), world)
        y = gather_across(torch.cat(self.targets) if self.targets else torch.empty(0), world)
        return out.numpy(), y.numpy()

    def as_dict(
        self, device: torch.device | None = None, world: World | None = None, with_confusion: bool = False
    ) -> dict[str, float]:
        """Exact metrics over the whole split; with DDP the per-rank sums are added up first."""
        world = world or World()
        loss, count = sum_across([self.loss, self.count], device or torch.device("cpu"), world)
        result: dict = {"loss": loss / max(count, 1)}
        out, y = self.gathered(world)
        if self.layout != "sample":
            return result | (self.element_metrics(result["loss"], out, y) if len(y) else {})
        if len(y):
            result |= METRICS[self.kind](out, y)
            matrix = confusion(self.kind, out, y) if with_confusion else None
            if matrix is not None:
                result["confusion_matrix"] = matrix
        return result
