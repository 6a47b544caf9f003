"""`param NAME: [sizes] = INIT` -> the arguments of the catalog's `param` entry, so one schema checks them."""

from __future__ import annotations

from netspec.compiler import ir
from netspec.compiler.diagnostics import Diagnostic
from netspec.compiler.reports import arguments

_NAMED_INITS = ("zeros", "ones")
# positional order, as torch.Tensor.normal_(mean, std)
_CALLED_INITS = {"normal": ("mean", "std"), "trunc_normal": ("mean", "std")}


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
            return [], [arguments.initializer_extra_argument(init.callee, order, positional[len(order)].span)]
        named = [_arg(order[i], a.value) for i, a in enumerate(positional)]
        named += [a for a in init.args if a.name is not None]
        unknown = [a for a in named if a.name not in order]
        if unknown:
            where = unknown[0].name_span or unknown[0].span
            return [], [arguments.initializer_unknown_argument(init.callee, str(unknown[0].name), order, where)]
        return [*args, _arg("init", ir.Str(span=init.callee_span, value=init.callee)), *named], []
    if isinstance(init, ir.Call) or (isinstance(init, ir.Name) and init.id not in env):
        found = f"`{init.callee}(...)`" if isinstance(init, ir.Call) else f"`{init.id}`"
        return [], [arguments.unknown_initializer(stmt.target, found, init.span)]
    return [*args, _arg("init", ir.Str(span=init.span, value="constant")), _arg("value", init)], []
