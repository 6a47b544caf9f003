"""The pygls server: documents in, diagnostics and editor features out; one failing request never stops it."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from netspec import __version__
from netspec.compiler.fmt import format_program
from netspec.lsp import completion, convert, protocol
from netspec.lsp.analysis import Analysis, analyze
from netspec.lsp.fixes import fixes_for
from netspec.lsp.hints import line_shapes
from netspec.lsp.hover import hover_text
from netspec.lsp.outline import outline
from netspec.lsp.symbols import Symbol, SymbolIndex

DEFAULT_DEBOUNCE_S = 0.075
MAX_DELAY_S = 1.0
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
F = TypeVar("F", bound=Callable[..., Any])


class NetspecServer(LanguageServer):
    """Keeps one analysis per open document: the latest text's, or the last one that did not crash."""

    def __init__(self) -> None:
        super().__init__("netc", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.shaped: dict[str, Analysis] = {}  # the last analysis with a graph (a line being typed rarely has one)
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.debounce_s = DEFAULT_DEBOUNCE_S
        self.check_s: dict[str, float] = {}  # how long each document's last check took

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding or convert.UTF16
        return str(getattr(encoding, "value", encoding))  # "utf-8", "utf-16" or "utf-32"

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    def analysis(self, uri: str) -> Analysis | None:
        """The document's analysis for its current text (re-checked now if a debounced check is still pending)."""
        document = self.workspace.get_text_document(uri)
        last = self.analyses.get(uri)
        if last is not None and last.source.text == document.source:
            return last
        try:
            fresh = analyze(document.source, _display_name(uri))
        except Exception:  # a compiler bug must not take the editor down: keep the last good state
            self.log(f"netc: internal error while checking {uri}:\n{traceback.format_exc()}", lsp.MessageType.Error)
            return last
        self.analyses[uri] = fresh
        if fresh.graph is not None:
            self.shaped[uri] = fresh
        return fresh

    def check(self, uri: str) -> None:
        """Check the document and publish its diagnostics."""
        self.pending.pop(uri, None)
        start = time.perf_counter()
        result = self.analysis(uri)  # the same text as last time is not checked again
        self.check_s[uri] = time.perf_counter() - start
        if result is None:
            return
        diagnostics = [protocol.diagnostic(result, d, uri, self.encoding) for d in result.compilation.diagnostics]
        document = self.workspace.get_text_document(uri)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
        )

    def delay(self, uri: str) -> float:
        """The pause to wait for: the debounce, or as long as the document's last check took (at most a second),
        so that a big spec is not re-checked on every keystroke while its checks fall behind the typing."""
        if self.debounce_s <= 0:
            return 0.0
        return max(self.debounce_s, min(self.check_s.get(uri, 0.0), MAX_DELAY_S))

    def schedule(self, uri: str) -> None:
        """Debounce: check once typing pauses, not on every keystroke."""
        if (handle := self.pending.pop(uri, None)) is not None:
            handle.cancel()
        delay = self.delay(uri)
        if delay <= 0:
            self.check(uri)
            return
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(delay, _guarded_check, self, uri)


def _guarded_check(server: NetspecServer, uri: str) -> None:
    try:
        server.check(uri)
    except Exception:
        server.log(
            f"netc: internal error while publishing diagnostics:\n{traceback.format_exc()}", lsp.MessageType.Error
        )


def _display_name(uri: str) -> str:
    return uri.removeprefix("file://")


def _guard(server: NetspecServer, default: Any = None) -> Callable[[F], F]:
    """An internal error in a feature becomes a log message and an empty answer, never a dead server."""

    def wrap(handler: F) -> F:
        @functools.wraps(handler)
        def guarded(params: Any) -> Any:
            try:
                return handler(params)
            except RenameRejected:
                raise
            except Exception:
                server.log(
                    f"netc: internal error in {handler.__name__}:\n{traceback.format_exc()}", lsp.MessageType.Error
                )
                return default

        return guarded  # type: ignore[return-value]

    return wrap


class RenameRejected(JsonRpcException):
    """A new name that would not be valid: the request fails with this message (LSP's RequestFailed)."""

    CODE = -32803


