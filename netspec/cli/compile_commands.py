"""The commands that need only the compiler: check, fmt, ir, shapes, layers and build (no torch)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from netspec.cli.output import EXIT_ERRORS, EXIT_OK, UsageError, atomic_write, compile_spec, load_spec, report
from netspec.compiler import CompileFailed, parse, python_source

# folders a directory walk skips, as ruff does: version control, environments, caches
_SKIPPED = {".git", ".hg", ".svn", ".venv", "venv", "__pycache__", "node_modules", ".tox", ".nox", "build", "dist"}


def spec_files(names: list[str]) -> list[str]:
    """FILE arguments with each directory replaced by the .net files under it (recursively, sorted)."""
    files: list[str] = []
    for name in names:
        folder = Path(name)
        if not folder.is_dir():
            files.append(name)
            continue
        found = sorted(
            p
            for p in folder.rglob("*.net")
            if p.is_file()
            and not any(part in _SKIPPED or part.startswith(".") for part in p.relative_to(folder).parts[:-1])
        )
        if not found:
            raise UsageError(f"no .net files under {name}")
        files += [str(p) for p in found]
    return files


def cmd_check(args: argparse.Namespace) -> int:
    args.files = spec_files(args.files)
    results = []
    for name in args.files:
        result = compile_spec(name)
        results.append((result.source, result.diagnostics))
    code = report(results, args.format)
    if code == EXIT_OK and args.format == "text" and not args.quiet:
        print(f"ok: {len(args.files)} file{'s' * (len(args.files) != 1)} checked", file=sys.stderr)
    return code


def cmd_fmt(args: argparse.Namespace) -> int:
    from netspec.compiler.fmt import format_program

    changed, failures = [], []
    for name in spec_files(args.files):
        source, problem = load_spec(name)
        program, diags = parse(source) if problem is None else (None, [problem])
        if program is None:
            failures.append((source, diags))
            continue
        formatted = format_program(program, source)
        if args.stdout and not args.check:
            sys.stdout.write(formatted)
            continue
        if formatted == source.text:
            continue
        changed.append(name)
        if not args.check:
            atomic_write(Path(name), formatted)
    if failures:
        return report(failures, "text")
    for name in changed:
        print(f"{'would reformat' if args.check else 'reformatted'} {name}", file=sys.stderr)
    return EXIT_ERRORS if args.check and changed else EXIT_OK


def cmd_ir(args: argparse.Namespace) -> int:
    source, problem = load_spec(args.file)
    program, diags = parse(source) if problem is None else (None, [problem])
    if program is None:
        return report([(source, diags)], args.format)
    print(program.model_dump_json(indent=2 if args.format == "json" else None))
    return EXIT_OK


def cmd_shapes(args: argparse.Namespace) -> int:
    from netspec.compiler.summary import summary_json, summary_table

    result = compile_spec(args.file)
    if result.checked is None:
        return report([(result.source, result.diagnostics)], args.format)
    if args.format == "json":
        print(json.dumps(summary_json(result.checked), indent=2))
    else:
        print(summary_table(result.checked))
        if result.diagnostics:
            report([(result.source, result.diagnostics)], "text")
    return EXIT_OK


def cmd_layers(args: argparse.Namespace) -> int:
    from netspec.compiler.catalog.reference import layer_reference

    print(layer_reference(), end="")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    source, problem = load_spec(args.file)
    if problem is not None:
        return report([(source, [problem])], "text")
    try:
        result, code = python_source(source)
    except CompileFailed as failed:
        return report([(source, failed.diagnostics)], "text")
    if result.diagnostics:
        report([(source, result.diagnostics)], "text")
    if args.output in (None, "-"):
        sys.stdout.write(code)
    else:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, code)
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="check specs: syntax, names, shapes, task contract")
    check.add_argument("files", nargs="+", metavar="FILE", help="spec files, or folders searched for *.net")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("-q", "--quiet", action="store_true", help="print nothing when clean")
    check.set_defaults(func=cmd_check)

    fmt = sub.add_parser("fmt", help="rewrite specs in the canonical layout")
    fmt.add_argument("files", nargs="+", metavar="FILE", help="spec files, or folders searched for *.net")
    fmt.add_argument("--check", action="store_true", help="exit 1 if a file would change; write nothing")
    fmt.add_argument("--stdout", action="store_true", help="print the result instead of rewriting the file")
    fmt.set_defaults(func=cmd_fmt)

    ir_cmd = sub.add_parser("ir", help="print the spec's IR")
    ir_cmd.add_argument("file", metavar="FILE")
    ir_cmd.add_argument(
        "--json", dest="format", action="store_const", const="json", default="compact", help="indented JSON"
    )
    ir_cmd.set_defaults(func=cmd_ir)

    shapes = sub.add_parser("shapes", help="model summary: every layer's output shape and parameters")
    shapes.add_argument("file", metavar="FILE")
    shapes.add_argument("--format", choices=("text", "json"), default="text")
    shapes.set_defaults(func=cmd_shapes)

    layers = sub.add_parser("layers", help="print the layer catalog (markdown)")
    layers.set_defaults(func=cmd_layers)

    build = sub.add_parser("build", help="emit the PyTorch module for a spec")
    build.add_argument("file", metavar="FILE")
    build.add_argument("-o", "--output", metavar="OUT.py", help="write here instead of stdout")
    build.set_defaults(func=cmd_build)
