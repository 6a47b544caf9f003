"""`netc lsp` end to end: a real LSP client (pytest-lsp) talks to the server process over stdio."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.net"))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "netspec", "lsp"], server_env=ENV),
)
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"debounce_ms": 20},
        )
    )
    yield
    await lsp_client.shutdown_session()


_opened: dict[str, int] = {}


async def open_doc(client: LanguageClient, name: str, text: str) -> str:
    """Open `text` as a new document and wait for its first diagnostics."""
    uri = (ROOT / "tests" / f"lsp_{len(_opened)}_{name}").as_uri()
    _opened[uri] = 1
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="netspec", version=1, text=text)
        )
    )
    await published(client, uri, 1)
    return uri


async def published(client: LanguageClient, uri: str, version: int) -> list[lsp.Diagnostic]:
    """Wait for the diagnostics of this version of the document."""
    while True:
        params = await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20)
        if params.uri == uri and params.version == version:
            return list(params.diagnostics)


def change(client: LanguageClient, uri: str, text: str) -> int:
    _opened[uri] += 1
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=_opened[uri]),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return _opened[uri]


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP text edits (ASCII text: characters are code points)."""
    lines = text.split("\n")

    def index(pos: lsp.Position) -> int:
        return sum(len(line) + 1 for line in lines[: pos.line]) + pos.character

    for edit in sorted(edits, key=lambda e: index(e.range.start), reverse=True):
        text = text[: index(edit.range.start)] + edit.new_text + text[index(edit.range.end) :]
        lines = text.split("\n")
    return text


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


WRONG_BY_HAND = """model WrongByHand
input x: float32[N, 1, 28, 28]
task multiclass(classes=10)
layers:
    conv2d(32, 3) -> relu -> maxpool2d(2)
    flatten
    linear(5000 -> 10)
"""


async def test_diagnostic_at_the_layer_then_quick_fix_clears_it(client: LanguageClient):
    uri = (ROOT / "tests" / "lsp_fix.net").as_uri()
    _opened[uri] = 1
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="netspec", version=1, text=WRONG_BY_HAND)
        )
    )
    (diagnostic,) = await published(client, uri, 1)
    assert diagnostic.code == "E-shape"
    assert diagnostic.severity == lsp.DiagnosticSeverity.Error
    assert "5000 input features, but its input has 5408" in diagnostic.message
    # `linear(5000 -> 10)` on line 7 (0-based 6), columns 5..23 (0-based 4..22)
    assert diagnostic.range == lsp.Range(
        start=lsp.Position(line=6, character=4), end=lsp.Position(line=6, character=22)
    )

    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    titles = [a.title for a in actions]
    assert titles == ["write the inferred in_features=5408", "drop in_features and let netc infer it"]
    fixed_lines = []
    for action in actions:
        fixed = apply(WRONG_BY_HAND, action.edit.changes[uri])
        assert await published(client, uri, change(client, uri, fixed)) == []
        fixed_lines.append(fixed.splitlines()[6])
    # the checked file is also what `netc check` accepts
    assert fixed_lines == ["    linear(5408 -> 10)", "    linear(10)"]


@pytest.mark.parametrize(
    ("text", "code", "fixed_line"),
    [
        ("    conv2d(8, 3) -> relu -> maxpol2d(2)\n    flatten -> linear(10)\n", "E-unknown-layer", "maxpool2d(2)"),
        ("    conv2d(8, 3, bais=false) -> relu\n    flatten -> linear(10)\n", "E-unknown-arg", "bias=false"),
        ("    conv2d(8, 3) -> relu\n    linear(10)\n", "E-flatten", "flatten -> linear(10)"),
        ("    conv2d(8, 3) : [N, 8, 3, 3]\n    flatten -> linear(10)\n", "E-assert", ": [N, 8, 26, 26]"),
        ("    conv2d(8, 3) -> flatten -> linear(10) -> softmax\n", "E-logits", "linear(10)\n"),
        ("    conv2d(8, 3) -> flatten\n", "E-task-output", "flatten -> linear(10)"),
    ],
)
async def test_quick_fixes_remove_their_diagnostic(client: LanguageClient, text: str, code: str, fixed_line: str):
    spec = "model M\ninput x: float32[N, 1, 28, 28]\ntask multiclass(classes=10)\nlayers:\n" + text
    uri = await open_doc(client, f"fix_{code}.net", spec)
    version = change(client, uri, spec)  # the same text again: diagnostics are published for the new version
    (diagnostic,) = [d for d in await published(client, uri, version) if d.code == code]
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri), range=diagnostic.range, context=lsp.CodeActionContext(diagnostics=[diagnostic])
        )
    )
    assert actions, f"no quick fix for {code}"
    fixed = apply(spec, actions[0].edit.changes[uri])
    assert fixed_line in fixed
    remaining = await published(client, uri, change(client, uri, fixed))
    assert [d for d in remaining if d.code == code] == []


