"""From a data set to validated, split, standardized tensors that match the spec."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from netspec.runtime.data import ArrayData, StreamData
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.inputs import count, each, take
from netspec.runtime.splits import Normalizer, Split, fit_normalizer
from netspec.runtime.stream import StreamSplit, prepare_stream
from netspec.runtime.validate import check_inputs, check_targets, shape_inputs

SPLIT_SEED = 0  # the train/val/test split does not move with the training seed


@dataclass
class Prepared:
    train: Split | StreamSplit
    val: Split | StreamSplit | None
    test: Split | StreamSplit
    normalizer: Normalizer
    # what the model was trained on, kept in every checkpoint (plain data): see data_contract
    contract: dict[str, Any] = field(default_factory=dict)


def data_contract(data: ArrayData | StreamData, meta: dict[str, Any], source: dict[str, Any] | None) -> dict[str, Any]:
    """The data a checkpoint's weights expect: where it came from, its columns, target and classes, input dtypes.

    `predict` matches CSV columns by these names and `eval` reads this source again; the normalizer is
    kept beside it in the checkpoint.
    """
    return {
        "source": source,
        "features": getattr(data, "features", None),
        "target": getattr(data, "target", None),
        "classes": getattr(data, "classes", None),
        "inputs": {i["name"]: i["dtype"] for i in meta["inputs"]},
    }


def _permute(n: int) -> np.ndarray:
    return np.random.default_rng(SPLIT_SEED).permutation(n)


def clean_inputs(x: Any, inputs_meta: list[dict[str, Any]], reshapeable: bool) -> Any:
    """Inputs checked against the spec: one array for one input, a dict by input name for several."""
    if len(inputs_meta) == 1 and not isinstance(x, dict):
        return check_inputs(shape_inputs(np.asarray(x), inputs_meta[0], reshapeable), inputs_meta[0])
    names = [i["name"] for i in inputs_meta]
    if not isinstance(x, dict):
        raise RuntimeProblem(
            f"the model has {len(names)} inputs ({', '.join(names)}), but the data holds one array",
            help=f"give the inputs by name: np.savez(path, {', '.join(f'{n}=...' for n in names)}, y=targets)",
        )
    missing = [n for n in names if n not in x]
    if missing:
        raise RuntimeProblem(
            f"the data has no input {', '.join(repr(n) for n in missing)} (it has {', '.join(map(repr, x)) or 'nothing'})",
            help=f"name the arrays after the model's inputs: {', '.join(names)}",
        )
    cleaned = {m["name"]: check_inputs(shape_inputs(np.asarray(x[m["name"]]), m, reshapeable), m) for m in inputs_meta}
    sizes = {n: len(v) for n, v in cleaned.items()}
    if len(set(sizes.values())) > 1:
        raise RuntimeProblem(
            f"the inputs hold different numbers of samples: {', '.join(f'{n} {k}' for n, k in sizes.items())}",
            help="every input needs one entry per sample",
        )
    return cleaned if len(inputs_meta) > 1 else cleaned[names[0]]


def prepare(
    data: ArrayData | StreamData,
    meta: dict[str, Any],
    *,
    val_split: float,
    test_split: float,
    standardize: bool,
    onehot: bool,
    source: dict[str, Any] | None = None,
    val_data: ArrayData | None = None,
) -> Prepared:
    """Checked, split and standardized tensors; `val_data` (a caller's own validation set) replaces val_split."""
    if isinstance(data, StreamData):
        if len(meta["inputs"]) != 1:
            raise RuntimeProblem("a streamed data set feeds a model with one input", code="E-usage")
        train, val, test, normalizer = prepare_stream(data, meta, val_split, test_split, standardize, onehot, _permute)
        return Prepared(train, val, test, normalizer, data_contract(data, meta, source))
    task = meta["task"]

    def clean(x: Any, y: np.ndarray, reshapeable: bool) -> tuple[Any, np.ndarray]:
        x = clean_inputs(x, meta["inputs"], reshapeable)
        y = check_targets(np.asarray(y), task, onehot)
        if count(x) != y.shape[0]:
            raise RuntimeProblem(
                f"{count(x)} input samples but {y.shape[0]} targets",
                help="inputs and targets must pair up one to one",
            )
        return x, y

    x, y = clean(data.x, data.y, data.reshapeable)
    order = _permute(len(y))
    if data.x_test is not None and data.y_test is not None:
        x_test, y_test = clean(data.x_test, data.y_test, data.reshapeable)
        x, y = take(x, order), y[order]
    else:
        n_test = round(len(y) * test_split)
        if n_test < 1 or len(y) - n_test < 2:
            raise RuntimeProblem(f"{len(y)} samples are too few to split off a test set", help="use more data")
        x_test, y_test = take(x, order[:n_test]), y[order[:n_test]]
        x, y = take(x, order[n_test:]), y[order[n_test:]]
    tensors = functools.partial(each, torch.from_numpy)
    if val_data is not None:
        xv, yv = clean(val_data.x, val_data.y, val_data.reshapeable)
        val: Split | None = Split(tensors(xv), torch.from_numpy(yv))
        n_val = 0
    else:
        n_val = round(len(y) * val_split)
        val = Split(tensors(take(x, slice(0, n_val))), torch.from_numpy(y[:n_val])) if n_val > 0 else None
    train = Split(tensors(take(x, slice(n_val, None))), torch.from_numpy(y[n_val:]))
    test = Split(tensors(x_test), torch.from_numpy(y_test))
    normalizer = fit_normalizer(train, task["kind"]) if standardize else Normalizer()
    for s in (train, val, test):
        if s is None:
            continue
        s.x = normalizer.inputs(s.x)
        if normalizer.y_mean is not None:
            s.y = (s.y - normalizer.y_mean) / normalizer.y_std
    return Prepared(train, val, test, normalizer, data_contract(data, meta, source))
