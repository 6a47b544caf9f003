"""The layer reference (docs/layers.md and `netc layers`), generated from the catalog itself."""

from __future__ import annotations

from netspec.compiler.catalog import CATALOG
from netspec.compiler.catalog.base import ArgSpec

_ORDER = (
    "dense",
    "conv",
    "pool",
    "norm",
    "recurrent",
    "activation",
    "regularization",
    "shape",
    "resample",
    "combine",
    "parameter",
    "attention",
    "positions",
)
_TITLES = {
    "dense": "Dense",
    "conv": "Convolution",
    "pool": "Pooling",
    "norm": "Normalization",
    "recurrent": "Recurrent",
    "activation": "Activations",
    "regularization": "Regularization",
    "shape": "Shape",
    "resample": "Resizing",
    "parameter": "Learnable tensors (`param` declarations)",
    "combine": "Combining values",
    "attention": "Attention",
    "positions": "Positions and weight tying",
}


def _default(spec: ArgSpec) -> str:
    if spec.required:
        return "required"
    value = spec.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return repr(value)


def _arg_line(spec: ArgSpec) -> str:
    extra = []
    if spec.aliases:
        extra.append("alias " + ", ".join(f"`{a}`" for a in spec.aliases))
    if spec.choices:
        extra.append("one of " + ", ".join(f"`{c}`" for c in spec.choices))
    if spec.keyword_only:
        extra.append("keyword only")
    suffix = f" ({'; '.join(extra)})" if extra else ""
    return f"| `{spec.name}` | {spec.kind} | {_default(spec)}{suffix} |"


def layer_reference() -> str:
    lines = [
        "# Layer catalog",
        "",
        "Generated from `compiler/catalog` by `netc layers`; `tests/test_docs.py` keeps it current.",
        "Shapes are batch-first; `N` is the batch dimension.",
        "",
    ]
    for category in _ORDER:
        specs = [s for s in CATALOG.values() if s.category == category]
        if not specs:
            continue
        lines += [f"## {_TITLES[category]}", ""]
        for spec in sorted(specs, key=lambda s: s.name):
            lines += [f"### `{spec.name}`", "", spec.doc, "", f"Example: `{spec.example}`", ""]
            if spec.args:
                lines += ["| argument | type | default |", "|---|---|---|", *(_arg_line(a) for a in spec.args), ""]
    return "\n".join(lines)
