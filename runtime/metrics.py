"""Per-task metrics: accuracy for classification, MAE and R² for regression."""

from __future__ import annotations

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

    def add(
        self,
        loss: torch.Tensor,
        output: torch.Tensor,
        target: torch.Tensor,
        target_scale: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> None:
        n = target.shape[0]
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
        return out
