"""Real text that every machine has: a byte-level corpus as (input, next-byte) windows for language models.

The built-in corpus is the Python reference manual's topic pages that CPython ships as
`pydoc_data.topics` (about 465,000 bytes of English prose and code, 103 distinct characters):
part of the standard library, so it is present wherever the project runs, offline, with no
download and no extra package. Bytes (vocab 256) rather than characters keep the token ids
the same on every Python version and for any user's UTF-8 file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from netspec.runtime.errors import RuntimeProblem

VOCAB = 256
VALIDATION_SHARE = 0.1  # the corpus's last tenth: held out as one contiguous piece, never seen in training


def builtin_corpus() -> bytes:
    from pydoc_data.topics import topics

    return "".join(topics[key] for key in sorted(topics)).encode("utf-8")


def read_corpus(path: str) -> bytes:
    if not path:
        return builtin_corpus()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise RuntimeProblem(f"cannot read the text file {path}: {exc.strerror}", help="check the path") from None


def windows(data: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows: x = bytes i..i+L-1, y = bytes i+1..i+L (the next byte at every position)."""
    count = (len(data) - 1) // length
    if count < 1:
        raise RuntimeProblem(
            f"the text has {len(data)} bytes, too few for one window of {length} + 1", help="use a shorter length"
        )
    x = data[: count * length].reshape(count, length)
    y = data[1 : count * length + 1].reshape(count, length)
    return x.astype(np.int64), y.astype(np.int64)


Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x, y, x_test, y_test


def text_windows(path: str, length: int) -> Arrays:
    data = np.frombuffer(read_corpus(path), dtype=np.uint8)
    cut = int(len(data) * (1 - VALIDATION_SHARE))
    x, y = windows(data[:cut], length)
    x_test, y_test = windows(data[cut:], length)
    return x, y, x_test, y_test


def case_windows(path: str, length: int) -> Arrays:
    """A tagging task from the same text: read it lower-cased, tag every byte 1 if it was a capital letter."""
    data = np.frombuffer(read_corpus(path), dtype=np.uint8)
    lower = np.frombuffer(bytes(data).lower(), dtype=np.uint8)
    capital = (lower != data).astype(np.int64)
    cut = int(len(data) * (1 - VALIDATION_SHARE))
    count, test_count = cut // length, (len(data) - cut) // length

    def tile(a: np.ndarray, start: int, n: int) -> np.ndarray:
        return a[start : start + n * length].reshape(n, length).astype(np.int64)

    return tile(lower, 0, count), tile(capital, 0, count), tile(lower, cut, test_count), tile(capital, cut, test_count)


def encode(text: str) -> list[int]:
    return list(text.encode("utf-8"))


def decode(ids: list[int]) -> str:
    return bytes(ids).decode("utf-8", errors="replace")
