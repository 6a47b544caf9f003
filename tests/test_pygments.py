"""The Pygments lexer: registered as an entry point, and every shipped spec and test case lexes without errors."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest
from pygments.token import Error, Keyword, Name, Number, Operator

from netspec import vocabulary
from netspec.pygments_lexer import NetspecLexer

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "specs").glob("*.net")) + sorted((ROOT / "tests" / "cases").rglob("*.net"))


def test_entry_point_names_the_lexer():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = project["project"]["entry-points"]["pygments.lexers"]["netspec"]
    module, _, attr = target.partition(":")
    assert getattr(importlib.import_module(module), attr) is NetspecLexer


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_lexes_without_error_tokens(path: Path):
    text = path.read_bytes().decode("utf-8", errors="replace")
    tokens = list(NetspecLexer().get_tokens(text))
    assert [t for t in tokens if t[0] in Error] == []
    assert "".join(value for _, value in tokens) == (text if text.endswith("\n") else text + "\n")


def test_words_get_their_classes():
    text = "block down(c):\n    y = in -> conv2d(c, 3, stride=2, bias=false) -> relu : [N, 8, 4, 4]\n"
    text += "model M\ninput x: float32[N, 1e-3]\ntask multiclass(classes=10)\ntrain:\n    data digits\n"
    kinds = {value: kind for kind, value in NetspecLexer().get_tokens(text) if value.strip()}
    assert kinds["block"] in Keyword and kinds["model"] in Keyword and kinds["train"] in Keyword
    assert kinds["conv2d"] is Name.Builtin and kinds["relu"] is Name.Builtin
    assert kinds["float32"] in Keyword.Type
    assert kinds["false"] is Keyword.Constant
    assert kinds["1e-3"] is Number.Float and kinds["3"] is Number.Integer
    assert kinds["->"] is Operator
    assert kinds["down"] is Name and kinds["y"] is Name
    assert kinds["multiclass"] is Name.Class and kinds["data"] is Name.Attribute and kinds["digits"] is Name.Constant


def test_every_catalog_layer_and_keyword_is_highlighted():
    for word in (*vocabulary.layer_names(), *vocabulary.keywords()):
        ((kind, value), *_) = NetspecLexer().get_tokens(word)
        assert value == word and (kind is Name.Builtin or kind in Keyword), word
