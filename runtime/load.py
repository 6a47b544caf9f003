"""Compile a spec in-process and load the generated module: model class, loss factory and metadata."""

from __future__ import annotations

import linecache
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netspec.compiler import Compilation, CompileFailed, SourceFile, python_source, read_source
from torch import nn


@dataclass(frozen=True)
class LoadedSpec:
    model_class: type[nn.Module]
    make_loss: Callable[[], nn.Module]
    metadata: dict[str, Any]
    code: str
    module: types.ModuleType
    compilation: Compilation


def module_from_code(code: str, module_name: str, filename: str) -> types.ModuleType:
    """Execute generated code (built only from validated identifiers and repr literals) as a module."""
    module = types.ModuleType(module_name)
    module.__file__ = filename
    # register the text so that tracebacks through generated code show its lines
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    exec(compile(code, filename, "exec"), module.__dict__)
    return module


def load_source(source: SourceFile) -> LoadedSpec:
    result, code = python_source(source)
    assert result.checked is not None
    name = f"netc_generated_{result.checked.graph.model}"
    module = module_from_code(code, name, f"<netc:{source.name}>")
    model_class = getattr(module, module.METADATA["class_name"])
    return LoadedSpec(model_class, module.make_loss, module.METADATA, code, module, result)


def load(path: str | Path) -> LoadedSpec:
    """`netspec.load("model.net")`: compile without writing files. Raises CompileFailed on errors."""
    source, problem = read_source(Path(path))
    if problem is not None or source is None:
        raise CompileFailed([problem] if problem else [])
    return load_source(source)


def load_text(text: str, name: str = "<string>") -> LoadedSpec:
    return load_source(SourceFile(name, text))
