"""Weights from another implementation of the same model (a torchvision state_dict): the name mapping, derived."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from netspec.runtime.checkpoint import FORMAT as CHECKPOINT_FORMAT
from netspec.runtime.checkpoint import read_checkpoint
from netspec.runtime.errors import RuntimeProblem
from torch import nn

# The tensor names torch.nn layers give their state. Two entries paired by position must agree on
# this role (a bias never takes a weight's place); a learnable tensor declared in a spec has a
# name of its own and pairs with any tensor the other model declared the same way.
LAYER_STATE_NAMES = frozenset(
    {"weight", "bias", "running_mean", "running_var", "num_batches_tracked", "in_proj_weight", "in_proj_bias"}
)


def _role(key: str) -> str:
    leaf = key.rsplit(".", 1)[-1]
    if leaf in LAYER_STATE_NAMES or leaf.startswith(("weight_", "bias_")):  # rnn: weight_ih_l0, bias_hh_l1_reverse
        return leaf
    return "tensor"


def _describe(key: str, tensor: torch.Tensor) -> str:
    return f"`{key}` {list(tensor.shape)} {str(tensor.dtype).removeprefix('torch.')}"


def derive_mapping(target: Mapping[str, torch.Tensor], foreign: Mapping[str, torch.Tensor]) -> dict[str, str]:
    """Pair the target's state entries with the foreign ones, both in registration order: {target key: foreign key}.

    The two models must register the same tensors in the same order (a spec written after the
    model's source does: netc registers layers in the order the spec uses them). Each pair must
    agree in shape, dtype and role, so a mapping either pairs every tensor one-to-one or is refused
    at the first pair that disagrees.
    """
    ours, theirs = list(target.items()), list(foreign.items())
    for index, ((key, mine), (other_key, other)) in enumerate(zip(ours, theirs, strict=False)):
        if mine.shape != other.shape or mine.dtype != other.dtype or _role(key) != _role(other_key):
            raise RuntimeProblem(
                f"the weights do not fit this model: tensor {index + 1} of the model is {_describe(key, mine)}, "
                f"tensor {index + 1} of the file is {_describe(other_key, other)}",
                code="E-weights",
                notes=(
                    "netc pairs the file's tensors with the model's in the order both register them "
                    "(parameters and buffers, as state_dict() lists them)",
                ),
                help="write the spec's layers in the order the original model defines them, with the same sizes",
            )
    if len(ours) != len(theirs):
        longer, which = (ours, "model") if len(ours) > len(theirs) else (theirs, "file")
        extra = ", ".join(f"`{k}`" for k, _ in longer[min(len(ours), len(theirs)) :][:3])
        raise RuntimeProblem(
            f"the weights do not fit this model: the model has {len(ours)} tensors, the file {len(theirs)} "
            f"(the {which} has more, from {extra})",
            code="E-weights",
            help="check that the spec and the file describe the same architecture (e.g. auxiliary heads left out)",
        )
    mapping = {key: other_key for (key, _), (other_key, _) in zip(ours, theirs, strict=True)}
    _check_modules_pair(mapping)
    return mapping


def _module(key: str) -> str:
    return key.rsplit(".", 1)[0] if "." in key else ""


def _check_modules_pair(mapping: dict[str, str]) -> None:
    """The tensors of one layer must all come from one layer of the file, and that layer's from this one only.

    Order and shapes alone could pair the bias of one layer with the next layer's weight when their
    shapes happen to agree; a mapping between whole layers cannot drift like that.
    """
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for key, other_key in mapping.items():
        mine, theirs = _module(key), _module(other_key)
        if forward.setdefault(mine, theirs) != theirs or backward.setdefault(theirs, mine) != mine:
            first = next(k for k, o in mapping.items() if _module(k) == mine or _module(o) == theirs)
            raise RuntimeProblem(
                f"the weights do not fit this model: `{key}` would come from `{other_key}`, "
                f"but `{first}` comes from `{mapping[first]}`, another layer",
                code="E-weights",
                notes=("each layer's tensors must come from a single layer of the file, in the same order",),
                help="write the spec's layers in the order the original model defines them, with the same sizes",
            )


def translate(model: nn.Module, foreign: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The foreign state under the model's own names, ready for `load_state_dict(strict=True)`."""
    mapping = derive_mapping(model.state_dict(), foreign)  # a file saved from this module pairs each name with itself
    return {key: foreign[other] for key, other in mapping.items()}


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A state_dict file (`torch.save(model.state_dict(), path)`), or a netc checkpoint's model part."""
    if not path.is_file():
        raise RuntimeProblem(f"no such weights file: {path}", code="E-usage")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # never unpickle arbitrary objects; say why the file cannot be read
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise RuntimeProblem(
            f"cannot read weights from {path}: {type(exc).__name__}: {first}",
            code="E-weights",
            help="save weights with torch.save(model.state_dict(), path)",
        ) from None
    if isinstance(state, dict) and (state.get("format") == CHECKPOINT_FORMAT or {"model", "spec_hash"} <= state.keys()):
        state = read_checkpoint(path)["model"]  # a netc checkpoint (of any spec): its checksum verified, its weights
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise RuntimeProblem(
            f"{path} is not a state_dict (a mapping of names to tensors)",
            code="E-weights",
            help="save weights with torch.save(model.state_dict(), path), not the whole model",
        )
    return state


def init_from(model: nn.Module, path: Path) -> int:
    """Load a foreign state_dict file into the model (strict); returns how many tensors were loaded."""
    state = translate(model, read_state_dict(path))
    model.load_state_dict(state, strict=True)
    return len(state)
