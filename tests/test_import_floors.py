"""The house has floors: the CLI above the runtime above the compiler above the grammar; no import runs up or in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

# source folder -> the package it is installed as (pyproject.toml's package-dir)
PACKAGES = {
    "netspec": "netspec",
    "compiler": "netspec.compiler",
    "runtime": "netspec.runtime",
    "grammar": "netspec.grammar",
}
FLOORS = {
    "netspec.grammar": 0,
    "netspec.compiler": 1,
    "netspec.runtime": 2,
    # the editor tools stand beside the runtime: they read the compiler, never torch
    "netspec.lsp": 2,
    "netspec.vocabulary": 2,
    "netspec.pygments_lexer": 2,
    "netspec.cli": 3,
    "netspec.__main__": 4,
}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _floor(module: str) -> int:
    best = max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len, default=None)
    return FLOORS[best] if best else 0  # the package root imports nothing of ours


def _imports(path: Path, modules: dict[str, Path], top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "netspec"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "netspec":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in modules else node.module)
    return {m for m in out if m in modules}


def test_no_import_runs_up_a_floor():
    modules = _modules()
    upward = [
        f"{name} (floor {_floor(name)}) imports {target} (floor {_floor(target)})"
        for name, path in modules.items()
        for target in _imports(path, modules, top_level_only=False)
        if _floor(target) > _floor(name)
    ]
    assert upward == []


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph = {name: _imports(path, modules, top_level_only=False) - {name} for name, path in modules.items()}
    # a package's __init__ may import its own submodules; a submodule importing its package is the same edge back
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target] if target in trail else [node, target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_drawing_sees_every_floor():
    modules = _modules()
    assert {"netspec.cli", "netspec.runtime.cli", "netspec.compiler.pipeline", "netspec.grammar"} <= set(modules)
    assert _floor("netspec.runtime.cli") == 2 and _floor("netspec.cli.output") == 3
