"""Pre-flight checks: data against the spec's input and the task's target contract, before step one."""

from __future__ import annotations

from typing import Any

import numpy as np
from netspec.runtime.errors import RuntimeProblem

# beyond this magnitude float32 statistics and losses overflow (squares pass float32's 3.4e38 once summed)
MAX_MAGNITUDE = 1e15


def _per_sample(spec_dims: list[Any]) -> list[Any]:
    return list(spec_dims[1:])


def shape_inputs(x: np.ndarray, input_meta: dict[str, Any], reshapeable: bool) -> np.ndarray:
    """Match x to the declared input; built-in data sets may be reshaped ([N, 64] -> [N, 1, 8, 8])."""
    dims = _per_sample(input_meta["shape"])
    name = input_meta["name"]
    declared = f"{input_meta['dtype']}[{', '.join(str(d) for d in input_meta['shape'])}]"
    if x.ndim == 0 or x.shape[0] == 0:
        raise RuntimeProblem("the data set is empty", help="check the data file or the data set name")
    if all(isinstance(d, int) for d in dims):
        if list(x.shape[1:]) == dims:
            return x
        if reshapeable and int(np.prod(x.shape[1:])) == int(np.prod(dims)):
            return x.reshape(x.shape[0], *dims)
    if x.ndim - 1 != len(dims):
        raise RuntimeProblem(
            f"input `{name}` is declared {declared}, but the data has shape {list(x.shape)} "
            f"({x.ndim - 1} dims per sample, not {len(dims)})",
            help="change the input declaration to match the data, or reshape the data",
        )
    check_size_limits(x, input_meta)
    for axis, (want, have) in enumerate(zip(dims, x.shape[1:], strict=True), start=1):
        if isinstance(want, int) and want != have:
            raise RuntimeProblem(
                f"input `{name}` dimension {axis} is {want} in the spec but {have} in the data (data shape {list(x.shape)})",
                help=f"declare `{name}: {input_meta['dtype']}[N, {', '.join(str(s) for s in x.shape[1:])}]` or fix the data",
            )
    return x


def check_inputs(x: np.ndarray, input_meta: dict[str, Any]) -> np.ndarray:
    dtype = input_meta["dtype"]
    if dtype.startswith(("int", "uint")):
        if not np.issubdtype(x.dtype, np.integer) and not np.all(np.mod(x, 1) == 0):
            raise RuntimeProblem(
                f"input `{input_meta['name']}` is declared {dtype} (token ids), but the data holds fractional values",
                help="declare the input as float32, or pass integer ids",
            )
        ids = x.astype(np.int64)
        _check_ids(ids, input_meta)
        return ids
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        index = np.argwhere(bad)[0]
        kind = "NaN" if np.isnan(x[tuple(index)]) else "inf"
        raise RuntimeProblem(
            f"the inputs contain {int(bad.sum())} NaN/inf values (first: {kind} in sample {index[0]})",
            help="drop or impute those samples before training",
        )
    _check_magnitude(x, f"input `{input_meta['name']}`")
    return x


def _check_magnitude(values: np.ndarray, what: str) -> None:
    peak = float(np.abs(values).max()) if values.size else 0.0
    if peak > MAX_MAGNITUDE:
        raise RuntimeProblem(
            f"{what} reaches {peak:.3g}, beyond what float32 training survives (about {MAX_MAGNITUDE:.0e}): "
            "the standardization and the loss would overflow to inf and nan",
            help="rescale the values (divide by a constant, or take a logarithm) before training",
        )


def _check_ids(ids: np.ndarray, input_meta: dict[str, Any]) -> None:
    """Token ids must index the embedding that reads them: 0 <= id < vocab (PyTorch fails mid-run otherwise)."""
    vocab = input_meta.get("vocab")
    if vocab is None or ids.size == 0:
        return
    bad = (ids < 0) | (ids >= vocab)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        low, high = int(ids.min()), int(ids.max())
        raise RuntimeProblem(
            f"input `{input_meta['name']}` holds token id {int(ids[first])} (sample {first[0]}, position "
            f"{list(first[1:])}), but its embedding has vocab={vocab}: ids must lie in 0..{vocab - 1}",
            notes=(f"{int(bad.sum())} ids are out of range; the ids range over {low}..{high}",),
            help=f"set vocab={high + 1} in the embedding, or map rare tokens to an id below {vocab}"
            if low >= 0
            else "negative ids are not token ids: map them to 0..vocab-1",
        )


