"""Normalization layers: the feature count first, as PyTorch writes it, inferred when left out."""

from __future__ import annotations

from netspec.compiler.catalog import flop_rules
from netspec.compiler.catalog.base import Args, ArgSpec, LayerSpec, ShapeError
from netspec.compiler.catalog.common import channels, check_declared, concrete, need_float, need_rank
from netspec.compiler.symbolic import product, show
from netspec.compiler.tensor_types import TensorType

_BN_CLASS = {2: "nn.BatchNorm1d", 3: "nn.BatchNorm1d", 4: "nn.BatchNorm2d", 5: "nn.BatchNorm3d"}
_IN_CLASS = {3: "nn.InstanceNorm1d", 4: "nn.InstanceNorm2d", 5: "nn.InstanceNorm3d"}


def _eps(default: float = 1e-5) -> ArgSpec:
    return ArgSpec("eps", "float", default=default, minimum=0.0, keyword_only=True)


def _keywords(args: Args, defaults: dict[str, object], rename: dict[str, str] | None = None) -> list[str]:
    """`name=value` for every argument that differs from PyTorch's default, in schema order."""
    out = []
    for name, default in defaults.items():
        if args[name] != default:
            out.append(f"{(rename or {}).get(name, name)}={args[name]!r}")
    return out


def _feature_count(t: TensorType, args: Args, layer: str, notes: tuple[str, ...] = ()) -> int:
    """Dim 1 (PyTorch's num_features), checked against the one written."""
    actual = channels(t, layer)
    check_declared(layer, "features (dim 1)", args["features"], actual, t, f"{layer}({actual})", notes)
    return actual


def _written(inputs: list[TensorType], args: Args) -> str:
    """num_features as the spec wrote it (equal to dim 1 once checked), else dim 1."""
    return repr(args["features"] if args["features"] is not None else inputs[0].shape[1])


def _features_arg() -> ArgSpec:
    return ArgSpec(
        "features",
        "optional_int",
        default=None,
        minimum=1,
        aliases=("num_features", "channels", "num_channels"),
        doc="dim 1 of the input; inferred when left out",
    )


# ---- batchnorm ------------------------------------------------------------------------


def _bn_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "batchnorm", weights=True)
    need_rank(t, (2, 3, 4, 5), "batchnorm", "[N, C, ...]")
    _feature_count(t, args, "batchnorm")
    return t


def _bn_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    rendered = [_written(inputs, args), *_keywords(args, {"eps": 1e-5, "momentum": 0.1, "affine": True})]
    return _BN_CLASS[inputs[0].rank], rendered


BATCHNORM = LayerSpec(
    name="batchnorm",
    category="norm",
    doc="Batch normalization over dim 1; BatchNorm1d/2d/3d chosen from the input rank. "
    "`batchnorm(64)` states the feature count (checked); `batchnorm` infers it.",
    args=(
        _features_arg(),
        _eps(),
        ArgSpec("momentum", "float", default=0.1, minimum=0.0, maximum=1.0, keyword_only=True),
        ArgSpec("affine", "bool", default=True, keyword_only=True),
    ),
    shape=_bn_shape,
    params=lambda inputs, args: 2 * inputs[0].shape[1] if args["affine"] else 0,  # type: ignore[operator]
    module=_bn_module,
    prefix="bn",
    flops=flop_rules.no_flops,
    buffers=flop_rules.batchnorm_buffers,
    example="batchnorm(64)",
)

# ---- layernorm --------------------------------------------------------------------------


def _ln_dims(args: Args) -> int:
    shape = args["shape"]
    return len(shape) if shape is not None else (args["dims"] or 1)


