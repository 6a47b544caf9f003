"""Symbolic dimensions: canonical forms compare equal, and what netc prints is valid Python that
evaluates to the same number as the expression itself (so messages can be trusted)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from netspec.compiler.symbolic import Sym, add, ceildiv, evaluate, floordiv, mul, sub

H, W = Sym.var("H"), Sym.var("W")


@st.composite
def expressions(draw, depth: int = 0):
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from([H, W, 1, 2, 3, 7]))
    a = draw(expressions(depth + 1))
    op = draw(st.sampled_from(["add", "sub", "mul", "floor", "ceil"]))
    if op in ("floor", "ceil"):
        k = draw(st.integers(1, 4))
        return floordiv(a, k) if op == "floor" else ceildiv(a, k)
    b = draw(expressions(depth + 1))
    return {"add": add, "sub": sub, "mul": mul}[op](a, b)


@settings(max_examples=300, deadline=None)
@given(expressions(), st.integers(1, 60), st.integers(1, 60))
def test_printed_form_evaluates_like_the_expression(expr, h, w):
    env = {"H": h, "W": w}
    assert eval(str(expr), {}, env) == evaluate(expr, env)


def test_canonical_equalities():
    assert add(sub(H, 3), 1) == sub(H, 2)
    assert sub(add(H, 1), 1) == H
    assert floordiv(mul(H, 4), 2) == mul(H, 2)
    assert str(add(floordiv(sub(H, 3), 2), 1)) == "(H - 1) // 2"
    assert str(mul(mul(H, W), 16)) == "16 * H * W"