def netc_shapes(path: Path) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "netspec", "shapes", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    )
    return json.loads(out.stdout)["layers"]


def chain_lines(text: str) -> dict[int, int]:
    """0-based line -> index (in netc shapes' layer list) of the last layer on it, for specs of plain chains."""
    result, count, inside = {}, 0, False
    for number, raw in enumerate(text.split("\n")):
        line = raw.split("#", 1)[0].rstrip()
        word = line.strip().split(":")[0]
        if not raw.startswith(" ") and line:
            inside = word == "layers"
            continue
        if inside and line.strip():
            steps = line.count("->") + (0 if line.strip().startswith("->") else 1)
            count += steps
            if " : [" not in line:  # a line with a shape assertion already states its shape: no hint
                result[number] = count - 1
    return result


# specs of plain chains: no blocks of their own or imported (`use`), no named values
PLAIN_CHAINS = [p for p in SPECS if not any(w in p.read_text() for w in ("block", " = ", " use "))]


@pytest.mark.parametrize("path", PLAIN_CHAINS, ids=lambda p: p.name)
async def test_inlay_hints_equal_netc_shapes(client: LanguageClient, path: Path):
    text = path.read_text()
    uri = await open_doc(client, path.name, text)
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=doc(uri),
            range=lsp.Range(
                start=lsp.Position(line=0, character=0), end=lsp.Position(line=len(text.split("\n")), character=0)
            ),
        )
    )
    layers = netc_shapes(path)
    expected = {
        line: "[" + ", ".join(str(d) for d in layers[i]["output_shape"]) + "]" for line, i in chain_lines(text).items()
    }
    got = {h.position.line: h.label.removeprefix(": ") for h in hints}
    assert got == expected
    assert expected  # every spec in specs/ has layer lines without an assertion
    for hint in hints:  # each hint sits right after the code on its line, before any comment
        code = text.split("\n")[hint.position.line].split("#", 1)[0].rstrip()
        assert hint.position.character == len(code)


async def test_inlay_hints_in_blocks_show_each_use(client: LanguageClient):
    text = (ROOT / "specs" / "resnet18.net").read_text()
    uri = await open_doc(client, "resnet18.net", text)
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=doc(uri),
            range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=40, character=0)),
        )
    )
    labels = {h.position.line + 1: h.label for h in hints}
    # `basic` is used at 64, 128, 256 and 512 channels: its lines list the shapes they take
    assert labels[5] == ": [N, 64, 56, 56] | [N, 128, 28, 28] | [N, 256, 14, 14] | ..."
    assert labels[21] == ": [N, 64, 56, 56]"  # `basic(64) * 2`: the second repetition's output
    layers = {layer["name"]: layer for layer in netc_shapes(ROOT / "specs" / "resnet18.net")}
    assert labels[25] == ": " + "[" + ", ".join(map(str, layers["fc1"]["output_shape"])) + "]"


