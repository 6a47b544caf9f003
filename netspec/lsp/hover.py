"""Hover: what is under the cursor -- a layer's shape, parameters, PyTorch form and doc, or a value's shape."""

from __future__ import annotations

from netspec.compiler.catalog import CATALOG
from netspec.compiler.graph import LayerNode
from netspec.compiler.source import Span
from netspec.compiler.tensor_types import show_shape
from netspec.lsp.analysis import Analysis
from netspec.lsp.completion import SCALAR_SETTINGS, SETTING_CHOICES, TASK_SCHEMAS
from netspec.lsp.convert import contains, span_size
from netspec.lsp.describe import argument_doc, literal, pytorch_form, signature
from netspec.lsp.symbols import Symbol

MAX_USES = 4  # a block's line is computed once per use of the block; list this many


def _nodes_at(analysis: Analysis, line: int, column: int) -> list[LayerNode]:
    """The layer applications of the narrowest layer span under the cursor (one per block instance)."""
    graph = analysis.graph
    if graph is None:
        return []
    hits = [n for n in graph.nodes if contains(n.span, line, column)]
    if not hits:
        return []
    narrowest = min(span_size(n.span) for n in hits)
    return [n for n in hits if span_size(n.span) == narrowest]


def _layer_text(analysis: Analysis, nodes: list[LayerNode]) -> str:
    spec = CATALOG[nodes[0].op]
    lines = [f"**{spec.name}** — {spec.doc}", ""]
    uses: dict[str, list[str]] = {}  # one entry per distinct (shape, parameters, PyTorch form)
    for node in nodes:
        out = analysis.types.get(node.id)
        inputs = [analysis.types[i] for i in node.inputs if i in analysis.types]
        if out is None or len(inputs) != len(node.inputs):
            continue
        params = analysis.params.get(node.id, 0)
        text = (
            f"output `{show_shape(out.shape)}` ({out.dtype}), {params:,} parameters\n"
            f"```python\n{pytorch_form(spec, inputs, node.args)}\n```"
        )
        uses.setdefault(text, []).append(node.id)
    for text, ids in list(uses.items())[:MAX_USES]:
        scoped = nodes[0].scope
        lines.append((", ".join(f"`{i}`" for i in ids) + ": " if scoped else "") + text)
    if len(uses) > MAX_USES:
        lines.append(f"... and {len(uses) - MAX_USES} more")
    if not uses:
        lines.append("(no shape: an error before or at this layer)")
    lines += ["", f"`{signature(spec.name, spec.args)}`"]
    return "\n".join(lines)


def _value_id(analysis: Analysis, symbol: Symbol) -> list[str]:
    """The graph nodes a named value stands for (in a block: one per use of the block)."""
    graph = analysis.graph
    if graph is None:
        return []
    if symbol.kind == "input":
        return [symbol.name]
    if symbol.scope == "layers":
        return [graph.names[symbol.name]] if symbol.name in graph.names else []
    if symbol.kind not in ("block", "param", "model"):
        ids = [b.id for b in graph.blocks if b.block == symbol.scope]
        return [graph.names[f"{i}.{symbol.name}"] for i in ids if f"{i}.{symbol.name}" in graph.names]
    return []


def _symbol_text(analysis: Analysis, symbol: Symbol, at: Span) -> str | None:
    graph = analysis.graph
    if symbol.kind == "block":
        uses = (
            [b for b in graph.blocks if b.block == symbol.name and contains(b.span, at.line, at.column)]
            if graph
            else []
        )
        head = f"**block {symbol.name}** — used {len(symbol.references)} time(s)"
        if not uses:
            return head
        lines = [head, ""]
        for use in uses[:MAX_USES]:
            out = analysis.types.get(use.output)
            inside = sum(analysis.params.get(n.id, 0) for n in graph.nodes if use.id in n.scope)
            shape = show_shape(out.shape) if out is not None else "?"
            lines.append(f"`{use.id}`: output `{shape}`, {inside:,} parameters")
        return "\n".join(lines)
    if symbol.kind == "param" and graph is not None:
        values = []
        for use in graph.blocks:
            if use.block == symbol.scope and literal(use.args.get(symbol.name)) not in values:
                values.append(literal(use.args.get(symbol.name)))
        listed = " | ".join(f"`{v}`" for v in values[:MAX_USES])
        return f"**block parameter {symbol.name}**" + (f" = {listed}" if values else "")
    shapes = []
    for node_id in _value_id(analysis, symbol):
        out = analysis.types.get(node_id)
        if out is not None and show_shape(out.shape) not in shapes:
            shapes.append(show_shape(out.shape))
    what = {"input": "input", "param": "block parameter", "assign": "value", "model": "model"}.get(symbol.kind)
    what = what or {"param_decl": "learnable parameter"}.get(symbol.kind)
    text = f"**{what or symbol.kind} {symbol.name}**"
    if shapes:
        text += ": `" + "` | `".join(shapes[:MAX_USES]) + "`"
    return text


def hover_text(analysis: Analysis, line: int, column: int) -> tuple[str, Span] | None:
    found = analysis.symbols.at(line, column)
    nodes = _nodes_at(analysis, line, column)
    if found is not None and (not nodes or span_size(found[1]) <= span_size(nodes[0].span)):
        text = _symbol_text(analysis, *found)
        if text is not None and (found[0].kind != "block" or not nodes):
            return text, found[1]
    if nodes:
        return _layer_text(analysis, nodes), nodes[0].span
    return _catalog_word(analysis, line, column)


def _catalog_word(analysis: Analysis, line: int, column: int) -> tuple[str, Span] | None:
    """A layer name with no checked node (the spec has an error there): its documentation alone."""
    text = analysis.source.line_text(line)
    start = column - 1
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    end = column - 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    span = Span(line=line, column=start + 1, end_line=line, end_column=end + 1)
    spec = CATALOG.get(word)
    if spec is not None:
        return f"**{spec.name}** — {spec.doc}\n\n`{signature(spec.name, spec.args)}`\n\nExample: `{spec.example}`", span
    described = _setting_word(word, text[:start].split())
    return None if described is None else (described, span)


def _setting_word(word: str, before: list[str]) -> str | None:
    """A task kind, a train setting or one of its choices (a data set, an optimizer...): its signature."""
    if before[:1] == ["task"] and word in TASK_SCHEMAS:
        return f"**task {word}**\n\n`{signature(word, TASK_SCHEMAS[word])}`"
    if not before and word in SETTING_CHOICES:
        return f"**{word}** (train setting): one of " + ", ".join(f"`{c}`" for c in SETTING_CHOICES[word])
    if not before and word in SCALAR_SETTINGS:
        return f"**{word}** (train setting): {argument_doc(SCALAR_SETTINGS[word]).split('; ', 1)[0]}"
    if len(before) == 1 and word in SETTING_CHOICES.get(before[0], {}):
        return f"**{before[0]} {word}**\n\n`{signature(word, SETTING_CHOICES[before[0]][word])}`"
    return None