def _ln_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "layernorm", weights=True)
    shape, dims = args["shape"], args["dims"]
    if shape is not None and dims is not None and dims != len(shape):
        raise ShapeError(
            f"layernorm normalizes {len(shape)} trailing dims {list(shape)}, but dims={dims}",
            code="E-arg-type",
            label=f"dims={dims}",
            help="give either the sizes or `dims`, not both",
        )
    n = _ln_dims(args)
    if n >= t.rank:
        raise ShapeError(
            f"layernorm over the last {n} dims needs at least a {n + 1}-D input, but its input is {t}",
            code="E-arg-type",
            label=f"input is {t}",
            help="normalize fewer dims; the batch dim is never normalized",
        )
    actual = [concrete(d, "normalized size", "layernorm") for d in t.shape[-n:]]
    if shape is not None and list(shape) != actual:
        written = shape[0] if len(shape) == 1 else list(shape)
        right = actual[0] if n == 1 else actual
        raise ShapeError(
            f"layernorm normalizes sizes {written}, but the last {n} dim{'s' * (n > 1)} of its input {t} "
            f"{'are' if n > 1 else 'is'} {right}",
            label=f"declared {written}, input has {right}",
            help=f"write `layernorm({right})`, or leave the size out and let netc infer it",
        )
    return t


def _ln_sizes(inputs: list[TensorType], args: Args) -> list[int]:
    if args["shape"] is not None:
        return list(args["shape"])
    return [int(d) for d in inputs[0].shape[-_ln_dims(args) :]]  # type: ignore[arg-type]


def _ln_params(inputs: list[TensorType], args: Args) -> int:
    if not args["affine"]:
        return 0
    size = product(_ln_sizes(inputs, args))
    assert isinstance(size, int)
    return size * (2 if args["bias"] else 1)


def _ln_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    sizes = _ln_sizes(inputs, args)
    rendered = [repr(sizes[0]) if len(sizes) == 1 else repr(tuple(sizes))]
    rendered += _keywords(args, {"eps": 1e-5, "affine": True, "bias": True}, {"affine": "elementwise_affine"})
    return "nn.LayerNorm", rendered


LAYERNORM = LayerSpec(
    name="layernorm",
    category="norm",
    doc="Layer normalization over trailing dims: `layernorm(768)` or `layernorm([7, 7])` as PyTorch's "
    "normalized_shape (checked), or `layernorm` / `layernorm(dims=2)` to infer the sizes.",
    args=(
        ArgSpec("shape", "int_list", default=None, aliases=("normalized_shape",)),
        ArgSpec("dims", "optional_int", default=None, minimum=1, keyword_only=True),
        _eps(),
        ArgSpec("affine", "bool", default=True, aliases=("elementwise_affine",), keyword_only=True),
        ArgSpec("bias", "bool", default=True, keyword_only=True),
    ),
    shape=_ln_shape,
    params=_ln_params,
    module=_ln_module,
    prefix="ln",
    flops=flop_rules.no_flops,
    example="layernorm(768)",
)

# ---- layernorm2d: ConvNeXt's channels-first layer norm -------------------------------------


def _ln2d_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "layernorm2d", weights=True)
    need_rank(t, (4,), "layernorm2d", "[N, C, H, W]")
    _feature_count(t, args, "layernorm2d")
    return t


def _ln2d_module(inputs: list[TensorType], args: Args) -> tuple[str, list[str]]:
    keywords = _keywords(args, {"eps": 1e-5, "affine": True}, {"affine": "elementwise_affine"})
    return "nn.LayerNorm", [_written(inputs, args), *keywords]


LAYERNORM2D = LayerSpec(
    name="layernorm2d",
    category="norm",
    doc="Layer normalization over the channels of [N, C, H, W] at each pixel (torchvision's LayerNorm2d "
    "in ConvNeXt): an nn.LayerNorm(C) applied channels-last, so its weight and bias load from torchvision.",
    args=(_features_arg(), _eps(), ArgSpec("affine", "bool", default=True, keyword_only=True)),
    shape=_ln2d_shape,
    params=lambda inputs, args: 2 * inputs[0].shape[1] if args["affine"] else 0,  # type: ignore[operator]
    module=_ln2d_module,
    call=lambda attr, names, args: f"{attr}({names[0]}.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)",
    prefix="ln",
    example="layernorm2d(96, eps=1e-6)",
    flops=flop_rules.no_flops,
)

# ---- groupnorm --------------------------------------------------------------------------


