"""Real data for training: built-in data sets, torchvision folders and files, as in-memory arrays."""

from __future__ import annotations

import csv
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from netspec.runtime.errors import RuntimeProblem

SKLEARN = {"digits", "iris", "wine", "breast_cancer", "diabetes"}
TORCHVISION = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "cifar10": "CIFAR10"}


@dataclass
class ArrayData:
    """Inputs and targets; `x_test`/`y_test` when the data set has its own test split."""

    name: str
    x: np.ndarray
    y: np.ndarray
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    # True when the layout of x is known (built-in sets), so it may be reshaped to the spec's input
    reshapeable: bool = False
    # the data contract a checkpoint keeps: column names in order, the target's name, the classes' names
    features: list[str] | None = None
    target: str | None = None
    classes: list[str] | None = None


@dataclass
class StreamData:
    """A data set read sample by sample (too large for memory): a torch Dataset and all its labels."""

    name: str
    dataset: Any  # torch.utils.data.Dataset returning (input tensor, label)
    targets: np.ndarray
    workers: int | None = None
    classes: list[str] | None = None


# data sets whose decoded inputs would take more memory than this are streamed
MEMORY_BUDGET_BYTES = 2 * 1024**3


def load_data(
    name: str,
    args: dict[str, Any],
    stream: bool = False,
    workers: int | None = None,
    inputs: list[str] | None = None,
) -> ArrayData | StreamData:
    """The named data set; `inputs` (the model's input names) lets an .npz hold one array per input."""
    if name in SKLEARN:
        return _sklearn(name)
    if name == "mnist1d":
        return _mnist1d(args.get("samples", 5000))
    if name in TORCHVISION:
        return _torchvision(name, str(args.get("root", "data")), bool(args.get("download", False)))
    if name == "csv":
        return load_csv(Path(args["path"]), args["target"])
    if name == "npz":
        return load_npz(Path(args["path"]), inputs)
    if name in ("text", "text_case"):
        from netspec.runtime.text import case_windows, text_windows

        make = text_windows if name == "text" else case_windows
        x, y, x_test, y_test = make(str(args.get("path", "")), int(args.get("length", 128)))
        return ArrayData(name=name, x=x, y=y, x_test=x_test, y_test=y_test)
    if name == "image_folder":
        return _image_folder(Path(args["path"]), args.get("size"), stream, workers)
    raise RuntimeProblem(f"unknown data set `{name}`", help="see docs/language.md, section train")


def data_from_flag(value: str, target: str | None) -> tuple[str, dict[str, Any]]:
    """`--data` accepts a built-in name or a file path (.npz, .csv)."""
    if value.endswith(".npz"):
        return "npz", {"path": value}
    if value.endswith(".csv"):
        if not target:
            raise RuntimeProblem("--data FILE.csv needs --target COLUMN", code="E-usage", help="e.g. --target label")
        return "csv", {"path": value, "target": target}
    if Path(value).is_dir():
        return "image_folder", {"path": value}
    known = sorted(SKLEARN | set(TORCHVISION) | {"mnist1d"})
    if value not in known:
        raise RuntimeProblem(
            f"unknown data set `{value}`",
            code="E-usage",
            help=f"use a file (.npz, .csv, a folder) or one of {', '.join(known)}",
        )
    return value, {}


def _sklearn(name: str) -> ArrayData:
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    classes = [str(c) for c in bunch.target_names] if "target_names" in bunch else None
    features = [str(f) for f in bunch.feature_names] if "feature_names" in bunch else None
    return ArrayData(
        name, bunch.data.astype(np.float32), bunch.target, reshapeable=True, features=features, classes=classes
    )


def _mnist1d(samples: int) -> ArrayData:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = samples
    data = make_dataset(args)  # generated offline from templates; no download
    return ArrayData(
        "mnist1d",
        data["x"].astype(np.float32),
        data["y"],
        data["x_test"].astype(np.float32),
        data["y_test"],
        reshapeable=True,
    )


def _require_torchvision(what: str) -> None:
    import importlib.util

    if importlib.util.find_spec("torchvision") is None:
        raise RuntimeProblem(
            f"{what} needs torchvision, which is not installed", code="E-usage", help="pip install 'netspec[vision]'"
        )


def _torchvision(name: str, root: str, download: bool) -> ArrayData:
    _require_torchvision(f"the data set `{name}`")
    from torchvision import datasets

    cls = _local_cifar10() if name == "cifar10" else getattr(datasets, TORCHVISION[name])
    try:
        train = cls(root, train=True, download=download)
        test = cls(root, train=False, download=download)
    except RuntimeError as exc:
        raise RuntimeProblem(
            f"{TORCHVISION[name]} not found under {root!r}: {exc}",
            help=f"put the files under {root}/ (see torchvision's {TORCHVISION[name]} layout) or set download=true where a network exists",
        ) from None
    return ArrayData(
        name,
        _images(train.data),
        np.asarray(train.targets),
        _images(test.data),
        np.asarray(test.targets),
        reshapeable=True,
        classes=[str(c) for c in getattr(train, "classes", [])] or None,
    )


def _local_cifar10():
    """torchvision's CIFAR10, accepting batch files whose checksums differ from the official release
    (a local subset or re-export in the same format) with a warning instead of 'not found'."""
    import warnings

    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import check_integrity

    class LocalCIFAR10(CIFAR10):
        meta: ClassVar[dict[str, Any]] = {**CIFAR10.meta, "md5": None}  # batches.meta: present is enough

        def _check_integrity(self) -> bool:
            root = Path(self.root) / self.base_folder
            files = [*self.train_list, *self.test_list]
            if not all((root / name).is_file() for name, _ in files):
                return False
            if not all(check_integrity(str(root / name), md5) for name, md5 in files):
                warnings.warn(f"CIFAR-10 files under {root} differ from the official release (checksums)", stacklevel=2)
            return True

    return LocalCIFAR10


