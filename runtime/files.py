"""Files a run writes: atomically (temp file + rename), with the user's umask, and write errors as messages."""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from netspec.runtime.errors import RuntimeProblem

TEMP_SUFFIX = ".tmp"


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """`write` fills a temporary file that replaces `path` only once it is complete and on disk.

    The file is created with mode 0o666 less the umask, as `open()` would (mkstemp's 0600 left run
    files unreadable to a team on a shared server). A failed write (a full disk, say) removes the
    temporary file, keeps the previous `path`, and becomes a message.
    """
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        raise RuntimeProblem(
            f"cannot write {path}: {exc.strerror or exc}",
            code="E-io",
            help="free space on that disk or pass --out DIR on another one"
            if full
            else "check that the folder exists and is writable",
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes | memoryview) -> None:
    write_atomic(path, lambda handle: handle.write(data))


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def remove_stale_temporaries(folder: Path) -> None:
    """A process killed mid-write leaves its temporary file behind; the file it was replacing is intact."""
    for tmp in folder.glob(f".*{TEMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
