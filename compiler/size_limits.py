"""Upper bounds on symbolic input sizes that layers imply (a position table of max_len), for the runtime to check."""

from __future__ import annotations

from netspec.compiler.catalog import CATALOG
from netspec.compiler.shapes import Checked
from netspec.compiler.symbolic import Sym, symbols


def size_limits(checked: Checked) -> dict[str, dict[str, int | str]]:
    """Symbol -> the smallest bound on it and the layer that sets it (`T` <= 64, position_embedding at line 15)."""
    limits: dict[str, dict[str, int | str]] = {}
    for node in checked.graph.nodes:
        arg = CATALOG[node.op].bounds_length
        if not arg or not node.inputs:
            continue
        length = checked.types[node.inputs[0]].shape[1]
        names = symbols(length) if not isinstance(length, int) else set()
        if len(names) != 1 or length != Sym.var(next(iter(names))):
            continue  # only a plain symbol maps to one input dim; an expression in it is not checked
        name, bound = next(iter(names)), node.args[arg]
        if name not in limits or bound < limits[name]["max"]:
            where = f"{node.op} at line {node.span.line}" + (f" of {node.span.file}" if node.span.file else "")
            limits[name] = {"max": bound, "layer": where, "arg": arg}
    return limits
