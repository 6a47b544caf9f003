"""The TextMate grammar for editors (VS Code, and any editor reading .tmLanguage.json), built from the vocabulary.

editors/vscode/syntaxes/netspec.tmLanguage.json is this function's output; tests/test_editor.py keeps the
file current, so a new keyword or layer is highlighted once the file is regenerated (`NETC_UPDATE_SNAPSHOTS=1
pytest tests/test_editor.py`, or `python -m netspec.lsp.textmate > editors/vscode/syntaxes/netspec.tmLanguage.json`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from netspec import vocabulary

SCOPE = "source.netspec"


def _words(names: Iterable[str]) -> str:
    return r"\b(?:" + "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))) + r")\b"


def textmate_grammar() -> dict[str, Any]:
    keywords = [k for k in vocabulary.keywords() if k != "out"]
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "netspec",
        "scopeName": SCOPE,
        "fileTypes": ["net"],
        "patterns": [
            {"include": "#comment"},
            {"include": "#string"},
            {"include": "#number"},
            {"include": "#block-head"},
            {"include": "#declaration"},
            {"include": "#keyword"},
            {"include": "#word"},
            {"include": "#operator"},
        ],
        "repository": {
            "comment": {"name": "comment.line.number-sign.netspec", "match": "#.*$"},
            "string": {
                "patterns": [
                    {"name": "string.quoted.double.netspec", "match": r'"(?:[^"\\]|\\.)*"?'},
                    {"name": "string.quoted.single.netspec", "match": r"'(?:[^'\\]|\\.)*'?"},
                ]
            },
            "number": {
                "name": "constant.numeric.netspec",
                "match": r"\b(?:\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)\b|(?<![\w.])\.\d+(?:[eE][+-]?\d+)?",
            },
            "block-head": {
                "match": r"^\s*(block)\s+([A-Za-z_]\w*)",
                "captures": {"1": {"name": "keyword.control.netspec"}, "2": {"name": "entity.name.function.netspec"}},
            },
            "declaration": {
                "match": r"^\s*(model|input)\s+([A-Za-z_]\w*)",
                "captures": {"1": {"name": "keyword.control.netspec"}, "2": {"name": "entity.name.type.netspec"}},
            },
            "keyword": {
                "patterns": [
                    {"name": "keyword.control.netspec", "match": _words(keywords)},
                    {"name": "keyword.other.output.netspec", "match": r"^\s*out\b"},
                    {"name": "constant.language.netspec", "match": _words(vocabulary.CONSTANTS)},
                    {"name": "variable.language.netspec", "match": r"\bin\b"},
                ]
            },
            "word": {
                "patterns": [
                    {"name": "storage.type.dtype.netspec", "match": _words(vocabulary.dtypes())},
                    {"name": "support.function.layer.netspec", "match": _words(vocabulary.layer_names())},
                    {"name": "support.class.task.netspec", "match": _words(vocabulary.task_kinds())},
                    {"name": "variable.other.setting.netspec", "match": r"^\s*" + _words(vocabulary.settings())},
                    {"name": "support.constant.netspec", "match": _words(vocabulary.train_choices())},
                    {
                        "match": r"\b([A-Za-z_]\w*)\s*(=)(?!=)",
                        "captures": {
                            "1": {"name": "variable.parameter.netspec"},
                            "2": {"name": "keyword.operator.assignment.netspec"},
                        },
                    },
                ]
            },
            "operator": {
                "patterns": [
                    {"name": "keyword.operator.arrow.netspec", "match": "->"},
                    {"name": "keyword.operator.netspec", "match": r"[-+*/:]"},
                    {"name": "punctuation.separator.netspec", "match": ","},
                ]
            },
        },
    }


def grammar_json() -> str:
    return json.dumps(textmate_grammar(), indent=2) + "\n"


if __name__ == "__main__":
    print(grammar_json(), end="")
