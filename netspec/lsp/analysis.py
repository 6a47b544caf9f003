"""One document's analysis, computed once per text and shared by every feature (hints, hover, rename...)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from netspec.compiler import Compilation, SourceFile, compile_source
from netspec.compiler.graph import Graph
from netspec.compiler.shapes import infer_types
from netspec.compiler.tensor_types import TensorType
from netspec.lsp.symbols import SymbolIndex, index_program


@dataclass
class Analysis:
    """The compilation of one text, plus what the editor features derive from it (computed on first use)."""

    source: SourceFile
    compilation: Compilation

    @property
    def graph(self) -> Graph | None:
        return self.compilation.graph

    @property
    def types(self) -> dict[str, TensorType]:
        return self._inferred[0]

    @property
    def params(self) -> dict[str, int]:
        return self._inferred[1]

    @cached_property
    def _inferred(self) -> tuple[dict[str, TensorType], dict[str, int]]:
        """Every node's type and parameter count; with errors, those of the nodes before them (shapes as you type)."""
        if self.compilation.checked is not None:
            return self.compilation.checked.types, self.compilation.checked.params
        if self.compilation.graph is None:
            return {}, {}
        types, params, _ = infer_types(self.compilation.graph)
        return types, params

    @cached_property
    def symbols(self) -> SymbolIndex:
        return index_program(self.compilation.program)


def analyze(text: str, name: str) -> Analysis:
    source = SourceFile(name, text)
    return Analysis(source, compile_source(source))
