"""netspec: compile declarative .net model specs into checked PyTorch; `import netspec` is the one public namespace.

Importing this package is cheap and never imports torch: `netc check` runs through it. The runtime
(`load`, `fit`, ...) is imported on first use of one of its names.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

# In a source checkout (an editable install, a git worktree, the tests) the repository's fixed top-level
# folders `compiler/`, `runtime/` and `grammar/` are this package's subpackages; a wheel puts them under
# netspec/ instead (pyproject.toml's package-dir). Only a folder that is really this project is added.
_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "grammar" / "net.lark").is_file() and (_checkout / "compiler" / "pipeline.py").is_file():
    __path__.append(str(_checkout))

# public name -> the module that defines it (imported lazily: these need torch)
_LAZY = {
    "load": "netspec.runtime.load",
    "load_text": "netspec.runtime.load",
    "LoadedSpec": "netspec.runtime.load",
    "fit": "netspec.runtime.fit",
    "FitResult": "netspec.runtime.fit",
    "enable_import_hook": "netspec.runtime.importer",
    "disable_import_hook": "netspec.runtime.importer",
}


def _version() -> str:
    # importlib.metadata costs ~20 ms at start-up (a third of `netc check`'s own time): read it only when asked
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("netspec")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'netspec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "__version__", *_LAZY])


__all__ = ["__version__", *_LAZY]
