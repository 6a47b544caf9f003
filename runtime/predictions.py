"""Predictions in one schema for every task, printed as JSON lines or written to a .jsonl or .csv file.

Each row has `row` (the input's position) and then, by task:
multiclass `class` (id), `label` (the class's name when the data set has names) and `probabilities`;
binary and multilabel `labels` (0/1 at threshold 0.5) and `probabilities`; regression `values`
(on the targets' own scale). A .csv file spreads each list over columns `name_0`, `name_1`, ...
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import torch
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.files import write_text_atomic

FORMATS = (".jsonl", ".csv")


def prediction_rows(
    kind: str, out: torch.Tensor, classes: list[str] | None, layout: str = "sample"
) -> list[dict[str, Any]]:
    """`out`: the model's outputs (logits, or regression values already on the targets' scale).

    A dense multiclass task (per token or per pixel) gives `classes`: the class id at each position.
    """
    rows: list[dict[str, Any]] = []
    for i, o in enumerate(out):
        if kind == "multiclass" and layout != "sample":
            rows.append({"row": i, "classes": o.argmax(-1 if layout == "token" else 0).tolist()})
        elif kind == "multiclass":
            p = o.softmax(0)
            c = int(p.argmax())
            label = classes[c] if classes and c < len(classes) else str(c)
            rows.append({"row": i, "class": c, "label": label, "probabilities": [round(float(v), 6) for v in p]})
        elif kind in ("binary", "multilabel"):
            p = o.sigmoid()
            rows.append(
                {"row": i, "labels": [int(v > 0.5) for v in p], "probabilities": [round(float(v), 6) for v in p]}
            )
        else:
            rows.append({"row": i, "values": [float(v) for v in o]})
    return rows


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, list):
            flat |= {f"{key}_{k}": v for k, v in enumerate(value)}
        else:
            flat[key] = value
    return flat


def write_predictions(rows: list[dict[str, Any]], path: Path) -> None:
    if path.suffix not in FORMATS:
        raise RuntimeProblem(f"--output must end in .jsonl or .csv, not {path.name}", code="E-usage")
    if path.suffix == ".jsonl":
        write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in rows))
        return
    flat = [_flat(r) for r in rows]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(flat[0]) if flat else ["row"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    write_text_atomic(path, text.getvalue())
