"""An import hook: once enabled, `foo.net` inside a package imports as module `foo`.

The generated source is cached next to the spec (`__pycache__/foo.netc-<hash>.py`, keyed by the
spec text), so a second import skips the compiler, and tracebacks point at a real file whose
comments name the spec line of each statement.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from netspec.compiler import SourceFile, python_source
from netspec.runtime.files import write_text_atomic

SUFFIX = ".net"


def cached_source_path(spec_path: Path) -> Path:
    digest = hashlib.sha256(spec_path.read_bytes()).hexdigest()[:16]
    return spec_path.parent / "__pycache__" / f"{spec_path.stem}.netc-{digest}.py"


def compile_to_cache(spec_path: Path) -> Path:
    """Compile once per spec text; write atomically so concurrent imports never see half a file."""
    target = cached_source_path(spec_path)
    if target.exists():
        return target
    source = SourceFile(str(spec_path), spec_path.read_text(encoding="utf-8"))
    _, code = python_source(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{spec_path.stem}.netc-*.py"):
        stale.unlink(missing_ok=True)
    write_text_atomic(target, code)
    return target


class NetFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path=None, target: ModuleType | None = None):
        name = fullname.rpartition(".")[2]
        for entry in path or sys.path:
            candidate = Path(entry or ".") / f"{name}{SUFFIX}"
            if candidate.is_file():
                # the cached .py is an ordinary source file: Python's own loader and bytecode cache take over
                return importlib.util.spec_from_file_location(fullname, compile_to_cache(candidate))
        return None


_FINDER = NetFinder()


def enable_import_hook() -> None:
    """Let `import foo` / `from pkg import foo` find `foo.net` (after regular Python modules)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)


def disable_import_hook() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
