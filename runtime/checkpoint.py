"""Checkpoints: written atomically (temp file + rename), read back with weights_only=True."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from netspec.runtime.errors import RuntimeProblem


def save_atomic(state: dict[str, Any], path: Path) -> None:
    """Never leaves a half-written checkpoint: a crash mid-write keeps the previous file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: Path) -> None:
    """A process killed mid-write leaves its temp file behind; the checkpoint itself is intact."""
    for tmp in folder.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def load_checkpoint(path: Path, spec_hash: str) -> dict[str, Any]:
    if not path.exists():
        raise RuntimeProblem(f"no such checkpoint: {path}", code="E-usage")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: explain, never unpickle arbitrary objects
        raise RuntimeProblem(
            f"cannot read checkpoint {path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            code="E-checkpoint",
            help="checkpoints are written by `netc train` (runs/<model>-<time>/checkpoints/)",
        ) from None
    if not isinstance(state, dict) or "model" not in state or "spec_hash" not in state:
        raise RuntimeProblem(f"{path} is not a netc checkpoint", code="E-checkpoint")
    if state["spec_hash"] != spec_hash:
        raise RuntimeProblem(
            f"checkpoint {path} was trained from a different model (spec hash {state['spec_hash']}, this spec is {spec_hash})",
            code="E-checkpoint",
            help="use the spec the checkpoint was trained with, or train this spec from scratch",
        )
    return state
