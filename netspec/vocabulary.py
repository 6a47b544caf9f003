"""The words of the language, read from the grammar and the compiler's catalogs: what highlighters and completion use.

Keywords come from the quoted literals in grammar/net.lark, layer names from the layer catalog, and the
train settings, data sets, optimizers and task kinds from the compiler's own tables -- so a keyword or a
layer added there is highlighted and completed with no edit here. Never imports torch or pygls.
"""

from __future__ import annotations

import functools
import re

from netspec.grammar import GRAMMAR_PATH

_LITERAL = re.compile(r'"([a-z_][a-z0-9_]*)"')
CONSTANTS = ("true", "false", "none")


@functools.cache
def keywords() -> tuple[str, ...]:
    """The reserved words: every word the grammar spells out literally (`model`, `layers`, `out`, ...)."""
    return tuple(sorted(set(_LITERAL.findall(_code()))))


@functools.cache
def top_level_keywords() -> tuple[str, ...]:
    """The keywords that begin a top-level item (`model`, `layers`, ...): the first word of each `?item` rule."""
    code = _code()
    items = re.search(r"\?item\s*:(.*?)\n\s*\n", code, re.S)
    rules = re.findall(r"[a-z_]+", items.group(1)) if items else []
    found = set()
    for rule in rules:
        body = re.search(rf"^{rule}\s*:(.*?)(?=^\S|\Z)", code, re.M | re.S)
        if body is None:
            continue
        for alternative in body.group(1).split("|"):  # every alternative's first word (`use ...`, `from ...`)
            words = alternative.split()
            if not words:
                continue
            word = words[0]
            literal = re.search(rf'^{word}\s*:\s*"([a-z_]+)"', code, re.M) if word.isupper() else None
            if literal:
                found.add(literal.group(1))
            elif _LITERAL.fullmatch(word):
                found.add(word.strip('"'))
    return tuple(sorted(found))


def _code() -> str:
    text = GRAMMAR_PATH.read_text(encoding="utf-8")
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


@functools.cache
def layer_names() -> tuple[str, ...]:
    """The layers a spec can call: the catalog, less entries named by a reserved word (`param` is a statement)."""
    from netspec.compiler.catalog import CATALOG

    return tuple(sorted(set(CATALOG) - set(keywords())))


@functools.cache
def dtypes() -> tuple[str, ...]:
    from netspec.compiler.tensor_types import DTYPES

    return tuple(DTYPES)


@functools.cache
def task_kinds() -> tuple[str, ...]:
    from netspec.compiler.tasks import TASK_KINDS

    return tuple(TASK_KINDS)


@functools.cache
def settings() -> tuple[str, ...]:
    from netspec.compiler.train_config import SETTINGS

    return tuple(SETTINGS)


@functools.cache
def train_choices() -> tuple[str, ...]:
    """The named choices of the train settings: data sets, optimizers, schedules, early-stopping monitors."""
    from netspec.compiler.train_config import DATASETS, EARLY_STOPPING, OPTIMIZERS, SCHEDULES

    return tuple(sorted({*DATASETS, *OPTIMIZERS, *SCHEDULES, *EARLY_STOPPING} - set(CONSTANTS)))
