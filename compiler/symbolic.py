"""Symbolic tensor dimensions: integer polynomials over named dims, with exact floor division.

A dimension is an `int` or a `Sym`. `Sym` keeps a canonical form (a map from monomials
to integer coefficients), so `H - 3 + 1` and `H - 2` compare equal and constants fold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import total_ordering

# A monomial is a sorted tuple of atoms; an atom is a symbol name or a FloorDiv.
Atom = "str | FloorDiv"


@total_ordering
@dataclass(frozen=True)
class FloorDiv:
    num: Sym
    den: int

    def __str__(self) -> str:
        inner = str(self.num)
        simple = inner.isidentifier() or inner.lstrip("-").isdigit()
        return f"{inner} // {self.den}" if simple else f"({inner}) // {self.den}"

    def __lt__(self, other: object) -> bool:
        return _atom_key(self) < _atom_key(other)  # type: ignore[arg-type]


def _atom_key(atom: object) -> tuple[int, str]:
    return (0, atom) if isinstance(atom, str) else (1, str(atom))  # type: ignore[return-value]


@dataclass(frozen=True)
class Sym:
    """A polynomial with integer coefficients; `terms` maps monomial -> coefficient."""

    terms: tuple[tuple[tuple[object, ...], int], ...]

    # -- construction ------------------------------------------------------
    @staticmethod
    def var(name: str) -> Sym:
        return Sym((((name,), 1),))

    @staticmethod
    def _from(d: dict[tuple[object, ...], int]) -> Dim:
        items = tuple(sorted(((m, c) for m, c in d.items() if c != 0), key=lambda mc: [_atom_key(a) for a in mc[0]]))
        if not items:
            return 0
        if len(items) == 1 and items[0][0] == ():
            return items[0][1]
        return Sym(items)

    def _dict(self) -> dict[tuple[object, ...], int]:
        return dict(self.terms)

    # -- queries -----------------------------------------------------------
    def symbols(self) -> set[str]:
        out: set[str] = set()
        for mono, _ in self.terms:
            for atom in mono:
                out |= {atom} if isinstance(atom, str) else atom.num.symbols()
        return out

    def constant(self) -> int:
        return dict(self.terms).get((), 0)

    def evaluate(self, env: Mapping[str, int]) -> int:
        total = 0
        for mono, coeff in self.terms:
            value = coeff
            for atom in mono:
                value *= env[atom] if isinstance(atom, str) else evaluate(atom.num, env) // atom.den
            total += value
        return total

    def __str__(self) -> str:
        """Readable and valid as Python: `(H - 1) // 2`, `-((H + 1) // 2)`, `16 * H * W`."""
        terms = dict(self.terms)
        floor = [m for m in terms if len(m) == 1 and isinstance(m[0], FloorDiv)]
        if len(terms) <= 2 and len(floor) == 1 and terms[floor[0]] == 1 and set(terms) <= {floor[0], ()}:
            # (H + 1) // 2 - 1 reads better folded back: (H - 1) // 2
            atom = floor[0][0]
            return f"({add(atom.num, terms.get((), 0) * atom.den)}) // {atom.den}"
        parts: list[str] = []
        for mono, coeff in sorted(self.terms, key=lambda mc: (len(mc[0]) == 0, [_atom_key(a) for a in mc[0]])):
            wrap = len(mono) > 1 or coeff != 1
            body = " * ".join(f"({a})" if wrap and isinstance(a, FloorDiv) else str(a) for a in mono)
            mag = abs(coeff)
            text = body if mono and mag == 1 else (f"{mag} * {body}" if mono else str(mag))
            if not parts:
                parts.append(("-" if coeff < 0 else "") + text)
            else:
                parts.append(("- " if coeff < 0 else "+ ") + text)
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"Sym({self})"


Dim = int | Sym


def _as_dict(d: Dim) -> dict[tuple[object, ...], int]:
    return {(): d} if isinstance(d, int) else d._dict()


def add(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    out = _as_dict(a)
    for mono, c in _as_dict(b).items():
        out[mono] = out.get(mono, 0) + c
    return Sym._from(out)


def neg(a: Dim) -> Dim:
    return -a if isinstance(a, int) else Sym._from({m: -c for m, c in a._dict().items()})


def sub(a: Dim, b: Dim) -> Dim:
    return add(a, neg(b))


def mul(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    out: dict[tuple[object, ...], int] = {}
    for ma, ca in _as_dict(a).items():
        for mb, cb in _as_dict(b).items():
            mono = tuple(sorted(ma + mb, key=_atom_key))
            out[mono] = out.get(mono, 0) + ca * cb
    return Sym._from(out)


def floordiv(a: Dim, k: int) -> Dim:
    """a // k for a positive integer k, exact when every coefficient divides."""
    if k == 1:
        return a
    if isinstance(a, int):
        return a // k
    d = a._dict()
    if all(c % k == 0 for c in d.values()):
        return Sym._from({m: c // k for m, c in d.items()})
    # pull whole multiples of k out of the constant: (H + 2k + r) // k = (H + r) // k + 2
    const = d.get((), 0)
    whole, rest = divmod(const, k)
    inner = dict(d)
    inner[()] = rest
    return add(Sym._from({(FloorDiv(Sym._from(inner), k),): 1}), whole)  # type: ignore[arg-type]


def ceildiv(a: Dim, k: int) -> Dim:
    return neg(floordiv(neg(a), k))


def evaluate(d: Dim, env: Mapping[str, int]) -> int:
    return d if isinstance(d, int) else d.evaluate(env)


def symbols(d: Dim) -> set[str]:
    return set() if isinstance(d, int) else d.symbols()


def show(d: Dim) -> str:
    return str(d)


def product(dims: list[Dim]) -> Dim:
    out: Dim = 1
    for d in dims:
        out = mul(out, d)
    return out