def _images(data: Any) -> np.ndarray:
    array = data.numpy() if hasattr(data, "numpy") else np.asarray(data)
    array = array.astype(np.float32) / 255.0
    if array.ndim == 3:  # [N, H, W] grayscale
        return array[:, None]
    return array.transpose(0, 3, 1, 2)  # CIFAR: [N, H, W, C] -> [N, C, H, W]


def load_npz(path: Path, inputs: list[str] | None = None) -> ArrayData:
    if not path.is_file():
        raise RuntimeProblem(f"no such file: {path}", code="E-usage")
    if path.stat().st_size == 0:
        raise RuntimeProblem(f"{path} is empty (0 bytes)", help="save it with np.savez(path, x=inputs, y=targets)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):  # a bare .npy saved under an .npz name
                raise ValueError("it holds one array, not named arrays")
            # one input: `x` (or the input's name); several: one array named after each input
            names = inputs or ["x"]
            by_input = len(names) > 1 or ("x" not in archive.files and names[0] in archive.files)
            wanted = [*(names if by_input else ["x"]), "y"]
            missing = [k for k in wanted if k not in archive]
            if missing:
                saved = ", ".join(f"{n}=..." for n in wanted[:-1])
                raise RuntimeProblem(
                    f"{path} has no array {' or '.join(repr(m) for m in missing)} (it has {_names(archive.files)})",
                    help=f"save it with np.savez(path, {saved}, y=targets)",
                )
            x = {n: archive[n] for n in names} if len(names) > 1 else archive[wanted[0]]
            return ArrayData(path.name, x, archive["y"])
    except (ValueError, OSError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        # the reason in numpy's words, never the file's content
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise RuntimeProblem(
            f"cannot read {path} as .npz ({reason})", help="save it with np.savez(path, x=inputs, y=targets)"
        ) from None


def _names(names: list[str], limit: int = 10) -> str:
    """Names found in a data file, as a message may show them: a few, each cut short."""
    if not names:
        return "nothing"
    shown = ", ".join(repr(_cut(n)) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _cut(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_csv(path: Path, target: str) -> ArrayData:
    if not path.exists():
        raise RuntimeProblem(f"no such file: {path}", code="E-usage")
    rows, header = _read_csv(path, target)
    t = header.index(target)
    x = [[v for i, v in enumerate(r) if i != t] for r in rows]
    y = [r[t] for r in rows]
    features = [h for i, h in enumerate(header) if i != t]
    x_array = np.asarray(x, dtype=np.float32).reshape(len(rows), len(header) - 1)
    return ArrayData(path.name, x_array, np.asarray(y), features=features, target=target)


def read_csv_table(path: Path) -> tuple[np.ndarray, list[str]]:
    """A CSV file of numbers and its header (the column names)."""
    if not path.is_file():
        raise RuntimeProblem(f"no such file: {path}", code="E-usage")
    rows, header = _read_csv(path)
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), len(header)), header


def _require_column(path: Path, header: list[str], target: str) -> None:
    if target in header:
        return
    if len(header) < 2:  # one "column": not a comma-separated table; show nothing of its text
        raise RuntimeProblem(
            f"{path} has no column {target!r}: its first line holds no comma-separated column names",
            help="the first line of a CSV file names the columns, separated by commas",
        )
    raise RuntimeProblem(f"{path} has no column {target!r}", help=f"columns: {_names(header)}")


def _read_csv(path: Path, target: str | None = None) -> tuple[list[list[float]], list[str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise RuntimeProblem(f"{path} is empty", help="the first line names the columns")
            if target is not None:
                _require_column(path, header, target)
            rows = []
            for line_no, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) != len(header):
                    raise RuntimeProblem(
                        f"{path}:{line_no}: {len(row)} values, but the header has {len(header)} columns"
                    )
                try:
                    rows.append([float(v) for v in row])
                except ValueError:
                    bad = next(i for i, v in enumerate(row) if not _is_number(v))
                    raise RuntimeProblem(
                        f"{path}:{line_no}: column {_cut(header[bad])!r} holds {_cut(row[bad])!r}, which is not a number",
                        help="encode categories as numbers before training",
                    ) from None
    except UnicodeDecodeError:
        raise RuntimeProblem(f"{path} is not UTF-8 text") from None
    return rows, header


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _image_folder(path: Path, size: Any, stream: bool, workers: int | None) -> ArrayData | StreamData:
    _require_torchvision("image_folder")
    from torchvision import datasets, transforms

    if not path.is_dir():
        raise RuntimeProblem(f"no such folder: {path}", code="E-usage")
    steps = [transforms.Resize(tuple(size))] if size else []
    try:
        folder = datasets.ImageFolder(str(path), transform=transforms.Compose([*steps, transforms.ToTensor()]))
    except (FileNotFoundError, RuntimeError) as exc:
        raise RuntimeProblem(f"{path} holds no images: {exc}", help="one sub-folder per class, images inside") from None
    first, _ = folder[0]
    if stream or len(folder) * first.numel() * 4 > MEMORY_BUDGET_BYTES:
        return StreamData(path.name, folder, np.asarray(folder.targets), workers, classes=list(folder.classes))
    xs, ys = zip(*(folder[i] for i in range(len(folder))), strict=True)
    shapes = {tuple(x.shape) for x in xs}
    if len(shapes) > 1:
        raise RuntimeProblem(
            f"images in {path} have different sizes {sorted(shapes)[:3]}", help="give image_folder(path, size=[H, W])"
        )
    return ArrayData(path.name, np.stack([x.numpy() for x in xs]), np.asarray(ys), classes=list(folder.classes))
