"""The values a constant argument can take (numbers, words, `in -> out` pairs, lists), how a message names each, and why one does not fit its schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WORDS = {"true": True, "false": False, "none": None, "True": True, "False": False, "None": None}


@dataclass(frozen=True)
class IO:
    """The `in -> out` form of an explicit argument, e.g. `linear(1600 -> 128)`."""

    inp: Any
    out: Any


WORD_PADDINGS = ("same", "valid")  # the words a `padding` argument takes besides sizes


@dataclass(frozen=True)
class Word:
    """A bare name used as a value (`padding=same`, `loss=mse`)."""

    text: str


# the largest magnitude an integer computed from constants may have (as the parser allows for literals)
MAX_INT = 2**63 - 1
# the largest size a layer argument may have: beyond it no tensor dimension fits in PyTorch's indexing
MAX_SIZE = 2**31


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Word):
        return f"the name `{value.text}`"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, IO):
        return "an `in -> out` pair"
    return "nothing" if value is None else type(value).__name__


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class Unknown:
    """A block parameter's value while checking a block that no model uses (names only, no values)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class ArgProblem:
    """Why one argument value does not fit its schema entry; compiler.reports.arguments words it.

    `want` names what the entry accepts: int, number, finite, bool, choice, padding, ints, int_list,
    at_most (the size limit), each_at_most, minimum, maximum; `value` is the offending value."""

    want: str
    value: Any
