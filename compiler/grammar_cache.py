"""Where lark may cache the parsed grammar: a private per-user folder, never a shared temporary one.

lark's cache is a pickle, and loading a pickle runs code; its default place (`cache=True`) is a predictable
file name in the system's temporary folder, where another user could plant one. netc caches only in a
folder the current user owns and nobody else can write to, and parses the grammar afresh otherwise.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path


def _cache_root() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "netspec" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "netspec"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "netspec"


def _private(folder: Path) -> bool:
    """The folder is a real directory owned by this user that no one else may write to."""
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode):
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def grammar_cache(tag: str) -> str | bool:
    """A cache file path for this grammar `tag`, or False (no caching) where no private folder can be had.

    `NETC_CACHE_DIR` overrides the folder; `NETC_NO_CACHE=1` turns caching off.
    """
    if os.environ.get("NETC_NO_CACHE"):
        return False
    folder = Path(os.environ.get("NETC_CACHE_DIR") or _cache_root())
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return False
    except OSError:
        return False
    name = f"grammar-{tag}-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache"
    return str(folder / name)
