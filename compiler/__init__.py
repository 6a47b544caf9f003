"""The compiler's front door: spec text or file -> diagnostics, IR, checked graph or Python source.

Every caller (the command line, `netspec.load`, the import hook, tests, benchmarks) goes through
these functions; none of them writes out the stage order again. Never imports torch.
"""

from netspec.compiler.diagnostics import CompileFailed, Diagnostic
from netspec.compiler.fix import FixResult, apply_edits, fix_source
from netspec.compiler.pipeline import (
    Compilation,
    compile_file,
    compile_source,
    compile_text,
    parse,
    python_source,
    read_source,
)
from netspec.compiler.source import SourceFile

__all__ = [
    "Compilation",
    "CompileFailed",
    "Diagnostic",
    "FixResult",
    "SourceFile",
    "apply_edits",
    "compile_file",
    "compile_source",
    "compile_text",
    "fix_source",
    "parse",
    "python_source",
    "read_source",
]
