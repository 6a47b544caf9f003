"""The words the editor tools use are the compiler's: keywords from the grammar, layers from the catalog."""

from __future__ import annotations

from netspec.compiler import parser
from netspec.compiler.catalog import CATALOG

from netspec import vocabulary


def test_keywords_are_the_parsers():
    assert set(vocabulary.keywords()) == set(parser._KEYWORDS)
    assert {k.upper() for k in vocabulary.top_level_keywords()} == parser._TOP_LEVEL


def test_layers_are_the_catalog_less_reserved_words():
    assert set(vocabulary.layer_names()) == set(CATALOG) - set(vocabulary.keywords())
    assert "linear" in vocabulary.layer_names() and "param" not in vocabulary.layer_names()
