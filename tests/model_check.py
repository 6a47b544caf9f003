"""The whole-model check: a spec's generated module is exactly the spec, with PyTorch as the judge.

Used by the defect regression tests and by the whole-model oracle: build the module, import it,
run it forward and backward, and compare shapes, parameter counts and module ownership with what
the compiler reported.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from netspec.compiler import python_source
from netspec.compiler.pipeline import Compilation
from netspec.compiler.source import SourceFile
from netspec.compiler.summary import summary_json
from netspec.runtime.importer import disable_import_hook, enable_import_hook
from netspec.runtime.load import load_text
from torch import nn

from tests.oracle import random_input

BATCH = 3
SYMBOL_SIZE = 5


@dataclass
class ModelReport:
    """What one spec's module turned out to be."""

    code: str
    total_params: int
    stateful_layers: int
    output_shape: tuple[int, ...]


def build(text: str, name: str = "spec.net") -> tuple[Compilation, str]:
    """Compile through the front door; fails the test with the diagnostics if the spec does not build."""
    result, code = python_source(SourceFile(name, text))
    assert result.ok and result.checked is not None, [d.message for d in result.diagnostics if d.is_error]
    return result, code


def _concrete(shape: list[int | str]) -> tuple[int, ...]:
    return tuple(BATCH if d == "N" else (SYMBOL_SIZE if isinstance(d, str) else d) for d in shape)


def stateful_layers(result: Compilation) -> int:
    """Layers of the spec that own parameters: each must be its own module in the generated code."""
    assert result.checked is not None
    return sum(1 for node in result.checked.graph.nodes if result.checked.params.get(node.id, 0) > 0)


def owned_modules(model: nn.Module) -> int:
    """Distinct modules holding parameters of their own (a module reached twice is counted once)."""
    return sum(1 for m in model.modules() if any(True for _ in m.parameters(recurse=False)))


def check_model(model_class: type[nn.Module], metadata: dict, result: Compilation, code: str) -> tuple[int, ...]:
    """Instantiate, count, run forward and backward in eval and train mode; return the output shape."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: thread start-up and contention cost more than the work
    try:
        return _check_model(model_class, metadata, result)
    finally:
        torch.set_num_threads(threads)


def _check_model(model_class: type[nn.Module], metadata: dict, result: Compilation) -> tuple[int, ...]:
    assert result.checked is not None
    summary = summary_json(result.checked)
    model = model_class()
    params = list(model.parameters())
    every = [p for _, p in model.named_parameters(remove_duplicate=False)]
    assert len(every) == len(params), "a parameter is reachable twice: two statements share a module"
    total = sum(p.numel() for p in params)
    assert total == summary["total_params"] == metadata["total_params"], (total, summary["total_params"])
    doc = re.search(r": ([\d,]+) parameters\.", model_class.__doc__ or "")
    assert doc is not None and int(doc.group(1).replace(",", "")) == total, model_class.__doc__
    assert owned_modules(model) == stateful_layers(result), "a stateful layer of the spec has no module of its own"
    inputs = [random_input(i["dtype"], _concrete(i["shape"])) for i in metadata["inputs"]]
    want = _concrete(summary["output_shape"])  # what `netc shapes` reports
    shape: tuple[int, ...] = ()
    for train in (False, True):
        model.train(train)
        model.zero_grad()
        out = model(*inputs)
        shape = tuple(out.shape)
        assert shape == want, (shape, want)
        if params:
            out.float().sum().backward()
            assert all(p.grad is not None for p in params if p.requires_grad), "a parameter got no gradient"
    return shape


def check_text(text: str, tmp_path: Path, name: str = "spec") -> ModelReport:
    """Build once and check the module imported three ways: written file, load_text, the import hook."""
    result, code = build(text, f"{name}.net")
    again = build(text, f"{name}.net")[1]
    assert code == again, "the build is not deterministic"
    compile(code, f"{name}.py", "exec")
    # 1. the written file, imported like any module
    path = tmp_path / f"{name}_gen.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(f"{name}_gen_{id(path)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shape = check_model(getattr(module, module.METADATA["class_name"]), module.METADATA, result, code)
    # 2. compiled in-process
    loaded = load_text(text, f"{name}.net")
    assert loaded.code == code
    check_model(loaded.model_class, loaded.metadata, result, code)
    # 3. the import hook: `import name` finds name.net on sys.path
    hooked = _import_with_hook(text, tmp_path, name)
    check_model(getattr(hooked, hooked.METADATA["class_name"]), hooked.METADATA, result, code)
    assert result.checked is not None
    return ModelReport(code, result.checked.total_params, stateful_layers(result), shape)


def _import_with_hook(text: str, tmp_path: Path, name: str):
    folder = tmp_path / f"hook_{name}"
    folder.mkdir(exist_ok=True)
    module_name = f"{name}_hooked"
    (folder / f"{module_name}.net").write_text(text)
    enable_import_hook()
    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop(module_name, None)
        importlib.invalidate_caches()
        return importlib.import_module(module_name)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(module_name, None)
        disable_import_hook()
