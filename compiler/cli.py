"""The `netc` command line: check, fmt, ir, shapes, build, train, eval, predict."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from compiler.diagnostics import Diagnostic
from compiler.pipeline import Compilation, compile_source, parse, read_source
from compiler.source import SourceFile

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line use: exit code 2."""


def _color(stream) -> bool:
    return stream.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"


def _load(path_text: str) -> tuple[SourceFile, Diagnostic | None]:
    path = Path(path_text)
    if not path.exists():
        raise UsageError(f"no such file: {path_text}")
    if path.is_dir():
        raise UsageError(f"{path_text} is a directory; give a .net file")
    source, problem = read_source(path)
    assert source is not None or problem is not None
    return source or SourceFile(path_text, ""), problem


def _report(results: list[tuple[SourceFile, list[Diagnostic]]], fmt: str) -> int:
    everything = [(d, src) for src, diags in results for d in diags]
    if not everything and fmt != "json":
        return EXIT_OK
    from compiler.render import render_all_text, render_json, summary  # only when there is something to show

    if fmt == "json":
        print(render_json(everything))
    else:
        color = _color(sys.stderr)
        for src, diags in results:
            if diags:
                print(render_all_text(diags, src, color), file=sys.stderr)
                print(file=sys.stderr)
        if everything:
            print(f"{summary([d for d, _ in everything])}", file=sys.stderr)
    return EXIT_ERRORS if any(d.is_error for d, _ in everything) else EXIT_OK


def compile_file(path_text: str) -> Compilation:
    source, problem = _load(path_text)
    if problem is not None:
        result = Compilation(source)
        result.diagnostics = [problem]
        return result
    return compile_source(source)


def cmd_check(args: argparse.Namespace) -> int:
    results = []
    for name in args.files:
        result = compile_file(name)
        results.append((result.source, result.diagnostics))
    code = _report(results, args.format)
    if code == EXIT_OK and args.format == "text" and not args.quiet:
        print(f"ok: {len(args.files)} file{'s' * (len(args.files) != 1)} checked", file=sys.stderr)
    return code


def cmd_fmt(args: argparse.Namespace) -> int:
    from compiler.fmt import format_program

    changed, failures = [], []
    for name in args.files:
        source, problem = _load(name)
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
            _atomic_write(Path(name), formatted)
    if failures:
        return _report(failures, "text")
    for name in changed:
        print(f"{'would reformat' if args.check else 'reformatted'} {name}", file=sys.stderr)
    return EXIT_ERRORS if args.check and changed else EXIT_OK


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.netc-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def cmd_ir(args: argparse.Namespace) -> int:
    source, problem = _load(args.file)
    program, diags = parse(source) if problem is None else (None, [problem])
    if program is None:
        return _report([(source, diags)], args.format)
    print(program.model_dump_json(indent=2 if args.format == "json" else None))
    return EXIT_OK


def cmd_shapes(args: argparse.Namespace) -> int:
    from compiler.summary import summary_json, summary_table

    result = compile_file(args.file)
    if result.checked is None:
        return _report([(result.source, result.diagnostics)], args.format)
    if args.format == "json":
        print(json.dumps(summary_json(result.checked), indent=2))
    else:
        print(summary_table(result.checked))
        if result.diagnostics:
            _report([(result.source, result.diagnostics)], "text")
    return EXIT_OK


def cmd_layers(args: argparse.Namespace) -> int:
    from compiler.catalog.reference import layer_reference

    print(layer_reference(), end="")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netc", description="Compile .net model specs into checked PyTorch code.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="check specs: syntax, names, shapes, task contract")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("-q", "--quiet", action="store_true", help="print nothing when clean")
    check.set_defaults(func=cmd_check)

    fmt = sub.add_parser("fmt", help="rewrite specs in the canonical layout")
    fmt.add_argument("files", nargs="+", metavar="FILE")
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

    from compiler.cli_commands import add_runtime_commands

    add_runtime_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return int(exc.code or 0) and EXIT_USAGE
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"netc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # an output path that cannot be written: the user's flag, not a crash
        where = f": {exc.filename}" if exc.filename else ""
        print(f"netc: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("netc: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