async def test_hints_survive_a_later_error(client: LanguageClient):
    text = "model M\ninput x: float32[N, 1, 28, 28]\ntask multiclass(classes=10)\nlayers:\n    conv2d(8, 3) -> relu\n    maxpool2d(50)\n"
    uri = await open_doc(client, "partial.net", text)
    hints = await client.text_document_inlay_hint_async(
        lsp.InlayHintParams(
            text_document=doc(uri),
            range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=9, character=0)),
        )
    )
    assert [(h.position.line, h.label) for h in hints] == [(4, ": [N, 8, 26, 26]")]


async def test_hover_shows_shape_params_pytorch_and_doc(client: LanguageClient):
    text = (ROOT / "specs" / "digits_cnn.net").read_text()
    uri = await open_doc(client, "hover_digits.net", text)
    # line 12 (0-based 11): `    linear(128) -> relu`
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=lsp.Position(line=11, character=6))
    )
    value = result.contents.value
    layers = {layer["name"]: layer for layer in netc_shapes(ROOT / "specs" / "digits_cnn.net")}
    assert "output `[N, 128]`" in value
    assert f"{layers['fc1']['params']:,} parameters" in value  # 1024 * 128 + 128
    assert "nn.Linear(1024, 128)" in value
    assert "Fully connected layer" in value
    assert result.range.start == lsp.Position(line=11, character=4)

    # the input's name: its declared type
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=lsp.Position(line=3, character=6))
    )
    assert "`[N, 1, 8, 8]`" in result.contents.value

    # train settings and their choices: the signature with defaults (`    optimizer adam(lr=1e-3)`, line 17)
    result = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=lsp.Position(line=16, character=16))
    )
    assert "`adam(lr=0.001, weight_decay=0.0)`" in result.contents.value


async def test_completion_offers_layers_arguments_blocks_values_settings_and_data(client: LanguageClient):
    text = (ROOT / "specs" / "resnet18.net").read_text() + "\ntrain:\n    data \n    \n"
    uri = await open_doc(client, "complete.net", text)
    lines = text.split("\n")

    async def labels(line: int, character: int) -> dict[str, lsp.CompletionItem]:
        result = await client.text_document_completion_async(
            lsp.CompletionParams(text_document=doc(uri), position=lsp.Position(line=line, character=character))
        )
        return {item.label: item for item in result.items}

    # at the start of a layers line: layers (with a snippet for the required arguments), blocks and values
    items = await labels(18, 4)
    assert items["conv2d"].insert_text == "conv2d(${1:channels}, ${2:kernel})"
    assert "stride=1" in items["conv2d"].detail
    assert {"basic", "down", "x", "relu", "linear"} <= set(items)
    # inside a block: its input `in`, its parameter and the values defined above
    items = await labels(4, 8)  # `    out relu(in + y)`
    assert {"in", "c", "y"} <= set(items)
    # inside a layer's parentheses: its arguments with their defaults
    items = await labels(18, 18)  # `    conv2d(64, 7, |stride=2...`
    assert {"stride=", "padding=", "bias="} <= set(items)
    assert "default 1" in items["stride="].detail
    # train: settings, and data sets after `data`
    train_line = lines.index("    data ")
    items = await labels(train_line, len("    data "))
    assert {"digits", "iris", "mnist", "csv"} <= set(items)
    assert items["csv"].insert_text == "csv(${1:path}, ${2:target})"
    items = await labels(train_line + 1, 4)
    assert {"optimizer", "batch_size", "epochs", "data"} <= set(items)


async def test_completion_after_a_colon_offers_the_shape_the_line_computes(client: LanguageClient):
    text = (ROOT / "specs" / "digits_cnn.net").read_text()
    uri = await open_doc(client, "assert_complete.net", text)
    typed = text.replace("-> batchnorm -> relu\n", "-> batchnorm -> relu : \n", 1)  # line 8: a syntax error now
    await published(client, uri, change(client, uri, typed))
    line = typed.split("\n")[7]
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=doc(uri), position=lsp.Position(line=7, character=len(line)))
    )
    assert [item.label for item in result.items] == ["[N, 32, 8, 8]"]
    fixed = typed.replace("relu : \n", "relu : [N, 32, 8, 8]\n", 1)
    assert await published(client, uri, change(client, uri, fixed)) == []


