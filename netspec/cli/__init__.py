"""The `netc` command line: it sits above the compiler and the runtime and imports each explicitly."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import netspec
from netspec.cli import compile_commands, run_commands
from netspec.cli.output import EXIT_OK, EXIT_USAGE, UsageError


class _Version(argparse.Action):
    """`--version`, reading the installed version only when asked (it costs start-up time otherwise)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object, option=None):
        print(f"netc {netspec.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netc", description="Compile .net model specs into checked PyTorch code.")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compile_commands.register(sub)
    run_commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return int(exc.code or 0) and EXIT_USAGE
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers, not in the interpreter's exit
        return code
    except UsageError as exc:
        print(f"netc: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `netc ... | head` closed the pipe: stop quietly, as cat does
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:  # an output path that cannot be written: the user's flag, not a crash
        where = f": {exc.filename}" if exc.filename else ""
        print(f"netc: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("netc: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not report the broken pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