def build_server() -> NetspecServer:
    server = NetspecServer()

    @server.feature(lsp.INITIALIZE)
    @_guard(server)
    def initialize(params: lsp.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce_ms"), int | float):
            server.debounce_s = max(float(options["debounce_ms"]), 0.0) / 1000

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @_guard(server)
    def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
        server.check(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @_guard(server)
    def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
        server.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @_guard(server)
    def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if (handle := server.pending.pop(uri, None)) is not None:
            handle.cancel()
        server.analyses.pop(uri, None)
        server.shaped.pop(uri, None)
        server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
    @_guard(server, [])
    def inlay_hints(params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return []
        first, last = params.range.start.line + 1, params.range.end.line + 1
        return [
            lsp.InlayHint(
                position=convert.position(analysis.source, hint.after.end_line, hint.after.end_column, server.encoding),
                label=hint.label,
                kind=lsp.InlayHintKind.Type,
                padding_left=False,
            )
            for hint in line_shapes(analysis)
            if first <= hint.line <= last
        ]

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @_guard(server)
    def hover(params: lsp.HoverParams) -> lsp.Hover | None:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        line, column = convert.to_point(analysis.source, params.position, server.encoding)
        found = hover_text(analysis, line, column)
        if found is None:
            return None
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=found[0]),
            range=convert.to_range(analysis.source, found[1], server.encoding),
        )

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["(", ",", ">", " ", "=", ":", "["])
    )
    @_guard(server)
    def complete(params: lsp.CompletionParams) -> lsp.CompletionList | None:
        analysis = server.analysis(params.text_document.uri)
        document = server.workspace.get_text_document(params.text_document.uri)
        symbols = analysis.symbols if analysis is not None else SymbolIndex()
        shaped = server.shaped.get(params.text_document.uri)
        shapes = {h.line: h.shapes for h in line_shapes(shaped, asserted_too=True)} if shaped is not None else None
        items = completion.complete(document.source, params.position.line, params.position.character, symbols, shapes)
        return lsp.CompletionList(is_incomplete=False, items=[protocol.completion_item(i) for i in items])

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @_guard(server)
    def definition(params: lsp.DefinitionParams) -> lsp.Location | None:
        analysis = server.analysis(params.text_document.uri)
        found = _symbol_at(server, analysis, params.position)
        if analysis is None or found is None:
            return None
        return lsp.Location(
            uri=params.text_document.uri, range=convert.to_range(analysis.source, found.span, server.encoding)
        )

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @_guard(server, [])
    def references(params: lsp.ReferenceParams) -> list[lsp.Location]:
        analysis = server.analysis(params.text_document.uri)
        found = _symbol_at(server, analysis, params.position)
        if analysis is None or found is None:
            return []
        spans = found.occurrences if params.context.include_declaration else found.references
        return [
            lsp.Location(uri=params.text_document.uri, range=convert.to_range(analysis.source, s, server.encoding))
            for s in spans
        ]

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    @_guard(server)
    def prepare_rename(params: lsp.PrepareRenameParams) -> lsp.Range | None:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return None
        line, column = convert.to_point(analysis.source, params.position, server.encoding)
        found = analysis.symbols.at(line, column)
        return None if found is None else convert.to_range(analysis.source, found[1], server.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME)
    @_guard(server)
    def rename(params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        analysis = server.analysis(params.text_document.uri)
        found = _symbol_at(server, analysis, params.position)
        if analysis is None or found is None:
            return None
        _check_new_name(params.new_name, found.name, analysis, found.scope)
        edits = [
            lsp.TextEdit(range=convert.to_range(analysis.source, s, server.encoding), new_text=params.new_name)
            for s in found.occurrences
        ]
        return lsp.WorkspaceEdit(changes={params.text_document.uri: edits})

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @_guard(server, [])
    def document_symbols(params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return []
        return [protocol.document_symbol(analysis, e, server.encoding) for e in outline(analysis.compilation.program)]

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @_guard(server)
    def formatting(params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None or analysis.compilation.program is None:
            return None  # a spec with a syntax error is left as it is, like `netc fmt`
        text = analysis.source.text
        formatted = format_program(analysis.compilation.program, analysis.source)
        if formatted == text:
            return []
        lines = text.split("\n")
        end = lsp.Position(line=len(lines) - 1, character=convert.units(lines[-1], server.encoding))
        return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix])
    )
    @_guard(server, [])
    def code_actions(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        analysis = server.analysis(params.text_document.uri)
        if analysis is None:
            return []
        wanted = convert.to_span(analysis.source, params.range, server.encoding)
        actions = []
        for d in analysis.compilation.diagnostics:
            if (d.span.end_line, d.span.end_column) < (wanted.line, wanted.column) or (d.span.line, d.span.column) > (
                wanted.end_line,
                wanted.end_column,
            ):
                continue
            published = protocol.diagnostic(analysis, d, params.text_document.uri, server.encoding)
            for fix in fixes_for(d, analysis.source):
                edits = [
                    lsp.TextEdit(range=convert.to_range(analysis.source, span, server.encoding), new_text=text)
                    for span, text in fix.edits
                ]
                actions.append(
                    lsp.CodeAction(
                        title=fix.title,
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[published],
                        is_preferred=fix.preferred,
                        edit=lsp.WorkspaceEdit(changes={params.text_document.uri: edits}),
                    )
                )
        return actions

    return server


def _symbol_at(server: NetspecServer, analysis: Analysis | None, pos: lsp.Position) -> Symbol | None:
    if analysis is None:
        return None
    line, column = convert.to_point(analysis.source, pos, server.encoding)
    found = analysis.symbols.at(line, column)
    return None if found is None else found[0]


def _check_new_name(new: str, old: str, analysis: Analysis, scope: str) -> None:
    from netspec import vocabulary

    if not _IDENTIFIER.match(new):
        raise RenameRejected(f"`{new}` is not a name: use letters, digits and `_`, starting with a letter or `_`")
    if new in vocabulary.keywords() or new in vocabulary.CONSTANTS or new == "in":
        raise RenameRejected(f"`{new}` is a reserved word")
    if new in vocabulary.layer_names() and new != old:
        raise RenameRejected(f"`{new}` is a layer in the catalog; a value or block of that name would hide it")
    if new != old and analysis.symbols.find(new, scope) is not None:
        raise RenameRejected(f"`{new}` is already defined here")


class _OneLine(logging.Formatter):
    """stderr is the editor's output panel: one line per problem, the exception's message instead of a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"netc lsp: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f" ({type(exc).__name__}: {exc})"
        return text


def main() -> int:
    """Serve over stdio until the client exits."""
    handler = logging.StreamHandler()
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    build_server().start_io()
    return 0
