"""The commands that need only the compiler: check, fmt, fix, ir, shapes, graph, layers, build and lsp (no torch)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from netspec.cli.output import (
    EXIT_ERRORS,
    EXIT_OK,
    UsageError,
    atomic_write,
    compile_spec,
    load_spec,
    non_negative_int,
    positive_int,
    report,
)
from netspec.compiler import CompileFailed, SourceFile, fix_source, parse, python_source

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


def cmd_fix(args: argparse.Namespace) -> int:
    import difflib

    remaining, changed = [], []
    for name in args.files:
        source, problem = load_spec(name)
        if problem is not None:
            remaining.append((source, [problem]))
            continue
        result = fix_source(source)
        if result.changed(source.text):
            changed.append(name)
            if args.diff:
                diff = difflib.unified_diff(
                    source.text.splitlines(keepends=True),
                    result.text.splitlines(keepends=True),
                    fromfile=f"a/{name}",
                    tofile=f"b/{name}",
                )
                # a last line without a newline gets one, and diff's own marker, as `diff -u` writes it
                sys.stdout.writelines(d if d.endswith("\n") else d + "\n\\ No newline at end of file\n" for d in diff)
            if not (args.diff or args.check):
                atomic_write(Path(name), result.text)
            verb = "would fix" if args.diff or args.check else "fixed"
            print(f"{verb} {name}: " + "; ".join(result.applied), file=sys.stderr)
        left = [d for d in result.diagnostics if d.is_error]
        if left and not args.check:
            remaining.append((SourceFile(name, result.text), left))
    code = report(remaining, "text") if remaining else EXIT_OK
    if args.check:
        return EXIT_ERRORS if changed else code
    return code


def cmd_ir(args: argparse.Namespace) -> int:
    source, problem = load_spec(args.file)
    program, diags = parse(source) if problem is None else (None, [problem])
    if program is None:
        return report([(source, diags)], args.format)
    print(program.model_dump_json(indent=2 if args.format == "json" else None))
    return EXIT_OK


def _cost_settings(args: argparse.Namespace):
    from netspec.compiler.cost import DTYPE_BYTES, dtype_name
    from netspec.compiler.summary import CostSettings

    dims: dict[str, int] = {}
    for text in args.dim or ():
        name, sep, value = text.partition("=")
        if not sep or not name.isidentifier() or not value.isdigit() or int(value) < 1:
            raise UsageError(f"--dim takes NAME=SIZE with a positive size, e.g. --dim T=128, not {text!r}")
        if name == "N":
            raise UsageError("N is the batch dimension: give it with --batch")
        dims[name] = int(value)
    dtype = None
    if args.dtype is not None:
        dtype = dtype_name(args.dtype)
        if dtype is None:
            raise UsageError(
                f"unknown --dtype {args.dtype!r}; one of bf16, fp16, fp32, fp64 or {', '.join(DTYPE_BYTES)}"
            )
    return CostSettings(batch=args.batch, dims=dims, dtype=dtype)


def cmd_shapes(args: argparse.Namespace) -> int:
    from netspec.compiler.summary import summary_json, summary_table

    settings = _cost_settings(args)
    result = compile_spec(args.file)
    if result.checked is None:
        return report([(result.source, result.diagnostics)], args.format)
    unknown = sorted(set(settings.dims) - _symbols(result.checked))
    if unknown:
        raise UsageError(f"--dim {unknown[0]}: the spec has no symbolic dimension {unknown[0]}")
    if args.format == "json":
        print(json.dumps(summary_json(result.checked, settings), indent=2))
    else:
        print(summary_table(result.checked, settings, args.depth))
        if result.diagnostics:
            report([(result.source, result.diagnostics)], "text")
    return EXIT_OK


def _symbols(checked) -> set[str]:
    from netspec.compiler.cost import free_symbols

    return free_symbols(checked)


PICTURE_SUFFIXES = (".svg", ".png", ".dot", ".mmd")


def cmd_graph(args: argparse.Namespace) -> int:
    from netspec.compiler.graph_picture import picture, to_dot, to_mermaid

    out = Path(args.output) if args.output not in (None, "-") else None
    if out is not None and out.suffix not in PICTURE_SUFFIXES:
        raise UsageError(f"-o {args.output}: the picture's suffix must be one of {', '.join(PICTURE_SUFFIXES)}")
    result = compile_spec(args.file)
    if result.checked is None:
        return report([(result.source, result.diagnostics)], "text")
    pic = picture(result.checked, collapse=args.collapse)
    if out is None:
        sys.stdout.write(to_mermaid(pic) if args.mermaid else to_dot(pic))
        return EXIT_OK
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix in (".dot", ".mmd"):
        atomic_write(out, to_dot(pic) if out.suffix == ".dot" else to_mermaid(pic))
    else:
        from netspec.compiler.picture_draw import draw  # matplotlib: only for the drawn formats

        tmp = out.with_name(f".{out.stem}.netc-tmp{out.suffix}")
        draw(pic, tmp)
        tmp.replace(out)
    print(f"wrote {out}", file=sys.stderr)
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


def cmd_lsp(args: argparse.Namespace) -> int:
    from netspec.lsp.server import main  # pygls is imported by this command only

    return main()


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

    fix = sub.add_parser("fix", help="apply the machine-applicable fixes of every diagnostic, until none apply")
    fix.add_argument("files", nargs="+", metavar="FILE")
    fix.add_argument("--diff", action="store_true", help="print the changes as a unified diff; write nothing")
    fix.add_argument("--check", action="store_true", help="exit 1 if any fix would apply; write nothing")
    fix.set_defaults(func=cmd_fix)

    ir_cmd = sub.add_parser("ir", help="print the spec's IR")
    ir_cmd.add_argument("file", metavar="FILE")
    ir_cmd.add_argument(
        "--json", dest="format", action="store_const", const="json", default="compact", help="indented JSON"
    )
    ir_cmd.set_defaults(func=cmd_ir)

    shapes = sub.add_parser("shapes", help="model summary: every layer's output shape and parameters")
    shapes.add_argument("file", metavar="FILE")
    shapes.add_argument("--format", choices=("text", "json"), default="text")
    shapes.add_argument("--batch", type=positive_int, default=1, help="batch size N for FLOPs and memory (default 1)")
    shapes.add_argument("--dim", action="append", metavar="NAME=SIZE", help="size of a symbolic dim, e.g. T=128")
    shapes.add_argument(
        "--dtype", help="compute dtype of floating tensors for memory: bf16, fp16, fp32 (default: declared)"
    )
    shapes.add_argument(
        "--depth", type=non_negative_int, help="show block uses K levels deep; deeper layers fold into their block"
    )
    shapes.set_defaults(func=cmd_shapes)

    graph = sub.add_parser("graph", help="picture of the layer graph: shapes on edges, blocks as clusters")
    graph.add_argument("file", metavar="FILE")
    graph.add_argument("-o", "--output", metavar="OUT", help="model.svg, .png, .dot or .mmd (default: DOT to stdout)")
    graph.add_argument("--collapse", action="store_true", help="draw each block use as one node")
    graph.add_argument("--mermaid", action="store_true", help="print Mermaid instead of DOT when writing to stdout")
    graph.set_defaults(func=cmd_graph)

    layers = sub.add_parser("layers", help="print the layer catalog (markdown)")
    layers.set_defaults(func=cmd_layers)

    build = sub.add_parser("build", help="emit the PyTorch module for a spec")
    build.add_argument("file", metavar="FILE")
    build.add_argument("-o", "--output", metavar="OUT.py", help="write here instead of stdout")
    build.set_defaults(func=cmd_build)

    lsp = sub.add_parser("lsp", help="run the language server (LSP over stdio) for editors")
    lsp.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    lsp.set_defaults(func=cmd_lsp)
