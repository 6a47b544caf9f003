"""`--set key=value` and the train flags: overrides read by the train section's own grammar and schema."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from netspec.compiler import ir
from netspec.compiler.diagnostics import Diagnostic, error
from netspec.compiler.pipeline import parse
from netspec.compiler.source import SourceFile, Span
from netspec.compiler.train_config import Choice, TrainConfig, resolve_train

_SETTING = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|\s)\s*(.*\S)\s*$", re.DOTALL)


def spec_literal(value: Any) -> str:
    """A plain value written back as spec text (the inverse of the grammar's literals)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # double-quoted, backslash escapes: the grammar's STRING
    if isinstance(value, list | tuple):
        return "[" + ", ".join(spec_literal(v) for v in value) + "]"
    raise TypeError(f"no spec literal for {type(value).__name__}")


def choice_text(choice: Choice) -> str:
    """`adam(lr=0.001, weight_decay=0.0)`: a bound choice as the setting a spec would write."""
    args = [f"{k}={spec_literal(v)}" for k, v in choice.args.items() if v is not None]
    return f"{choice.name}({', '.join(args)})" if args else choice.name


def setting_line(text: str) -> str:
    """`key=value` or `key value` -> the `key value` line of a train section (the text is kept as written)."""
    match = _SETTING.match(text)
    return f"{match.group(1)} {match.group(2)}" if match else text.strip()


def apply_overrides(
    config: TrainConfig, settings: Sequence[str], task_kind: str | None
) -> tuple[TrainConfig, list[Diagnostic], SourceFile]:
    """The config with `settings` (each one train-section line) written over it.

    Each line is compiled as a setting of a `train:` section, so it has the spec's syntax, argument
    schema, defaults and messages. A later line wins over an earlier one; `epochs` replaces `steps`
    and the other way round. Returns the diagnostics with the source they point into.
    """
    lines = [setting_line(s) for s in settings]
    source = SourceFile("--set", "train:\n" + "".join(f"    {line}\n" for line in lines))
    if not lines:
        return config, [], source
    if any("\n" in line for line in lines):
        at = next(i for i, line in enumerate(lines) if "\n" in line)
        return config, [_one_line(at)], source
    program, diags = parse(source)
    if program is None:
        return config, diags, source
    section = next(i for i in program.items if isinstance(i, ir.TrainSection))
    merged = config.written()
    for setting in section.settings:  # one at a time: a later --set may repeat an earlier key
        one = section.model_copy(update={"settings": (setting,)})
        override, more = resolve_train(one, task_kind)
        diags += more
        if more:
            continue
        written = override.written()
        if "epochs" in written:
            merged.pop("steps", None)
        if "steps" in written:
            merged.pop("epochs", None)
        merged |= written
    return (config if diags else TrainConfig.model_validate(merged)), diags, source


def _one_line(index: int) -> Diagnostic:
    return error(
        "E-train",
        "a --set value must fit on one line",
        Span.point(index + 2, 5),
        label="line break inside",
        help="write it as --set key=value on one line",
    )
