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
    text = GRAMMAR_PATH.read_text(encoding="utf-8")
    code = "\n".join(line.split("//", 1)[0] for line in text.splitlines())
    return tuple(sorted(set(_LITERAL.findall(code))))


@functools.cache
def layer_names() -> tuple[str, ...]:
    from netspec.compiler.catalog import CATALOG

    return tuple(sorted(CATALOG))


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
