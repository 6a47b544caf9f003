"""The language server's parts in-process: PyTorch agrees with hovers, positions convert, crashes stay contained."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from netspec.compiler import SourceFile
from netspec.compiler.catalog import CATALOG
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
            support = CATALOG[node.op].support  # helper classes a layer's constructor may name
            if form.startswith("nn.") or support:
                scope = {"nn": torch.nn, "torch": torch, "F": torch.nn.functional, "math": math}
                for text in support:
                    exec(text, scope)  # the catalog's own code, as codegen writes it into the module
                module = eval(form, scope)  # the catalog's own constructor text
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


def _texts() -> list[tuple[str, str]]:
    """Every shipped spec and test case, and each spec cut after every line (what the editor sees while typing)."""
    texts = []
    for path in sorted((ROOT / "specs").glob("*.net")):
        text = path.read_text()
        lines = text.split("\n")
        texts += [(f"{path.name}[:{n}]", "\n".join(lines[:n])) for n in range(1, len(lines))]
        texts.append((path.name, text))
    for path in sorted((ROOT / "tests" / "cases").rglob("*.net")):
        texts.append((path.name, path.read_bytes().decode("utf-8", errors="replace")))
    return texts


def test_every_feature_answers_everywhere_without_raising():
    """Hints, outline, hover, completion and symbol lookup at every position of every (partial) spec."""
    from netspec.lsp.completion import complete
    from netspec.lsp.hints import line_shapes
    from netspec.lsp.outline import outline

    answered = 0
    for name, text in _texts():
        analysis = analyze(text, name)
        line_shapes(analysis)
        outline(analysis.compilation.program)
        for number, line in enumerate(text.split("\n"), start=1):
            for column in range(1, len(line) + 2, 3):
                hover_text(analysis, number, column)
                analysis.symbols.at(number, column)
                complete(text, number - 1, column - 1, analysis.symbols)
                answered += 1
    assert answered > 5000


# the quick fixes these diagnostic cases get (a new case may get any fix that passes the check below)
EXPECTED_FIXES = {
    # the compiler's own fixes (Diagnostic.fixes) where a diagnostic carries them, best first
    "assert_wrong.net": ["update the assertion to `[N, 32, 13, 13]`"],
    "flatten_missing.net": ["add `flatten` before it"],
    "logits_sigmoid_binary.net": ["remove `sigmoid`: the loss applies it"],
    "logits_softmax.net": ["remove `softmax`: the loss applies it"],
    "shape_wrong_in_features.net": ["write the inferred in_features=1600", "drop in_features and let netc infer it"],
    "task_output_mismatch.net": ["make the last linear give 10 outputs", "change the task to 5 outputs"],
    "task_unknown.net": ["change `multiclas` to `multiclass`"],
    "train_unknown.net": ["change `optimiser` to `optimizer`"],
    "unknown_arg.net": ["change `kernal` to `kernel`"],
    "unknown_layer.net": ["change `conv2dd` to `conv2d`"],
    "unknown_value.net": ["change `z` to `y`"],
    "unknown_value_chain.net": ["change `hh` to `h`"],
    # no compiler fix: one derived from the help text and checked by re-compiling
    "warn_linear_linear.net": ["Insert `relu ->` before `linear(2)`"],
}


def test_every_quick_fix_for_the_test_cases_removes_its_diagnostic():
    """Each diagnostic case: exactly the expected fixes are offered, and applying one removes its diagnostic."""
    from netspec.compiler import compile_text

    from netspec.lsp.fixes import fixes_for

    offered = {}
    for path in sorted((ROOT / "tests" / "cases").rglob("*.net")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        analysis = analyze(text, path.name)
        for diagnostic in analysis.compilation.diagnostics:
            for fix in fixes_for(diagnostic, analysis.source):
                after = compile_text(convert.apply_edits(text, list(fix.edits)), path.name).diagnostics
                assert not any(d.code == diagnostic.code and d.message == diagnostic.message for d in after), fix
                offered.setdefault(path.name, []).append(fix.title)
    assert {name: offered.get(name) for name in EXPECTED_FIXES} == EXPECTED_FIXES
    # help texts that name no exact edit for the span get none: W-repeat's `(linear(16) -> relu) * 3` is for a
    # wider piece than its span `relu * 3`; "go through `embedding` first" is no replacement for the linear;
    # "comments start with `#`" is no replacement for a stray byte
    assert {"warn_repeat_relu.net", "dtype_tokens_to_linear.net", "file_not_utf8.net"}.isdisjoint(offered)


def test_a_malformed_message_is_one_line_on_stderr_and_the_server_exits_cleanly_at_eof():
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "netspec", "lsp"],
        input=b"Content-Length: 5\r\n\r\n{bad}",
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr
    assert done.stderr.decode().startswith("netc lsp: error: Unable to handle message (JSONDecodeError")


def test_a_slow_check_stretches_the_pause_before_the_next_one():
    server = server_module.build_server()
    server.debounce_s = 0.075
    assert server.delay("file:///a.net") == 0.075
    server.check_s["file:///a.net"] = 0.4  # a big spec: its last check took 400 ms
    assert server.delay("file:///a.net") == 0.4
    server.check_s["file:///a.net"] = 30.0
    assert server.delay("file:///a.net") == server_module.MAX_DELAY_S
    server.debounce_s = 0
    assert server.delay("file:///a.net") == 0


LAYER_SCALE = """block scaled(c):
    param gamma: [c, 1, 1] = 1e-6
    y = in -> conv2d(c, 3, padding=1)
    out in + gamma * y

model M
input x: float32[N, 8, 16, 16]
task multiclass(classes=10)
layers:
    scaled(8) * 2
    adaptive_avgpool2d(1) -> flatten -> linear(10)
"""


def test_a_param_declaration_is_a_named_value_everywhere():
    """`param gamma: ...` is found, hovered, outlined and completed like any named value."""
    from netspec.lsp.completion import complete
    from netspec.lsp.outline import outline

    analysis = analyze(LAYER_SCALE, "scale.net")
    assert analysis.compilation.ok, analysis.compilation.diagnostics
    gamma = analysis.symbols.find("gamma", "scaled")
    assert gamma is not None and [(r.line, r.column) for r in gamma.references] == [(4, 14)]
    assert analysis.symbols.at(4, 15)[0] is gamma
    text, _ = hover_text(analysis, 2, 12)
    assert text == "**learnable parameter gamma**: `[8, 1, 1]`"
    (block, *_) = outline(analysis.compilation.program)
    assert [c.name for c in block.children] == ["c", "gamma", "y"]
    assert {"gamma", "y", "in", "c"} <= {i.label for i in complete(LAYER_SCALE, 3, 12, analysis.symbols)}
