"""What a layer kind is: its argument schema, shape rule, parameter count and PyTorch form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netspec.compiler.symbolic import Dim
from netspec.compiler.tensor_types import TensorType

REQUIRED: Any = object()

Args = dict[str, Any]


@dataclass(frozen=True)
class Repair:
    """A fix a shape rule proposes for its own layer call; the shape pass turns it into text edits.

    `set_args` rewrites arguments (a value of None drops the argument and lets netc infer it);
    `before` is inserted in front of the call (`flatten -> `). `input_order` blames the model's
    input: when the layer reads a declared input directly, its declaration is rewritten with the
    dimensions in this order (the channels-last image declared channels-first).
    """

    title: str
    set_args: tuple[tuple[str, Any], ...] = ()
    before: str = ""
    input_order: tuple[int, ...] = ()
    # (axis, size): or the declared input is what is wrong, and this axis should have this size
    input_size: tuple[int, int] | None = None
    remove: bool = False  # delete the layer from its chain
    applicable: bool = True


class ShapeError(Exception):
    """Raised by a shape rule; the shape pass turns it into a diagnostic at the layer."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "E-shape",
        label: str = "",
        help: str = "",
        notes: tuple[str, ...] = (),
        repairs: tuple[Repair, ...] = (),
        shrinks: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.label = label
        self.help = help
        self.notes = notes
        self.repairs = repairs
        # a window made a size non-positive: the shape pass adds the input shape and what shrank it
        self.shrinks = shrinks


@dataclass(frozen=True)
class ArgSpec:
    """One argument. `kind` is a type name understood by compiler.args.check_arg."""

    name: str
    kind: str  # int, float, bool, choice, ints (int or tuple of `arity` ints), padding, dims, optional_int, int_or_none_list
    default: Any = REQUIRED
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    aliases: tuple[str, ...] = ()
    arity: int = 1  # for `ints`/`padding`: how many values a tuple must hold
    keyword_only: bool = False
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


ShapeRule = Callable[[list[TensorType], Args], TensorType]
ParamRule = Callable[[list[TensorType], Args], int]
# (class expression, constructor arguments) or None for a parameter-free functional op
ModuleRule = Callable[[list[TensorType], Args], tuple[str, list[str]] | None]
# forward expression given the attribute expression (or None) and the input variable names
CallRule = Callable[[str | None, list[str], Args], str]
# FLOPs of one application given its inputs and output type (see catalog/flop_rules.py); None: not counted
FlopRule = Callable[[list[TensorType], TensorType, Args], Dim]
WrapRule = Callable[[Args], str]


def _no_params(inputs: list[TensorType], args: Args) -> int:
    return 0


def functional(inputs: list[TensorType], args: Args) -> None:
    """The module rule of a layer with no state: it is written as a call in forward, not as an attribute."""
    return None


def _module_call(attr: str | None, names: list[str], args: Args) -> str:
    return f"{attr}({', '.join(names)})"


@dataclass(frozen=True)
class LayerSpec:
    name: str
    category: str
    doc: str
    args: tuple[ArgSpec, ...]
    shape: ShapeRule
    module: ModuleRule = functional
    params: ParamRule = _no_params
    call: CallRule = _module_call
    # an explicit `a -> b` first argument binds these two arguments (e.g. in_features, out_features)
    io: tuple[str, str] | None = None
    # attribute-name prefix for generated code (conv1, conv2, fc1...)
    prefix: str = ""
    arity: int = 1  # number of tensor inputs; 0 means "any number >= 2"; -1: none, made by a declaration
    # every positional argument goes into the first schema entry as a tuple (`reshape(16, -1)`)
    varargs: bool = False
    # what the lints know the layer as: "affine" (a linear map: linear after linear collapses),
    # "squash" (softmax/sigmoid: wrong before a logits loss), "dropout" (random zeroing: wrong last),
    # "idempotent" (f(f(x)) == f(x): repeating it with `* n` is a mistake)
    role: str = ""
    # how many more tensor inputs may follow the first (attention: keys/values, then a key-padding mask)
    optional_inputs: int = 0
    # helper source (functions, classes) that generated modules calling this layer need, each emitted once
    support: tuple[str, ...] = ()
    # the layer kind whose weight this one shares, named as its argument (`tied_linear(tok)` -> "embedding")
    ties: str = ""
    # the argument bounding the input's dim 1 (a position table's length): a symbolic size there is checked on the data
    bounds_length: str = ""
    # the constructor call placed into a template at `{}` (a `param`: `nn.Parameter({} * 1e-06)`), or None
    wrap: WrapRule | None = None
    example: str = ""
    # FLOPs as torch.utils.flop_counter.FlopCounterMode counts them; None means "not counted" (shown as such)
    flops: FlopRule | None = None
    # elements of the module's buffers (batchnorm's running statistics): torchinfo's "buffers" column
    buffers: ParamRule = _no_params

    def arg(self, name: str) -> ArgSpec | None:
        for spec in self.args:
            if spec.name == name or name in spec.aliases:
                return spec
        return None
