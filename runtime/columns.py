"""Table columns matched by name against the columns a checkpoint was trained on (never by position)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from netspec.runtime.errors import RuntimeProblem


def _listed(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def by_name(
    x: np.ndarray, header: list[str], features: list[str] | None, target: str | None, where: Path | str
) -> np.ndarray:
    """The columns of `x` (named by `header`) in the order of `features`.

    The training target, if present, is dropped; a feature that is missing (or renamed) is an error that
    names it; other extra columns are ignored with a note. Without recorded feature names (a model
    trained from arrays) only the target is dropped and the order is the file's.
    """
    keep = [i for i, h in enumerate(header) if h != target]
    if features is None:
        return x[:, keep]
    position = {h: i for i, h in enumerate(header)}
    missing = [f for f in features if f not in position]
    if missing:
        unknown = [h for h in header if h not in features and h != target]
        raise RuntimeProblem(
            f"{where} has no column {_listed(missing)}, which the model was trained on",
            notes=(f"columns it has that the model does not know: {_listed(unknown)}",) if unknown else (),
            help=f"name the columns as in training: {_listed(features, 20)}",
        )
    extra = [h for h in header if h not in features and h != target]
    if extra:
        print(f"note: {where}: ignoring columns the model was not trained on: {_listed(extra)}", file=sys.stderr)
    return x[:, [position[f] for f in features]]
