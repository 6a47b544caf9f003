"""`param NAME: [sizes] = INIT` -> the arguments of the catalog's `param` entry, so one schema checks them."""

from __future__ import annotations

from netspec.compiler import ir
from netspec.compiler.diagnostics import Diagnostic, error

_NAMED_INITS = ("zeros", "ones")
# positional order, as torch.Tensor.normal_(mean, std)
_CALLED_INITS = {"normal": ("mean", "std"), "trunc_normal": ("mean", "std")}
_HELP = "write a number (`= 1e-6`), `= zeros`, `= ones`, `= normal(std=0.02)` or `= trunc_normal(std=0.02)`"


def _arg(name: str, value: ir.Expr) -> ir.Arg:
    return ir.Arg(span=value.span, name=name, name_span=value.span, value=value)


def param_args(stmt: ir.ParamDecl, env: dict) -> tuple[list[ir.Arg], list[Diagnostic]]:
    """Arguments for the `param` layer spec: name, shape, init and the initializer's own arguments."""
    init = stmt.init
    args = [_arg("name", ir.Str(span=stmt.target_span, value=stmt.target)), _arg("shape", stmt.shape)]
    if isinstance(init, ir.Name) and init.id in _NAMED_INITS:
        return [*args, _arg("init", ir.Str(span=init.span, value=init.id))], []
    if isinstance(init, ir.Call) and init.callee in _CALLED_INITS:
        order = _CALLED_INITS[init.callee]
        positional = [a for a in init.args if a.name is None]
        if len(positional) > len(order):
            return [], [
                error(
                    "E-arg-count",
                    f"{init.callee} takes at most {len(order)} positional arguments ({', '.join(order)})",
                    positional[len(order)].span,
                    label="extra argument",
                    help=_HELP,
                )
            ]
        named = [_arg(order[i], a.value) for i, a in enumerate(positional)]
        named += [a for a in init.args if a.name is not None]
        unknown = [a for a in named if a.name not in order]
        if unknown:
            return [], [
                error(
                    "E-unknown-arg",
                    f"{init.callee} has no argument `{unknown[0].name}`",
                    unknown[0].name_span or unknown[0].span,
                    label="unknown argument",
                    help=f"{init.callee}({', '.join(order)})",
                )
            ]
        return [*args, _arg("init", ir.Str(span=init.callee_span, value=init.callee)), *named], []
    if isinstance(init, ir.Call) or (isinstance(init, ir.Name) and init.id not in env):
        found = f"`{init.callee}(...)`" if isinstance(init, ir.Call) else f"`{init.id}`"
        return [], [
            error(
                "E-arg-type",
                f"param {stmt.target} has an unknown initializer {found}",
                init.span,
                label="not an initializer",
                help=_HELP,
            )
        ]
    return [*args, _arg("init", ir.Str(span=init.span, value="constant")), _arg("value", init)], []
