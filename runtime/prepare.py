"""From a data set to validated, split, standardized tensors that match the spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from netspec.runtime.data import ArrayData, StreamData
from netspec.runtime.errors import RuntimeProblem
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


def prepare(
    data: ArrayData | StreamData,
    meta: dict[str, Any],
    *,
    val_split: float,
    test_split: float,
    standardize: bool,
    onehot: bool,
    source: dict[str, Any] | None = None,
) -> Prepared:
    if len(meta["inputs"]) != 1:
        raise RuntimeProblem("training from a data set needs a model with exactly one input", code="E-usage")
    if isinstance(data, StreamData):
        train, val, test, normalizer = prepare_stream(data, meta, val_split, test_split, standardize, onehot, _permute)
        return Prepared(train, val, test, normalizer, data_contract(data, meta, source))
    input_meta, task = meta["inputs"][0], meta["task"]

    def clean(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = check_inputs(shape_inputs(np.asarray(x), input_meta, data.reshapeable), input_meta)
        y = check_targets(np.asarray(y), task, onehot)
        if x.shape[0] != y.shape[0]:
            raise RuntimeProblem(
                f"{x.shape[0]} input samples but {y.shape[0]} targets",
                help="inputs and targets must pair up one to one",
            )
        return x, y

    x, y = clean(data.x, data.y)
    if data.x_test is not None and data.y_test is not None:
        x_test, y_test = clean(data.x_test, data.y_test)
        order = _permute(len(x))
        x, y = x[order], y[order]
    else:
        order = _permute(len(x))
        n_test = round(len(x) * test_split)
        if n_test < 1 or len(x) - n_test < 2:
            raise RuntimeProblem(f"{len(x)} samples are too few to split off a test set", help="use more data")
        x_test, y_test = x[order[:n_test]], y[order[:n_test]]
        x, y = x[order[n_test:]], y[order[n_test:]]
    n_val = round(len(x) * val_split)
    val = Split(torch.from_numpy(x[:n_val]), torch.from_numpy(y[:n_val])) if n_val > 0 else None
    train = Split(torch.from_numpy(x[n_val:]), torch.from_numpy(y[n_val:]))
    test = Split(torch.from_numpy(x_test), torch.from_numpy(y_test))
    normalizer = fit_normalizer(train, task["kind"]) if standardize else Normalizer()
    splits = [s for s in (train, val, test) if s is not None]
    for s in splits:
        s.x = normalizer.inputs(s.x) if s.x.is_floating_point() else s.x
        if normalizer.y_mean is not None:
            s.y = (s.y - normalizer.y_mean) / normalizer.y_std
    return Prepared(train, val, test, normalizer, data_contract(data, meta, source))
