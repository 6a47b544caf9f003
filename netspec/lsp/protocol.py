"""The compiler's results as LSP messages: diagnostics, completion items and outline symbols (lsprotocol types)."""

from __future__ import annotations

from lsprotocol import types as lsp

from netspec.compiler.diagnostics import Diagnostic, Severity
from netspec.lsp import completion, convert
from netspec.lsp.analysis import Analysis
from netspec.lsp.outline import Entry

SYMBOL_KINDS = {
    "model": lsp.SymbolKind.Class,
    "input": lsp.SymbolKind.Variable,
    "task": lsp.SymbolKind.Event,
    "block": lsp.SymbolKind.Function,
    "param": lsp.SymbolKind.TypeParameter,
    "value": lsp.SymbolKind.Variable,
    "section": lsp.SymbolKind.Namespace,
    "setting": lsp.SymbolKind.Property,
}
COMPLETION_KINDS = {
    "keyword": lsp.CompletionItemKind.Keyword,
    "layer": lsp.CompletionItemKind.Function,
    "block": lsp.CompletionItemKind.Module,
    "value": lsp.CompletionItemKind.Variable,
    "setting": lsp.CompletionItemKind.Property,
    "choice": lsp.CompletionItemKind.EnumMember,
    "argument": lsp.CompletionItemKind.Field,
    "dtype": lsp.CompletionItemKind.TypeParameter,
    "shape": lsp.CompletionItemKind.Value,
}


def diagnostic(analysis: Analysis, d: Diagnostic, uri: str, encoding: str) -> lsp.Diagnostic:
    source = analysis.source
    message = d.message
    if d.label:
        message += f" ({d.label})"
    for note in d.notes:
        message += f"\nnote: {note}"
    if d.help:
        message += f"\nhelp: {d.help}"
    related = [
        lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=uri, range=convert.to_range(source, label.span, encoding)),
            message=label.message,
        )
        for label in d.secondary
    ]
    return lsp.Diagnostic(
        range=convert.to_range(source, d.span, encoding),
        message=message,
        severity=lsp.DiagnosticSeverity.Error if d.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning,
        code=d.code,
        source="netc",
        related_information=related or None,
    )


def completion_item(item: completion.Item) -> lsp.CompletionItem:
    return lsp.CompletionItem(
        label=item.label,
        kind=COMPLETION_KINDS.get(item.kind, lsp.CompletionItemKind.Text),
        detail=item.detail or None,
        documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=item.doc) if item.doc else None,
        insert_text=item.insert or None,
        insert_text_format=lsp.InsertTextFormat.Snippet if item.snippet else lsp.InsertTextFormat.PlainText,
    )


def document_symbol(analysis: Analysis, entry: Entry, encoding: str) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=entry.name,
        kind=SYMBOL_KINDS.get(entry.kind, lsp.SymbolKind.Object),
        range=convert.to_range(analysis.source, entry.span, encoding),
        selection_range=convert.to_range(analysis.source, entry.selection, encoding),
        detail=entry.detail or None,
        children=[document_symbol(analysis, c, encoding) for c in entry.children] or None,
    )
