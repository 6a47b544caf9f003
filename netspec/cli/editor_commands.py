"""`netc lsp`: the language server for editors, over stdio (the import of pygls is paid only here)."""

from __future__ import annotations

import argparse


def cmd_lsp(args: argparse.Namespace) -> int:
    from netspec.lsp.server import main

    return main()


def register(sub: argparse._SubParsersAction) -> None:
    lsp = sub.add_parser("lsp", help="run the language server (LSP over stdio) for editors")
    lsp.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    lsp.set_defaults(func=cmd_lsp)