def _gn_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "groupnorm", weights=True)
    need_rank(t, (2, 3, 4, 5), "groupnorm", "[N, C, ...]")
    actual = channels(t, "groupnorm")
    check_declared(
        "groupnorm", "channels (dim 1)", args["features"], actual, t, f"groupnorm({args['groups']}, {actual})"
    )
    if actual % args["groups"]:
        raise ShapeError(
            f"groupnorm splits {actual} channels into {args['groups']} groups, but {args['groups']} does not divide "
            f"{actual}",
            label=f"groups={args['groups']}",
            help="choose a group count that divides the channel count",
        )
    per_group = product([actual // args["groups"], *t.shape[2:]])
    if per_group == 1:
        raise ShapeError(
            f"groupnorm({args['groups']}) on {t} normalizes groups of a single value, so every output is its bias",
            label=f"{actual} channels in {args['groups']} groups",
            help="use fewer groups, or normalize a map with more than one value per channel",
            notes=("PyTorch would return the bias for N >= 2 and raise for N = 1",),
        )
    return t


GROUPNORM = LayerSpec(
    name="groupnorm",
    category="norm",
    doc="Group normalization: dim 1 split into `groups` groups, each normalized (PyTorch's GroupNorm(groups, C)).",
    args=(
        ArgSpec("groups", "int", minimum=1, aliases=("num_groups",)),
        _features_arg(),
        _eps(),
        ArgSpec("affine", "bool", default=True, keyword_only=True),
    ),
    shape=_gn_shape,
    params=lambda inputs, args: 2 * inputs[0].shape[1] if args["affine"] else 0,  # type: ignore[operator]
    module=lambda inputs, args: (
        "nn.GroupNorm",
        [repr(args["groups"]), _written(inputs, args), *_keywords(args, {"eps": 1e-5, "affine": True})],
    ),
    prefix="gn",
    example="groupnorm(32, 256)",
    flops=flop_rules.no_flops,
)

# ---- instancenorm -----------------------------------------------------------------------


def _in_shape(inputs: list[TensorType], args: Args) -> TensorType:
    (t,) = inputs
    need_float(t, "instancenorm", weights=True)
    need_rank(t, (3, 4, 5), "instancenorm", "[N, C, L], [N, C, H, W] or [N, C, D, H, W]")
    # without weights or running statistics PyTorch never reads num_features: a wrong one only warns
    unused = not args["affine"] and not args["track_running_stats"]
    _feature_count(t, args, "instancenorm", (_UNUSED_FEATURES,) if unused else ())
    size = product(list(t.shape[2:]))
    if size == 1:
        raise ShapeError(
            f"instancenorm normalizes each channel over its {show(size)} spatial element, but needs more than one "
            f"(input {t})",
            label=f"input is {t}",
            help="remove it, or use it before the map is pooled to 1x1",
        )
    return t


_UNUSED_FEATURES = "PyTorch would run it with a warning: without affine or running statistics it ignores num_features"

INSTANCENORM = LayerSpec(
    name="instancenorm",
    category="norm",
    doc="Instance normalization of each channel of each sample; InstanceNorm1d/2d/3d chosen from the input rank. "
    "As in PyTorch, affine and running statistics are off unless asked for.",
    args=(
        _features_arg(),
        _eps(),
        ArgSpec("momentum", "float", default=0.1, minimum=0.0, maximum=1.0, keyword_only=True),
        ArgSpec("affine", "bool", default=False, keyword_only=True),
        ArgSpec("track_running_stats", "bool", default=False, keyword_only=True),
    ),
    shape=_in_shape,
    params=lambda inputs, args: 2 * inputs[0].shape[1] if args["affine"] else 0,  # type: ignore[operator]
    module=lambda inputs, args: (
        _IN_CLASS[inputs[0].rank],
        [
            _written(inputs, args),
            *_keywords(args, {"eps": 1e-5, "momentum": 0.1, "affine": False, "track_running_stats": False}),
        ],
    ),
    prefix="inorm",
    example="instancenorm(64, affine=true)",
    flops=flop_rules.no_flops,
    buffers=flop_rules.tracked_stats_buffers,
)

LAYERS = (BATCHNORM, LAYERNORM, LAYERNORM2D, GROUPNORM, INSTANCENORM)
