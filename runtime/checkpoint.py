"""Checkpoints: a checksummed envelope written atomically, read back with weights_only=True and verified."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.files import remove_stale_temporaries, write_bytes_atomic
from torch import nn

__all__ = ["load_checkpoint", "read_checkpoint", "remove_stale_temporaries", "restore_model", "save_atomic"]

FORMAT = "netc-checkpoint/2"
_HELP = "checkpoints are written by `netc train` (runs/<model>-<time>/checkpoints/)"


def _serialize(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def save_atomic(state: dict[str, Any], path: Path) -> None:
    """The state, serialized, travels as bytes inside an envelope with its SHA-256: any changed byte is found.

    Serialized in memory first, so a failing disk never sees half a checkpoint (the previous file stays).
    """
    payload = _serialize(state)
    envelope = {
        "format": FORMAT,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8),
    }
    write_bytes_atomic(path, _serialize(envelope))


def _read(source: Path | bytes, what: str) -> Any:
    try:
        where = io.BytesIO(source) if isinstance(source, bytes) else source
        return torch.load(where, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: explain, never unpickle arbitrary objects
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise RuntimeProblem(
            f"cannot read {what}: {type(exc).__name__}: {first[:200]}", code="E-checkpoint", help=_HELP
        ) from None


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The state inside a checkpoint file, its checksum verified; any spec's."""
    if not path.is_file():
        raise RuntimeProblem(f"no such checkpoint: {path}", code="E-usage")
    envelope = _read(path, f"checkpoint {path}")
    if isinstance(envelope, dict) and envelope.get("format") == FORMAT:
        payload = envelope.get("payload")
        if not isinstance(payload, torch.Tensor) or payload.dtype != torch.uint8:
            raise RuntimeProblem(f"{path} is damaged: it holds no payload", code="E-checkpoint", help=_HELP)
        data = payload.numpy().tobytes()
        if hashlib.sha256(data).hexdigest() != envelope.get("sha256"):
            raise RuntimeProblem(
                f"checkpoint {path} is damaged: its content does not match the checksum written with it",
                code="E-checkpoint",
                help="use another checkpoint of the run (best.pt or last.pt), or train again",
            )
        state = _read(data, f"checkpoint {path}")
    else:
        state = envelope  # written before checkpoints carried a checksum
    if not isinstance(state, dict) or "model" not in state or "spec_hash" not in state:
        raise RuntimeProblem(f"{path} is not a netc checkpoint", code="E-checkpoint", help=_HELP)
    return state


def load_checkpoint(path: Path, spec_hash: str, needs: Iterable[str] = ()) -> dict[str, Any]:
    """The verified state of a checkpoint of this spec holding every key in `needs`, or a clear refusal."""
    state = read_checkpoint(path)
    if state["spec_hash"] != spec_hash:
        raise RuntimeProblem(
            f"checkpoint {path} was trained from a different model (spec hash {state['spec_hash']}, this spec is {spec_hash})",
            code="E-checkpoint",
            help="use the spec the checkpoint was trained with, or train this spec from scratch",
        )
    missing = [key for key in needs if key not in state]
    if missing:
        raise RuntimeProblem(
            f"checkpoint {path} lacks {', '.join(missing)}, which resuming needs",
            code="E-checkpoint",
            help="resume from a last.pt written by `netc train`, or start a new run",
        )
    return state


def restore_model(model: nn.Module, weights: dict[str, torch.Tensor], path: Path) -> None:
    """Load weights that fit the model exactly; otherwise name the tensors that are missing, extra or misshapen."""
    own = model.state_dict()
    missing = [k for k in own if k not in weights]
    extra = [k for k in weights if k not in own]
    misshapen = [
        f"{k} {list(weights[k].shape)} (the model has {list(own[k].shape)})"
        for k in own
        if k in weights and isinstance(weights[k], torch.Tensor) and weights[k].shape != own[k].shape
    ]
    problems = [
        f"{what}: {'; '.join(names[:5])}{' ...' if len(names) > 5 else ''}"
        for what, names in (
            ("missing tensors", missing),
            ("tensors the model lacks", extra),
            ("wrong shapes", misshapen),
        )
        if names
    ]
    if problems:
        raise RuntimeProblem(
            f"checkpoint {path} does not fit this model",
            code="E-checkpoint",
            notes=tuple(problems),
            help="use the checkpoint trained from this spec",
        )
    model.load_state_dict(weights)
