"""'Did you mean' suggestions by edit distance, the way Elm and rustc offer them."""

from __future__ import annotations

from collections.abc import Iterable

from netspec.compiler.diagnostics import Fix, TextEdit
from netspec.compiler.source import Span


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, case-insensitive."""
    a, b = a.lower(), b.lower()
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def closest(name: str, candidates: Iterable[str], limit: int = 2) -> str | None:
    """The nearest candidate within `limit` edits (scaled down for very short names)."""
    limit = min(limit, max(1, len(name) // 2))
    best: tuple[int, str] | None = None
    for cand in sorted(set(candidates)):
        dist = edit_distance(name, cand)
        if dist <= limit and (best is None or dist < best[0]):
            best = (dist, cand)
    return best[1] if best else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    match = closest(name, candidates)
    return f"did you mean `{match}`?" if match else ""


def rename_fixes(name: str, candidates: Iterable[str], span: Span) -> tuple[Fix, ...]:
    """'Did you mean' as a fix: rewrite `span` to the nearest candidate.

    Machine-applicable only when no other candidate is as near and the name is long enough
    (three letters or more) that one edit is unlikely to turn one meaningful name into another."""
    match = closest(name, candidates)
    if match is None:
        return ()
    best = edit_distance(name, match)
    ties = sum(edit_distance(name, c) == best for c in set(candidates))
    return (
        Fix(
            title=f"change `{name}` to `{match}`",
            edits=(TextEdit(span=span, replacement=match),),
            applicable=ties == 1 and len(name) >= 3,
        ),
    )
