"""Axis roles: which dims of a tensor are time, channels or features follows from where it came from.

PyTorch's conv1d reads [N, C, L] while embeddings and recurrent layers give [N, T, F]; a conv1d on
their output runs without error and convolves over the features with the time steps as channels.
An image declared channels-last ([N, 28, 28, 1]) goes the same way into conv2d. Both are warnings
with the permute that fixes them.
"""

from __future__ import annotations

from netspec.compiler.catalog import CATALOG
from netspec.compiler.diagnostics import Diagnostic, Fix, Label, warning
from netspec.compiler.edits import insert_at
from netspec.compiler.graph import Graph, InputNode, LayerNode
from netspec.compiler.repairs import declare_dims
from netspec.compiler.source import SourceFile
from netspec.compiler.tensor_types import TensorType, show_shape

# categories whose output keeps the input's axis roles
_KEEPS_ROLES = {"activation", "regularization", "norm"}
# the small channel counts an image has; a last dim like this after a large one suggests channels-last
_IMAGE_CHANNELS = {1, 3, 4}


def _sequence_source(node_id: str, producers: dict[str, LayerNode]) -> LayerNode | None:
    """The embedding or recurrent layer whose [N, T, F] output reaches `node_id` unchanged in layout."""
    node = producers.get(node_id)
    while node is not None:
        spec = CATALOG[node.op]
        if spec.name == "embedding" or spec.category == "recurrent":
            return node
        if spec.category not in _KEEPS_ROLES or len(node.inputs) != 1:
            return None
        node = producers.get(node.inputs[0])
    return None


def channels_last_order(dims: tuple[int | str, ...]) -> tuple[int, ...] | None:
    """The permutation to channels-first when a declared image looks channels-last ([N, 28, 28, 1])."""
    if len(dims) < 4:
        return None
    last, second = dims[-1], dims[1]
    if not (isinstance(last, int) and last in _IMAGE_CHANNELS and isinstance(second, int) and second > 4 * last):
        return None
    return (0, len(dims) - 1, *range(1, len(dims) - 1))


def channels_first_fix(decl: InputNode, source: SourceFile | None) -> Fix | None:
    order = channels_last_order(decl.dims)
    edit = declare_dims(decl, tuple(decl.dims[i] for i in order), source) if order and source else None
    return Fix(title="declare the input channels-first", edits=(edit,)) if edit is not None else None


def axis_warnings(
    node: LayerNode, graph: Graph, types: dict[str, TensorType], source: SourceFile | None = None
) -> list[Diagnostic]:
    spec = CATALOG[node.op]
    if spec.category != "conv" or len(node.inputs) != 1 or node.inputs[0] not in types:
        return []
    seen = types[node.inputs[0]]
    producers = {n.id: n for n in graph.nodes}
    if seen.rank == 3:
        source = _sequence_source(node.inputs[0], producers)
        if source is None:
            return []
        return [
            warning(
                "W-axis",
                f"{node.op} reads dim 1 as channels, but in {show_shape(seen.shape)} from {source.op} "
                "dim 1 is time and dim 2 the features",
                node.span,
                label="convolves over the features, with the time steps as channels",
                secondary=(Label(span=source.span, message=f"{source.op} gives [N, T, F]"),),
                help=f"permute to [N, F, T] first: `permute(0, 2, 1) -> {node.op}(...)`",
                notes=("a recurrent layer after the convolution needs `permute(0, 2, 1)` back to [N, T, F]",),
                fixes=(
                    Fix(
                        title="permute the sequence to [N, F, T] first",
                        edits=(insert_at(node.span.line, node.span.column, "permute(0, 2, 1) -> "),),
                    ),
                ),
            )
        ]
    decl = next((i for i in graph.inputs if i.id == node.inputs[0]), None)
    order = channels_last_order(decl.dims) if decl is not None else None
    if decl is None or order is None:
        return []
    last, second = seen.shape[-1], seen.shape[1]
    perm = ", ".join(map(str, order))
    declare = channels_first_fix(decl, source)
    return [
        warning(
            "W-axis",
            f"{node.op} reads dim 1 ({second}) as channels; the input {show_shape(seen.shape)} looks channels-last",
            decl.span,
            label=f"{last} channel{'s' * (last != 1)} last?",
            secondary=(Label(span=node.span, message=f"reads {second} channels"),),
            help=f"PyTorch layers read [N, C, ...]: declare the input channels-first, or `permute({perm})` first",
            fixes=(
                *((declare,) if declare is not None else ()),
                Fix(
                    title=f"permute the input to channels-first first: `permute({perm}) ->`",
                    edits=(insert_at(node.span.line, node.span.column, f"permute({perm}) -> "),),
                ),
            ),
        )
    ]
