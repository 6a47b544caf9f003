"""Completion from the text before the cursor: which section it is in, and whether it is inside a call.

It reads the raw text rather than the last compilation, because a line being typed rarely parses; names
defined elsewhere in the file come from the last analysis that did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netspec import vocabulary
from netspec.compiler.catalog import CATALOG
from netspec.compiler.catalog.base import ArgSpec
from netspec.compiler.tasks import _SCHEMAS as TASK_SCHEMAS
from netspec.compiler.train_config import _CHOICES as SETTING_CHOICES
from netspec.compiler.train_config import _SCALARS as SCALAR_SETTINGS
from netspec.lsp.describe import argument_doc, signature
from netspec.lsp.symbols import SymbolIndex

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_ASSIGN = re.compile(r"^\s*(?:param\s+([A-Za-z_][A-Za-z0-9_]*)\s*:|([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=))")
_BLOCK_HEAD = re.compile(r"^\s*block\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)")
_INPUT = re.compile(r"^\s*input\s+([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Item:
    """One completion: `insert` may be a snippet (`conv2d(${1:channels}, ${2:kernel})`)."""

    label: str
    kind: str  # keyword, layer, block, value, setting, choice, argument, dtype, task
    detail: str = ""
    doc: str = ""
    insert: str = ""
    snippet: bool = False


@dataclass
class Context:
    section: str  # "", "layers", "train", "block", or the keyword of the line's own declaration
    block: str = ""
    block_params: list[str] = field(default_factory=list)
    section_start: int = 0


def _section(lines: list[str], line: int) -> Context:
    """The section the 0-based `line` belongs to: the nearest line above that starts with a top-level keyword."""
    tops = set(vocabulary.top_level_keywords())
    for index in range(line, -1, -1):
        words = lines[index].split(None, 1)
        head = re.match(r"[A-Za-z_]+", words[0]).group() if words and re.match(r"[A-Za-z_]+", words[0]) else ""
        if head not in tops or (index == line and head == ""):
            continue
        if head == "block":
            found = _BLOCK_HEAD.match(lines[index])
            params = [p.split("=")[0].strip() for p in found.group(2).split(",") if p.strip()] if found else []
            return Context("block", found.group(1) if found else "", params, index)
        return Context(head, section_start=index)
    return Context("")


def _open_call(prefix: str) -> tuple[str, list[str]] | None:
    """The innermost call whose `(` is still open before the cursor, with the keywords it already has."""
    depth = 0
    for index in range(len(prefix) - 1, -1, -1):
        char = prefix[index]
        if char in ")]":
            depth += 1
        elif char in "([":
            if depth == 0:
                if char == "[":
                    return None
                callee = _WORD.search(prefix[:index].rstrip())
                if callee is None:
                    return None
                written = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=", prefix[index:])
                return callee.group(), written
            depth -= 1
    return None


def _layer_item(name: str) -> Item:
    spec = CATALOG[name]
    required = [a for a in spec.args if a.required]
    insert = f"{name}(" + ", ".join(f"${{{i + 1}:{a.name}}}" for i, a in enumerate(required)) + ")"
    doc = spec.doc + (f"\n\nExample: `{spec.example}`" if spec.example else "")
    return Item(name, "layer", signature(name, spec.args), doc, insert if required else name, bool(required))


def _choice_items(options: dict[str, tuple[ArgSpec, ...]]) -> list[Item]:
    items = []
    for name, args in options.items():
        required = [a for a in args if a.required]
        insert = f"{name}(" + ", ".join(f"${{{i + 1}:{a.name}}}" for i, a in enumerate(required)) + ")"
        items.append(Item(name, "choice", signature(name, args), "", insert if required else name, bool(required)))
    return items


def _argument_items(args: tuple[ArgSpec, ...], written: list[str]) -> list[Item]:
    return [
        Item(f"{a.name}=", "argument", argument_doc(a), "", f"{a.name}=", False)
        for a in args
        if a.name not in written and not any(alias in written for alias in a.aliases)
    ]


def _call_schema(callee: str, context: Context, symbols: SymbolIndex, lines: list[str]) -> tuple[ArgSpec, ...] | None:
    if callee in CATALOG:
        return CATALOG[callee].args
    for options in SETTING_CHOICES.values():
        if callee in options:
            return options[callee]
    if callee in TASK_SCHEMAS and context.section == "task":
        return TASK_SCHEMAS[callee]
    params = _block_params(callee, symbols, lines)
    if params is not None:
        return tuple(ArgSpec(p, "value") for p in params)
    return None


def _block_params(name: str, symbols: SymbolIndex, lines: list[str]) -> list[str] | None:
    for text in lines:
        found = _BLOCK_HEAD.match(text)
        if found and found.group(1) == name:
            return [p.split("=")[0].strip() for p in found.group(2).split(",") if p.strip()]
    params = [s.name for s in symbols.in_scope(name) if s.kind == "param"]
    return params if symbols.find(name, "") is not None else None


def _values(context: Context, lines: list[str], line: int, symbols: SymbolIndex) -> list[Item]:
    """Values in scope at the cursor: the inputs (or `in` and the parameters in a block) and names defined above."""
    names: dict[str, str] = {}
    if context.section == "block":
        names["in"] = "the block's input"
        for param in context.block_params:
            names[param] = f"parameter of block {context.block}"
    else:
        for text in lines:
            found = _INPUT.match(text)
            if found:
                names[found.group(1)] = "input"
    for text in lines[context.section_start + 1 : line]:
        found = _ASSIGN.match(text)
        if found:
            names.setdefault(found.group(1) or found.group(2), "learnable parameter" if found.group(1) else "value")
    scope = context.block if context.section == "block" else "layers"
    for symbol in symbols.in_scope(scope):
        if symbol.span.line - 1 < line:
            names.setdefault(
                symbol.name, {"assign": "value", "param_decl": "learnable parameter"}.get(symbol.kind, symbol.kind)
            )
    return [Item(name, "value", what) for name, what in names.items()]


def _blocks(lines: list[str], symbols: SymbolIndex, exclude: str) -> list[Item]:
    names = {m.group(1): m.group(2) for m in (_BLOCK_HEAD.match(t) for t in lines) if m}
    for symbol in symbols.in_scope(""):
        if symbol.kind == "block":
            names.setdefault(symbol.name, "")
    return [
        Item(name, "block", f"block {name}({params})", "", f"{name}(${{1}})" if params.strip() else name, True)
        for name, params in names.items()
        if name != exclude
    ]


def _keywords(statement: bool = False) -> list[Item]:
    """The top-level keywords; at the start of a statement also the statement keywords (`param`, `out`)."""
    words = vocabulary.keywords() if statement else vocabulary.top_level_keywords()
    return [Item(word, "keyword") for word in words]


def complete(
    text: str, line: int, character: int, symbols: SymbolIndex, shapes: dict[int, tuple[str, ...]] | None = None
) -> list[Item]:
    """Completions at 0-based (line, character) of `text`; `shapes` are the layer lines' shapes (1-based lines)
    from the last analysis that had them, offered after a `:` that starts a shape assertion."""
    lines = text.split("\n")
    current = lines[line] if line < len(lines) else ""
    prefix = current[:character]
    context = _section(lines, line)
    if context.section in ("layers", "block") and re.search(r"[\w)\]]\s*:\s*\[?$", prefix) and shapes:
        known = shapes.get(line + 1, ())
        opened = prefix.rstrip().endswith("[")
        # one shape for every use of the line, or no assertion holds for all of them
        return [
            Item(s, "shape", "the shape this line computes", "", s[1:] if opened else s)
            for s in known
            if len(known) == 1
        ]
    stripped = prefix.lstrip()
    first = stripped.split(None, 1)[0] if stripped else ""
    if first in vocabulary.top_level_keywords() and " " in stripped:
        context = Context(first)  # the line's own declaration: `task ...`, `input ...`
    call = _open_call(prefix)
    if call is not None and not re.search(r"=\s*[A-Za-z_0-9]*$", prefix):
        schema = _call_schema(call[0], context, symbols, lines)
        if schema is not None and call[0] in CATALOG:
            # inside a layer's parentheses: its arguments, and values (`relu(in + y)`, `concat(a, b)`)
            return _argument_items(schema, call[1]) + _values(context, lines, line, symbols)
        if schema is not None:
            return _argument_items(schema, call[1])
    if context.section == "task":
        return _choice_items(TASK_SCHEMAS)
    if context.section == "input":
        return [Item(d, "dtype") for d in vocabulary.dtypes()] if ":" in prefix else []
    if context.section in ("model", "block") and first in ("model", "block") and " " in stripped:
        return []  # naming something new
    if context.section == "train":
        setting = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+", prefix)
        if setting is None:
            return [Item(s, "setting", _setting_detail(s)) for s in vocabulary.settings()] + _keywords()
        name = setting.group(1)
        if name in SETTING_CHOICES:
            return _choice_items(SETTING_CHOICES[name])
        spec = SCALAR_SETTINGS.get(name)
        if spec is not None and spec.choices:
            return [Item(c, "choice") for c in spec.choices]
        if spec is not None and spec.kind == "bool":
            return [Item(c, "choice") for c in ("true", "false")]
        return []
    if context.section in ("layers", "block"):
        items = [_layer_item(name) for name in vocabulary.layer_names()]
        items += _blocks(lines, symbols, context.block)
        items += _values(context, lines, line, symbols)
        if not re.search(r"(->|[-+*(,=])\s*[A-Za-z_0-9]*$", prefix):
            items += [k for k in _keywords(statement=True) if k.label != "out" or context.section == "block"]
        return items
    return _keywords()


def _setting_detail(name: str) -> str:
    if name in SETTING_CHOICES:
        return "one of " + ", ".join(SETTING_CHOICES[name])
    spec = SCALAR_SETTINGS.get(name)
    if spec is None:
        return ""
    return spec.kind + (": " + ", ".join(spec.choices) if spec.choices else "")
