"""What a layer kind is: its argument schema, shape rule, parameter count and PyTorch form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netspec.compiler.tensor_types import TensorType

REQUIRED: Any = object()

Args = dict[str, Any]


class ShapeError(Exception):
    """Raised by a shape rule; the shape pass turns it into a diagnostic at the layer."""

    def __init__(
        self, message: str, *, code: str = "E-shape", label: str = "", help: str = "", notes: tuple[str, ...] = ()
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.label = label
        self.help = help
        self.notes = notes


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
WrapRule = Callable[[Args], str]


def _no_params(inputs: list[TensorType], args: Args) -> int:
    return 0


def _module_call(attr: str | None, names: list[str], args: Args) -> str:
    return f"{attr}({', '.join(names)})"


@dataclass(frozen=True)
class LayerSpec:
    name: str
    category: str
    doc: str
    args: tuple[ArgSpec, ...]
    shape: ShapeRule
    module: ModuleRule
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
    # the constructor call placed into a template at `{}` (a `param`: `nn.Parameter({} * 1e-06)`), or None
    wrap: WrapRule | None = None
    example: str = ""

    def arg(self, name: str) -> ArgSpec | None:
        for spec in self.args:
            if spec.name == name or name in spec.aliases:
                return spec
        return None
