"""The smallest input a network's windows fit: what to declare when convs and pools shrink a size to nothing."""

from __future__ import annotations

from collections.abc import Callable

from netspec.compiler.diagnostics import Diagnostic
from netspec.compiler.graph import Graph, InputNode

LARGEST = 8192  # no search past this size

Infer = Callable[[Graph], list[Diagnostic]]


def _with_dims(graph: Graph, decl: InputNode, size: int, axes: list[int]) -> Graph:
    dims = tuple(max(d, size) if i in axes and isinstance(d, int) else d for i, d in enumerate(decl.dims))
    inputs = tuple(i.model_copy(update={"dims": dims}) if i.id == decl.id else i for i in graph.inputs)
    return graph.model_copy(update={"inputs": inputs})


def smallest_input(
    graph: Graph, decl: InputNode, shrinks: Callable[[Diagnostic], bool], infer: Infer
) -> tuple[int | str, ...] | None:
    """The declaration's dims with every spatial size raised to the least value at which no window shrinks
    a size to nothing (None when no size up to LARGEST does, or the input has no spatial dims)."""
    axes = [i for i, d in enumerate(decl.dims) if i >= 2 and isinstance(d, int)]
    if not axes:
        return None

    def fits(size: int) -> bool:
        return not any(shrinks(d) for d in infer(_with_dims(graph, decl, size, axes)))

    low = min(int(decl.dims[i]) for i in axes)  # raising every size to the smallest changes nothing: fails
    high = low * 2
    while not fits(high):
        low, high = high, high * 2
        if high > LARGEST:
            return None
    while high - low > 1:  # fits(high), not fits(low)
        mid = (low + high) // 2
        low, high = (low, mid) if fits(mid) else (mid, high)
    resized = _with_dims(graph, decl, high, axes)
    return next(i.dims for i in resized.inputs if i.id == decl.id)
