"""Per-task metrics: accuracy for classification (per sample, token or pixel; perplexity, mean IoU), MAE and R² for regression."""

from __future__ import annotations

import math

import torch
from netspec.runtime.distributed import World, gather_across, sum_across


class MetricSums:
    """Accumulates sums over batches so that metrics are exact over a whole split."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.loss = 0.0
        self.count = 0
        self.correct = 0.0
        self.elements = 0
        self.abs_err = 0.0
        self.targets: list[torch.Tensor] = []
        self.preds: list[torch.Tensor] = []
        self.layout = "sample"
        self.confusion: torch.Tensor | None = None

    def add(
        self,
        loss: torch.Tensor,
        output: torch.Tensor,
        target: torch.Tensor,
        target_scale: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> None:
        n = target.shape[0]
        if self.kind == "multiclass" and target.dim() > 1:
            self.add_dense(loss, output, target)
            return
        self.loss += float(loss) * n
        self.count += n
        if self.kind == "multiclass":
            self.correct += float((output.argmax(1) == target).sum())
            self.elements += n
        elif self.kind in ("binary", "multilabel"):
            self.correct += float(((output > 0).float() == target).sum())
            self.elements += target.numel()
        else:
            pred, true = output.float(), target.float()
            if target_scale is not None:
                mean, std = target_scale
                pred, true = pred * std + mean, true * std + mean
            self.preds.append(pred.cpu())
            self.targets.append(true.cpu())

    def add_dense(self, loss: torch.Tensor, output: torch.Tensor, target: torch.Tensor) -> None:
        """Per-token [N, T, C] or per-pixel [N, C, H, W] classes: counts over the real (not ignored) targets."""
        classes = output.shape[-1] if output.shape[:-1] == target.shape else output.shape[1]
        pred = output.argmax(-1) if output.shape[:-1] == target.shape else output.argmax(1)
        real = (target >= 0) & (target < classes)
        tokens = int(real.sum())
        self.loss += float(loss) * tokens  # the loss is a mean over the real targets
        self.count += tokens
        self.correct += float((pred == target)[real].sum())
        self.elements += tokens
        self.layout = "token" if output.shape[:-1] == target.shape else "pixel"
        if self.layout == "pixel":
            pairs = target[real] * classes + pred[real]
            confusion = torch.bincount(pairs, minlength=classes * classes).reshape(classes, classes).cpu()
            self.confusion = confusion if self.confusion is None else self.confusion + confusion

    def dense_metrics(self, loss: float, world: World, device: torch.device) -> dict[str, float]:
        """Perplexity for tokens; mean IoU over the classes present for pixels."""
        if self.layout == "token":
            return {"perplexity": math.exp(min(loss, 50.0))}
        if self.layout == "pixel" and self.confusion is not None:
            confusion = torch.tensor(
                sum_across(self.confusion.flatten().tolist(), device, world), dtype=torch.float64
            ).reshape(self.confusion.shape)
            hits = confusion.diag()
            union = confusion.sum(0) + confusion.sum(1) - hits
            present = union > 0
            return {"mean_iou": float((hits[present] / union[present]).mean()) if present.any() else 0.0}
        return {}

    def as_dict(self, device: torch.device | None = None, world: World | None = None) -> dict[str, float]:
        """Exact metrics over the whole split; with DDP the per-rank sums are added up first."""
        world = world or World()
        loss, count, correct, elements = sum_across(
            [self.loss, self.count, self.correct, self.elements], device or torch.device("cpu"), world
        )
        out = {"loss": loss / max(count, 1)}
        if self.kind == "regression":
            pred = gather_across(torch.cat(self.preds), world)
            true = gather_across(torch.cat(self.targets), world)
            out["mae"] = float((pred - true).abs().mean())
            ss_res = ((true - pred) ** 2).sum(0)
            ss_tot = ((true - true.mean(0)) ** 2).sum(0).clamp_min(1e-12)
            out["r2"] = float((1 - ss_res / ss_tot).mean())
        else:
            out["accuracy"] = correct / max(elements, 1)
            out.update(self.dense_metrics(out["loss"], world, device or torch.device("cpu")))
        return out
