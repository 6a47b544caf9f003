"""The VS Code extension folder: its TextMate grammar is current with the vocabulary and its manifest is whole."""

from __future__ import annotations

import json
import re
from pathlib import Path

from netspec import vocabulary
from netspec.cli import build_parser
from netspec.lsp.textmate import grammar_json, textmate_grammar
from tests.conftest import UPDATE

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"


def _patterns(node: object):
    if isinstance(node, dict):
        if "match" in node:
            yield node
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_textmate_grammar_file_is_current():
    """A new layer or keyword changes the grammar: NETC_UPDATE_SNAPSHOTS=1 rewrites the file (review the diff)."""
    path = VSCODE / "syntaxes" / "netspec.tmLanguage.json"
    if UPDATE:
        path.write_text(grammar_json())
    assert path.read_text() == grammar_json(), "stale: rerun with NETC_UPDATE_SNAPSHOTS=1"


def _scope_of(word: str) -> str | None:
    for rule in _patterns(textmate_grammar()["repository"]):
        found = re.search(rule["match"], word)
        if found and found.group() == word and "name" in rule:
            return rule["name"]
    return None


def test_every_layer_keyword_and_dtype_gets_its_scope():
    assert all(_scope_of(n) == "support.function.layer.netspec" for n in vocabulary.layer_names())
    assert all(_scope_of(k) == "keyword.control.netspec" for k in vocabulary.keywords() if k != "out")
    assert all(_scope_of(d) == "storage.type.dtype.netspec" for d in vocabulary.dtypes())
    assert _scope_of("# a comment") == "comment.line.number-sign.netspec"
    assert _scope_of("1e-3") == "constant.numeric.netspec"


def test_manifest_points_at_files_that_exist_and_starts_netc_lsp():
    manifest = json.loads((VSCODE / "package.json").read_text())
    (language,) = manifest["contributes"]["languages"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert language["extensions"] == [".net"] and grammar["language"] == language["id"]
    assert grammar["scopeName"] == textmate_grammar()["scopeName"]
    assert (VSCODE / grammar["path"]).is_file() and (VSCODE / language["configuration"]).is_file()
    assert (VSCODE / manifest["main"]).is_file()
    command = manifest["contributes"]["configuration"]["properties"]["netspec.server.command"]["default"]
    assert command == ["netc", "lsp"]
    build_parser().parse_args(command[1:])  # the subcommand the extension runs exists
    json.loads((VSCODE / "language-configuration.json").read_text())
