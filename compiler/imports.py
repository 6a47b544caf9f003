"""Blocks from other files (`use "std/transformer.net"`, `from "blocks.net" use a, b`), found before names resolve.

Paths are relative to the spec's folder; `std/...` is the block library shipped in
netspec.grammar. Imported blocks keep their own file in their spans, so a shape error inside
one is reported at the spec line that uses the block, with the block's file and line in a note.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from netspec.compiler import ir
from netspec.compiler.build import build_program
from netspec.compiler.diagnostics import Diagnostic, Severity, error
from netspec.compiler.parser import parse_tree
from netspec.compiler.record import Record
from netspec.compiler.source import SourceFile, Span
from netspec.compiler.suggest import did_you_mean
from netspec.grammar import STD_PATH

STD_PREFIX = "std/"
MAX_DEPTH = 16


def display_name(path: str, spec_name: str) -> str:
    """How messages and generated comments name an imported file: `std/...`, or relative to the importing one."""
    if path.startswith(STD_PREFIX) or spec_name.startswith("<"):
        return path
    return os.path.normpath(os.path.join(os.path.dirname(spec_name), path))


def locate(name: str) -> Path:
    return STD_PATH / name[len(STD_PREFIX) :] if name.startswith(STD_PREFIX) else Path(name)


def _in_file(value: Any, file: str) -> Any:
    """The same IR with every span marked as lying in `file`."""
    if isinstance(value, Span):
        return value.model_copy(update={"file": file})
    if isinstance(value, Record):
        return value.model_copy(update={k: _in_file(getattr(value, k), file) for k in type(value).model_fields})
    if isinstance(value, tuple):
        return tuple(_in_file(v, file) for v in value)
    return value


class Importer:
    def __init__(self) -> None:
        self.sources: dict[str, SourceFile] = {}  # display name -> text, for notes quoting imported lines
        self.diags: list[Diagnostic] = []

    def blocks(self, program: ir.Program, spec_name: str, depth: int = 0) -> list[ir.BlockDef]:
        found: list[ir.BlockDef] = []
        for use in (i for i in program.items if isinstance(i, ir.UseDecl)):
            found += self.use(use, spec_name, depth)
        return found

    def use(self, use: ir.UseDecl, spec_name: str, depth: int) -> list[ir.BlockDef]:
        where = use.path_span
        name = display_name(use.path, spec_name)
        if depth >= MAX_DEPTH:
            self.diags.append(error("E-import", f"`use` nests more than {MAX_DEPTH} files deep", where))
            return []
        path = locate(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            std = sorted(p.name for p in STD_PATH.glob("*.net"))
            self.diags.append(
                error(
                    "E-import",
                    f"cannot read {use.path}: {getattr(exc, 'strerror', None) or type(exc).__name__}",
                    where,
                    label="no such block file" if isinstance(exc, FileNotFoundError) else "unreadable",
                    help=f"paths are relative to the spec's folder; the library has {', '.join('std/' + s for s in std)}",
                )
            )
            return []
        source = SourceFile(name, text)
        self.sources[name] = source
        tree, problems = parse_tree(source)
        if tree is None:
            first = problems[0]
            self.diags.append(
                error(
                    "E-import",
                    f"{use.path} does not parse: {first.message}",
                    where,
                    label="has a syntax error",
                    notes=(f"at {name}:{first.span.line}:{first.span.column}: {source.line_text(first.span.line)}",),
                )
            )
            return []
        imported = build_program(tree, source)
        blocks = [_in_file(b, name) for b in self.blocks(imported, name, depth + 1)]
        blocks += [_in_file(i, name) for i in imported.items if isinstance(i, ir.BlockDef)]
        if not use.names:
            return blocks
        by_name = {b.name: b for b in blocks}
        chosen = []
        for wanted, span in zip(use.names, use.name_spans, strict=True):
            if wanted not in by_name:
                self.diags.append(
                    error(
                        "E-import",
                        f"{use.path} has no block `{wanted}`",
                        span,
                        label="not in that file",
                        help=did_you_mean(wanted, list(by_name))
                        or f"it defines {', '.join(sorted(by_name)) or 'none'}",
                    )
                )
                continue
            chosen.append(by_name[wanted])
        # a chosen block may use others from its file: they come along, under their own names
        return chosen + [b for b in blocks if b.name not in use.names]

    def relocate(self, diag: Diagnostic, uses: list[ir.UseDecl]) -> Diagnostic | None:
        """A diagnostic inside an imported block, moved to the spec line using it, the inner place in a note."""
        if not diag.span.file:
            return diag
        if diag.severity is not Severity.ERROR:
            return None  # an imported file's own warnings (e.g. blocks this spec does not use) are its business
        inner = [diag.span, *(s.span for s in diag.secondary if s.span.file)]
        outer = [s for s in diag.secondary if not s.span.file]
        notes = tuple(self.quote(s) for s in inner)
        if outer:
            primary, rest = outer[-1], tuple(outer[:-1])
            return diag.model_copy(
                update={"span": primary.span, "label": diag.label or primary.message, "secondary": rest}
                | {"notes": (*notes, *diag.notes)}
            )
        anchor = uses[0].path_span if uses else Span.point(1, 1)
        return diag.model_copy(update={"span": anchor, "secondary": (), "notes": (*notes, *diag.notes)})

    def placed(self, diags: list[Diagnostic], program: ir.Program) -> list[Diagnostic]:
        """Every diagnostic located in the spec itself (see `relocate`)."""
        if not self.sources:
            return diags
        uses = [i for i in program.items if isinstance(i, ir.UseDecl)]
        return [d for d in (self.relocate(d, uses) for d in diags) if d is not None]

    def quote(self, span: Span) -> str:
        source = self.sources.get(span.file)
        text = source.line_text(span.line).strip() if source else ""
        return f"in {span.file}:{span.line}:{span.column}: {text}"


def with_imports(program: ir.Program, spec_name: str) -> tuple[ir.Program, Importer]:
    """The program with imported blocks placed before its own items (its own definitions come later)."""
    importer = Importer()
    blocks = importer.blocks(program, spec_name)
    if not blocks:
        return program, importer
    own = {i.name for i in program.items if isinstance(i, ir.BlockDef)}
    # a spec's own block of the same name replaces an imported one
    kept = tuple(b for b in blocks if b.name not in own)
    seen: set[str] = set()
    unique = []
    for block in kept:
        if block.name not in seen:
            seen.add(block.name)
            unique.append(block)
    return program.model_copy(update={"items": (*unique, *program.items)}), importer
