"""Tensor types that flow through shape inference: dtype, shape and where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from netspec.compiler.symbolic import Dim, show

FLOAT_DTYPES = ("float32", "float64", "float16", "bfloat16")
INT_DTYPES = ("int64", "int32", "int16", "int8", "uint8")
DTYPES = FLOAT_DTYPES + INT_DTYPES + ("bool",)


@dataclass(frozen=True)
class TensorType:
    dtype: str
    shape: tuple[Dim, ...]
    # True for channel-first feature maps from conv/pool (a linear on these needs flatten)
    spatial: bool = False
    # how the last dim was computed, for messages ("64 * 5 * 5 = 1600 from flatten at line 8")
    origin: str = field(default="", compare=False)

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES

    def with_shape(self, shape: tuple[Dim, ...], *, spatial: bool | None = None, origin: str = "") -> TensorType:
        return TensorType(self.dtype, tuple(shape), self.spatial if spatial is None else spatial, origin)

    def __str__(self) -> str:
        return show_shape(self.shape)


def show_shape(shape: tuple[Dim, ...]) -> str:
    return "[" + ", ".join(show(d) for d in shape) + "]"
