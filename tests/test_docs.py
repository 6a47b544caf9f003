"""Every example in docs/language.md compiles as documented; docs/layers.md matches the catalog."""

from __future__ import annotations

import re

import pytest
from netspec.compiler.catalog.reference import layer_reference
from netspec.compiler.pipeline import compile_text

from tests.conftest import ROOT

FENCE = re.compile(r"```net(?: error=(?P<code>[A-Za-z-]+))?\n(?P<body>.*?)```", re.S)
EXAMPLES = [(m.group("code"), m.group("body")) for m in FENCE.finditer((ROOT / "docs" / "language.md").read_text())]


def test_docs_have_examples():
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize(("code", "body"), EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_language_example(code, body):
    result = compile_text(body, "docs/language.md")
    errors = [d.code for d in result.diagnostics if d.is_error]
    if code is None:
        assert result.ok, [d.message for d in result.diagnostics]
    else:
        assert code in errors, (code, errors)


def test_layer_reference_is_current():
    assert (ROOT / "docs" / "layers.md").read_text() == layer_reference()