async def test_definition_references_and_rename(client: LanguageClient):
    text = (ROOT / "specs" / "resnet18.net").read_text()
    uri = await open_doc(client, "rename.net", text)
    lines = text.split("\n")
    use = lines.index("    basic(64) * 2")
    location = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc(uri), position=lsp.Position(line=use, character=6))
    )
    assert location.range.start == lsp.Position(line=1, character=6)  # `block basic(c):`

    refs = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=lsp.Position(line=1, character=7),
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    assert sorted(r.range.start.line + 1 for r in refs) == [21, 22, 23, 24]

    # a named value inside a block: `y` is defined on line 3 and used in `relu(in + y)`
    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=doc(uri), position=lsp.Position(line=2, character=4), new_name="branch")
    )
    renamed = apply(text, edit.changes[uri])
    assert "    branch = in -> conv2d(c, 3, padding=1" in renamed
    assert "out relu(in + branch)" in renamed
    assert "out relu(y + s)" in renamed  # the other block's `y` is another value
    assert await published(client, uri, change(client, uri, renamed)) == []

    edit = await client.text_document_rename_async(
        lsp.RenameParams(text_document=doc(uri), position=lsp.Position(line=use, character=6), new_name="residual")
    )
    renamed = apply(renamed, edit.changes[uri])
    assert renamed.count("residual(") == 5 and "basic" not in renamed
    assert await published(client, uri, change(client, uri, renamed)) == []

    with pytest.raises(Exception, match=r"reserved word|layer in the catalog"):
        await client.text_document_rename_async(
            lsp.RenameParams(text_document=doc(uri), position=lsp.Position(line=use, character=6), new_name="relu")
        )


async def test_document_symbols(client: LanguageClient):
    text = (ROOT / "specs" / "resnet18.net").read_text()
    uri = await open_doc(client, "outline.net", text)
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc(uri)))
    names = [(s.name, s.kind) for s in symbols]
    assert names[:3] == [
        ("basic", lsp.SymbolKind.Function),
        ("down", lsp.SymbolKind.Function),
        ("ResNet18", lsp.SymbolKind.Class),
    ]
    assert [c.name for c in symbols[1].children] == ["c", "y", "s"]
    assert ("x", lsp.SymbolKind.Variable) in names


async def test_formatting_is_netc_fmt(client: LanguageClient, tmp_path: Path):
    messy = (
        "model   M\ninput x : float32[N,4]\ntask binary\nlayers:\n  linear( 8 )->relu   # hidden\n        linear(1)\n"
    )
    uri = await open_doc(client, "fmt.net", messy)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=doc(uri), options=lsp.FormattingOptions(tab_size=4, insert_spaces=True)
        )
    )
    path = tmp_path / "m.net"
    path.write_text(messy)
    expected = subprocess.run(
        [sys.executable, "-m", "netspec", "fmt", "--stdout", str(path)],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    ).stdout
    assert apply(messy, edits) == expected
    assert expected != messy


async def test_after_rapid_changes_the_last_version_is_published(client: LanguageClient):
    uri = await open_doc(client, "typing.net", WRONG_BY_HAND)
    for _ in range(4):
        change(client, uri, WRONG_BY_HAND.replace("5000", "50"))
    last = change(client, uri, WRONG_BY_HAND.replace("5000 -> ", ""))
    assert await published(client, uri, last) == []


async def test_syntax_error_keeps_features_alive(client: LanguageClient):
    uri = await open_doc(client, "broken.net", WRONG_BY_HAND)
    version = change(client, uri, WRONG_BY_HAND + "    linear(10\n")
    (diagnostic,) = await published(client, uri, version)
    assert diagnostic.code == "E-syntax"
    assert diagnostic.range.start.line == 7
    # no program: no hints, no symbols, formatting declines -- and the server still answers
    symbols = await client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=doc(uri)))
    assert symbols == []
    items = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=doc(uri), position=lsp.Position(line=7, character=4))
    )
    assert "linear" in {i.label for i in items.items}
