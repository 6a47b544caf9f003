"""The language server's parts in-process: PyTorch agrees with hovers, positions convert, crashes stay contained."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as lsp
from netspec.compiler import SourceFile
from netspec.compiler.source import Span
from pygls.workspace import Workspace

from netspec.lsp import convert
from netspec.lsp import server as server_module
from netspec.lsp.analysis import analyze
from netspec.lsp.hover import hover_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", sorted((ROOT / "specs").glob("*.net")), ids=lambda p: p.name)
def test_hover_pytorch_form_is_what_torch_builds(path: Path):
    """Every layer's hover: the PyTorch form it shows builds a module with the parameter count it states."""
    import torch

    analysis = analyze(path.read_text(), path.name)
    checked = 0
    for node in analysis.graph.nodes:
        value, _ = hover_text(analysis, node.span.line, node.span.column + 1)
        for part in value.split("output `")[1:]:
            stated = int(part.split(" parameters")[0].rsplit(", ", 1)[1].replace(",", ""))
            form = part.split("```python\n")[1].split("\n```")[0]
            if form.startswith("nn."):
                module = eval(form, {"nn": torch.nn})  # the catalog's own constructor text
                assert sum(p.numel() for p in module.parameters()) == stated, (path.name, form)
                checked += 1
            else:
                assert stated == 0, form
    assert checked > 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_positions_round_trip_through_every_encoding(encoding: str):
    source = SourceFile("x.net", "model M  # é 😀 x\n")
    # the `x` is code point 16; before it: 11 ASCII characters, `é`, a space, `😀`, a space
    units = {"utf-8": 11 + 2 + 1 + 4 + 1, "utf-16": 11 + 1 + 1 + 2 + 1, "utf-32": 15}[encoding]
    pos = convert.position(source, 1, 16, encoding)
    assert pos == lsp.Position(line=0, character=units)
    assert convert.to_point(source, pos, encoding) == (1, 16)
    span = Span(line=1, column=12, end_line=1, end_column=16)
    assert convert.to_span(source, convert.to_range(source, span, encoding), encoding) == span


@pytest.mark.parametrize("kind", list(lsp.PositionEncodingKind))
def test_the_server_speaks_the_negotiated_encoding(kind: lsp.PositionEncodingKind):
    server = server_module.build_server()
    server.protocol._workspace = Workspace(None, position_encoding=kind)
    assert server.encoding == kind.value
    assert convert.position(SourceFile("x", "é x"), 1, 3, server.encoding).character == {"utf-8": 3}.get(kind.value, 2)


def _server_with(text: str, uri: str) -> tuple[server_module.NetspecServer, list, list]:
    server = server_module.build_server()
    workspace = Workspace(None)
    workspace.put_text_document(lsp.TextDocumentItem(uri=uri, language_id="netspec", version=1, text=text))
    server.protocol._workspace = workspace
    published, logged = [], []
    server.text_document_publish_diagnostics = published.append  # type: ignore[method-assign]
    server.window_log_message = logged.append  # type: ignore[method-assign]
    return server, published, logged


def test_a_compiler_crash_is_logged_and_the_last_good_state_kept(monkeypatch: pytest.MonkeyPatch):
    uri = "file:///tmp/crash.net"
    good = (ROOT / "specs" / "digits_cnn.net").read_text()
    server, published, logged = _server_with(good, uri)
    server.check(uri)
    first = server.analyses[uri]
    assert published[-1].diagnostics == []

    def crash(text: str, name: str):
        raise RuntimeError("a bug in a pass")

    monkeypatch.setattr(server_module, "analyze", crash)
    document = server.workspace.get_text_document(uri)
    document.apply_change(lsp.TextDocumentContentChangeWholeDocument(text=good + "\n# edited\n"))
    server.check(uri)
    assert server.analyses[uri] is first  # the last good state stays
    assert "a bug in a pass" in logged[-1].message and logged[-1].type == lsp.MessageType.Error
    assert server.analysis(uri) is first  # and the features keep answering from it


def test_a_feature_crash_returns_an_empty_answer(monkeypatch: pytest.MonkeyPatch):
    uri = "file:///tmp/hover.net"
    server, _, logged = _server_with((ROOT / "specs" / "digits_cnn.net").read_text(), uri)

    def broken(*args: object) -> None:
        raise ValueError("hover bug")

    monkeypatch.setattr(server_module, "hover_text", broken)
    handler = server.protocol.fm.features[lsp.TEXT_DOCUMENT_HOVER]
    params = lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=8, character=6)
    )
    assert handler(params) is None
    assert "hover bug" in logged[-1].message