def check_targets(y: np.ndarray, task: dict[str, Any], onehot: bool) -> np.ndarray:
    """Return targets in the task's exact dtype and shape, or explain what is wrong with them."""
    kind, k = task["kind"], task["outputs"]
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise RuntimeProblem(
            f"targets must be numbers, but they have dtype {y.dtype}", help="encode labels as integers 0..C-1"
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise RuntimeProblem("the targets contain NaN or inf", help="drop those samples")
    if kind == "multiclass" and task.get("layout", "sample") != "sample":
        return dense_class_ids(y, task)
    if kind == "multiclass":
        return _class_ids(y, k, onehot)
    if kind in ("binary", "multilabel"):
        y = y.reshape(-1, 1) if (y.ndim == 1 and k == 1) else y
        if y.ndim != 2 or y.shape[1] != k:
            raise RuntimeProblem(
                f"{kind} targets must have shape [N, {k}], but they have shape {list(y.shape)}",
                help="one 0/1 column per label" if kind == "multilabel" else "one 0/1 value per sample",
            )
        values = np.unique(y)
        if not np.all(np.isin(values, (0, 1))):
            shown = ", ".join(f"{v:g}" for v in values[:6])
            raise RuntimeProblem(
                f"{kind} targets must be 0 or 1, but they include {shown}",
                help="map the two classes to 0 and 1" if kind == "binary" else "use 0/1 indicators per label",
            )
        return y.astype(np.float32)
    # regression
    _check_magnitude(y.astype(np.float64), "a regression target")
    y = y.reshape(-1, 1) if (y.ndim == 1 and k == 1) else y
    if y.ndim != 2 or y.shape[1] != k:
        raise RuntimeProblem(
            f"regression(outputs={k}) needs targets of shape [N, {k}], but they have shape {list(y.shape)}",
            help=f"the task's outputs must equal the number of target columns ({y.shape[1] if y.ndim == 2 else 1})",
        )
    return y.astype(np.float32)


def _class_ids(y: np.ndarray, classes: int, onehot: bool) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == classes and np.all(np.isin(y, (0, 1))) and np.all(y.sum(axis=1) == 1):
        if onehot:
            return y.argmax(axis=1).astype(np.int64)
        raise RuntimeProblem(
            f"the targets are one-hot vectors [N, {classes}], but CrossEntropyLoss takes class ids [N]",
            help="pass `--targets onehot` to convert them to class ids, or store ids (y.argmax(1))",
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise RuntimeProblem(
            f"multiclass targets must be class ids of shape [N], but they have shape {list(y.shape)}",
            help="one integer class id per sample",
        )
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise RuntimeProblem(
            "multiclass targets must be integer class ids, but they hold fractional values",
            help="is this a regression task? then use `task regression(outputs=1)`",
        )
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= classes:
        raise RuntimeProblem(
            f"class ids must lie in 0..{classes - 1} for multiclass(classes={classes}), but they range over {low}..{high}",
            help=f"set classes={high + 1} in the task" if low >= 0 else "shift the labels to start at 0",
        )
    return y.astype(np.int64)


def dense_class_ids(y: np.ndarray, task: dict[str, Any]) -> np.ndarray:
    """Per-token [N, T] or per-pixel [N, H, W] class ids; `ignore_index` marks targets the loss skips."""
    classes, ignore, want = task["outputs"], task["ignore_index"], task["target_shape"]
    per = "token" if task["layout"] == "token" else "pixel"
    if y.ndim != len(want) or any(isinstance(d, int) and d != s for d, s in zip(want[1:], y.shape[1:], strict=False)):
        raise RuntimeProblem(
            f"multiclass per {per} needs targets of shape [{', '.join(str(d) for d in want)}] (one class id per {per}), "
            f"but they have shape {list(y.shape)}",
            help="one-hot targets must become ids first (y.argmax(-1))"
            if y.ndim == len(want) + 1
            else f"store one integer class id per {per}",
        )
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise RuntimeProblem(f"multiclass per {per} targets must be integer class ids, but they hold fractions")
    real = y[y != ignore]
    if real.size and (int(real.min()) < 0 or int(real.max()) >= classes):
        raise RuntimeProblem(
            f"class ids must lie in 0..{classes - 1} (or be {ignore}, the ignore_index), but they range over "
            f"{int(real.min())}..{int(real.max())}",
            help=f"set classes={int(real.max()) + 1} in the task, or mark padding with ignore_index={ignore}",
        )
    return y.astype(np.int64)


def check_size_limits(x: np.ndarray, input_meta: dict[str, Any]) -> None:
    """A symbolic size the model bounds (a position table's length) must fit the data."""
    limits = input_meta.get("max_sizes", {})
    for axis, (want, have) in enumerate(zip(input_meta["shape"][1:], x.shape[1:], strict=False), start=1):
        limit = limits.get(want) if isinstance(want, str) else None
        if limit is not None and have > limit["max"]:
            raise RuntimeProblem(
                f"input `{input_meta['name']}` dimension {axis} ({want}) is {have} in the data, but {limit['layer']} "
                f"holds {limit['max']} positions",
                help=f"raise {limit['arg']} to at least {have}, or use shorter sequences in the data",
            )
