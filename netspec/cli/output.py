"""What every command shares: exit codes, usage errors, diagnostics to the terminal, atomic writes."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from netspec.compiler import Compilation, Diagnostic, SourceFile, compile_source, read_source

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line use: exit code 2."""


def use_color(stream) -> bool:
    return stream.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"


def load_spec(path_text: str) -> tuple[SourceFile, Diagnostic | None]:
    """Read a spec named on the command line; a missing file or a directory is a usage error."""
    path = Path(path_text)
    if not path.exists():
        raise UsageError(f"no such file: {path_text}")
    if path.is_dir():
        raise UsageError(f"{path_text} is a directory; give a .net file")
    source, problem = read_source(path)
    assert source is not None or problem is not None
    return source or SourceFile(path_text, ""), problem


def compile_spec(path_text: str) -> Compilation:
    source, problem = load_spec(path_text)
    if problem is not None:
        result = Compilation(source)
        result.diagnostics = [problem]
        return result
    return compile_source(source)


def report(results: list[tuple[SourceFile, list[Diagnostic]]], fmt: str) -> int:
    """Print the diagnostics of one or more files; the exit code says whether any was an error."""
    everything = [(d, src) for src, diags in results for d in diags]
    if not everything and fmt != "json":
        return EXIT_OK
    from netspec.compiler.render import render_all_text, render_json, summary  # only when there is something to show

    if fmt == "json":
        print(render_json(everything))
    else:
        color = use_color(sys.stderr)
        for src, diags in results:
            if diags:
                print(render_all_text(diags, src, color), file=sys.stderr)
                print(file=sys.stderr)
        if everything:
            print(f"{summary([d for d, _ in everything])}", file=sys.stderr)
    return EXIT_ERRORS if any(d.is_error for d, _ in everything) else EXIT_OK


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.netc-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _bounded(kind: type, what: str, minimum: float, strict: bool):
    """An argparse type: a number of `kind` above (or at least) `minimum`; argparse turns the error into exit 2."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"{value} must be {'positive' if strict else f'at least {minimum}'}")
        return value

    return parse


positive_int = _bounded(int, "an integer", 0, strict=True)
positive_float = _bounded(float, "a number", 0, strict=True)
non_negative_int = _bounded(int, "an integer", 0, strict=False)
