"""Property: break one size of a valid spec; `netc fix` restores a spec that passes, and never one that fails to parse."""

from __future__ import annotations

import random
import re
from pathlib import Path

from netspec.compiler import SourceFile, compile_text, fix_source, parse

from tests.conftest import SPECS

ROOT = Path(__file__).parent
VALID = [p for p in SPECS] + sorted((ROOT / "realbugs").glob("*/fixed.net"))
NUMBER = re.compile(r"(?<![\w.])\d+(?![\w.])")


def _layer_numbers(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of integer literals in `layers:` statements, outside comments."""
    spots, offset, in_layers = [], 0, False
    for line in text.splitlines(keepends=True):
        code = line.split("#", 1)[0]
        if re.match(r"\s*(model|input|task|block|train)\b", code):
            in_layers = False
        if re.match(r"\s*layers\s*:", code):
            in_layers = True
        elif in_layers:
            spots += [(offset + m.start(), offset + m.end()) for m in NUMBER.finditer(code)]
        offset += len(line)
    return spots


def mutants(seed: int = 0, wanted: int = 200) -> list[tuple[str, str]]:
    """Specs with one size changed that the compiler rejects, drawn with a fixed seed."""
    rng = random.Random(seed)
    texts = [(p.name if p.parent.name == "specs" else p.parent.name, p.read_text(encoding="utf-8")) for p in VALID]
    found: list[tuple[str, str]] = []
    tries = 0
    while len(found) < wanted and tries < wanted * 20:
        tries += 1
        name, text = rng.choice(texts)
        spots = _layer_numbers(text)
        if not spots:
            continue
        start, end = rng.choice(spots)
        old = int(text[start:end])
        new = rng.choice([old + 1, old - 1, old * 2, old + 7, max(1, old // 2)])
        if new == old or new < 1:
            continue
        broken = text[:start] + str(new) + text[end:]
        if not compile_text(broken).ok:
            found.append((f"{name}: {old} -> {new} at {start}", broken))
    return found


def test_netc_fix_restores_broken_sizes():
    cases = mutants()
    assert len(cases) >= 150
    restored, unparsable, left = 0, [], []
    for label, broken in cases:
        repaired = fix_source(SourceFile("mutant.net", broken)).text
        if parse(SourceFile("mutant.net", repaired))[0] is None:
            unparsable.append(label)
        elif compile_text(repaired).ok:
            restored += 1
        else:
            left.append(label)
    rate = restored / len(cases)
    print(
        f"\nproperty: {len(cases)} one-size mutants, netc fix restored {restored} ({rate:.1%}); unparsable {len(unparsable)}"
    )
    for label in left[:20]:
        print("  not restored:", label)
    assert not unparsable
    assert rate >= 0.90
