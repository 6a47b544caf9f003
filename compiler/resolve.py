"""Name resolution: spec IR -> a flat graph of catalog layers, expanding blocks and repetitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netspec.compiler import ir
from netspec.compiler.args import UNKNOWN, WORDS, NotConstant, Unknown, bind_call, constant, describe
from netspec.compiler.catalog import CATALOG, OPERATOR_LAYERS
from netspec.compiler.catalog.base import REQUIRED, ArgSpec
from netspec.compiler.diagnostics import Diagnostic, Label, error, warning
from netspec.compiler.fmt import step_text
from netspec.compiler.graph import BlockInstance, Graph, InputNode, LayerNode, Repeat, ShapeAssertion
from netspec.compiler.param_decl import param_args
from netspec.compiler.source import Span
from netspec.compiler.suggest import closest, rename_fixes

POISON = "<error>"
BLOCK_INPUT = "in"
MAX_REPEAT = 1000
MAX_NODES = 200_000
MAX_BLOCK_DEPTH = 32  # blocks inside blocks; deeper nesting would exhaust Python's stack (docs/language.md)


@dataclass
class Scope:
    values: dict[str, str]
    env: dict[str, Any]
    prefix: str = ""
    path: tuple[str, ...] = ()
    block_stack: tuple[str, ...] = ()
    taken: set[str] = field(default_factory=set)
    counters: dict[str, int] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    value_spans: dict[str, Span] = field(default_factory=dict)

    def fresh(self, base: str) -> str:
        while True:
            self.counters[base] = self.counters.get(base, 0) + 1
            candidate = f"{base}{self.counters[base]}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


class Resolver:
    def __init__(self, program: ir.Program) -> None:
        self.program = program
        self.diags: list[Diagnostic] = []
        self.nodes: list[LayerNode] = []
        self.instances: list[BlockInstance] = []
        self.assertions: list[ShapeAssertion] = []
        self.repeats: list[Repeat] = []
        # every user-given value name, prefixed with its block instance path ("down1.y")
        self.names: dict[str, str] = {}
        self.blocks: dict[str, ir.BlockDef] = {}
        self.block_defaults: dict[str, dict[str, Any]] = {}
        self.used_blocks: set[str] = set()
        # while checking a block that no model uses: report name errors, build nothing
        self.dry = False

    # ---- helpers ------------------------------------------------------------
    def err(self, code: str, message: str, span: Span, **extra: Any) -> None:
        self.diags.append(error(code, message, span, **extra))

    def is_callable(self, name: str, scope: Scope) -> bool:
        layer = name in CATALOG and CATALOG[name].arity >= 0  # a `param` is declared, never called
        return (layer or name in self.blocks) and name not in scope.values and name not in scope.env

    def is_tensor(self, expr: ir.Expr, scope: Scope) -> bool:
        if isinstance(expr, ir.Name):
            return expr.id in scope.values or self.is_callable(expr.id, scope)
        if isinstance(expr, ir.Call):
            return expr.callee in CATALOG or expr.callee in self.blocks or expr.callee in scope.values
        if isinstance(expr, ir.Chain):
            return any(self.is_tensor(s, scope) for s in expr.steps)
        if isinstance(expr, ir.BinOp):
            return self.is_tensor(expr.left, scope) or self.is_tensor(expr.right, scope)
        if isinstance(expr, ir.Neg):
            return self.is_tensor(expr.operand, scope)
        return isinstance(expr, ir.AssertShape)

    def unknown_name(self, name: str, span: Span, scope: Scope, expect_value: bool) -> None:
        values = [v for v in scope.values if v != BLOCK_INPUT or scope.block_stack]
        callables = list(CATALOG) + list(self.blocks)
        value_match = closest(name, values)
        layer_match = closest(name, callables)
        if expect_value or (value_match and not layer_match):
            known = ", ".join(f"`{v}`" for v in values) or "none yet"
            self.err(
                "E-unknown-value",
                f"unknown value `{name}`",
                span,
                label="not defined",
                help=f"did you mean `{value_match}`?" if value_match else f"values defined so far: {known}",
                fixes=rename_fixes(name, values, span),
                notes=("a value must be named with `name = ...` before it is used",),
            )
            return
        self.err(
            "E-unknown-layer",
            f"unknown layer `{name}`",
            span,
            label="not a layer, block or value",
            help=f"did you mean `{layer_match}`?" if layer_match else "see docs/layers.md for the layer catalog",
            fixes=rename_fixes(name, callables, span),
        )

    def add_node(
        self,
        op: str,
        args: dict[str, Any],
        inputs: list[str],
        span: Span,
        scope: Scope,
        name: str | None,
        arg_spans: dict[str, Span] | None = None,
    ) -> str:
        if self.dry:
            return POISON
        if len(self.nodes) >= MAX_NODES:
            if len(self.nodes) == MAX_NODES:
                self.err(
                    "E-structure",
                    f"the model expands to more than {MAX_NODES} layers",
                    span,
                    help="reduce the repetition counts",
                )
                self.nodes.append(self.nodes[-1])
            return POISON
        spec = CATALOG[op]
        local = name if name is not None else scope.fresh(spec.prefix or op)
        node_id = scope.prefix + local
        self.nodes.append(
            LayerNode(
                id=node_id,
                op=op,
                args=args,
                inputs=tuple(inputs),
                span=span,
                scope=scope.path,
                arg_spans=arg_spans or {},
            )
        )
        return node_id if POISON not in inputs else POISON

    # ---- expressions --------------------------------------------------------
    def evaluate(
        self,
        expr: ir.Expr,
        cur: str | None,
        scope: Scope,
        *,
        allow_value: bool,
        expect_value: bool = False,
        name: str | None = None,
    ) -> str:
        """Evaluate a tensor expression. `cur` is the implicit input; `allow_value` lets a named value start it."""
        if isinstance(expr, ir.AssertShape):
            value = self.evaluate(expr.value, cur, scope, allow_value=allow_value, expect_value=expect_value, name=name)
            dims = self.assertion_dims(expr.shape)
            if dims is not None and value != POISON and not self.dry:
                self.assertions.append(ShapeAssertion(node=value, dims=dims, span=expr.shape.span))
            return value
        if isinstance(expr, ir.Name):
            if expr.id in scope.values:
                scope.used.add(expr.id)
                if not allow_value:
                    self.err(
                        "E-structure",
                        f"`{expr.id}` is a value, not a layer; only the first step of a chain can be a value",
                        expr.span,
                        label="a value in the middle of a chain",
                        help=f"to combine it, write e.g. `(... ) + {expr.id}`; to restart from it, begin a new line with `{expr.id} -> ...`",
                    )
                    return POISON
                return scope.values[expr.id]
            if self.is_callable(expr.id, scope):
                return self.apply_callable(expr.id, expr.span, [], expr.span, cur, scope, name)
            if expr.id in scope.env:
                self.err(
                    "E-structure",
                    f"`{expr.id}` is a block parameter (a number), not a layer or value",
                    expr.span,
                    label="block parameter",
                )
                return POISON
            self.unknown_name(expr.id, expr.span, scope, expect_value)
            return POISON
        if isinstance(expr, ir.Call):
            if expr.callee in scope.values:
                self.err(
                    "E-structure",
                    f"`{expr.callee}` is a value and cannot be called",
                    expr.callee_span,
                    label="a value, not a layer",
                )
                return POISON
            if not self.is_callable(expr.callee, scope):
                self.unknown_name(expr.callee, expr.callee_span, scope, expect_value=False)
                for arg in expr.args:  # still report independent problems inside the arguments
                    if self.is_tensor(arg.value, scope):
                        self.evaluate(arg.value, cur, scope, allow_value=True, expect_value=True)
                return POISON
            return self.apply_callable(expr.callee, expr.callee_span, list(expr.args), expr.span, cur, scope, name)
        if isinstance(expr, ir.Chain):
            value = self.evaluate(expr.steps[0], cur, scope, allow_value=allow_value, expect_value=expect_value)
            for index, step in enumerate(expr.steps[1:], start=1):
                if isinstance(step, ir.BinOp):  # a repetition inside a chain: lint it against the steps before
                    value = self.binop(step, value, scope, expr.steps[:index])
                else:
                    value = self.evaluate(step, value, scope, allow_value=False)
            return value
        if isinstance(expr, ir.BinOp):
            return self.binop(expr, cur, scope)
        if isinstance(expr, ir.Neg) and self.is_tensor(expr.operand, scope):
            value = self.evaluate(expr.operand, cur, scope, allow_value=allow_value, expect_value=True)
            return self.add_node("neg", {}, [value], expr.span, scope, None)
        self.err(
            "E-structure",
            "expected a layer or value here",
            expr.span,
            label=f"a {'constant' if not isinstance(expr, ir.Neg) else 'negation'}",
            help="a statement applies layers, e.g. `conv2d(32, 3) -> relu`",
        )
        return POISON

    def consumes_input(self, expr: ir.Expr, scope: Scope) -> bool:
        """A layer expression (applied to the value before it) rather than a value (`x`, `relu(in + y)`)."""
        if isinstance(expr, ir.Name):
            return expr.id not in scope.values
        if isinstance(expr, ir.Call):
            explicit = any(a.name is None and self.is_tensor(a.value, scope) for a in expr.args)
            return expr.callee not in scope.values and not explicit
        if isinstance(expr, ir.Chain):
            return self.consumes_input(expr.steps[0], scope)
        if isinstance(expr, ir.AssertShape):
            return self.consumes_input(expr.value, scope)
        if isinstance(expr, ir.Neg):
            return self.consumes_input(expr.operand, scope)
        if isinstance(expr, ir.BinOp):
            sides = [s for s in (expr.left, expr.right) if self.is_tensor(s, scope)]
            return any(self.consumes_input(s, scope) for s in sides)
        return False

    def binop(self, expr: ir.BinOp, cur: str | None, scope: Scope, before: tuple[ir.Expr, ...] = ()) -> str:
        left_t, right_t = self.is_tensor(expr.left, scope), self.is_tensor(expr.right, scope)
        for side, is_t in ((expr.left, left_t), (expr.right, right_t)):
            if not is_t and isinstance(side, ir.Name) and side.id not in scope.env and side.id not in WORDS:
                self.unknown_name(side.id, side.span, scope, expect_value=True)
                return POISON
        if left_t != right_t:
            tensor, number = (expr.left, expr.right) if left_t else (expr.right, expr.left)
            if expr.op == "*" and self.consumes_input(tensor, scope):
                return self.repeat(expr, tensor, number, cur, scope, before)
            return self.arithmetic(expr, tensor, number, cur, scope)
        if not (left_t and right_t):
            self.err(
                "E-structure",
                "expected a layer or value here",
                expr.span,
                label="a number",
                help="a statement applies layers, e.g. `conv2d(32, 3) -> relu`; `x * 0.5` scales a value",
            )
            return POISON
        if expr.op == "/":
            self.err(
                "E-structure",
                "`/` divides a value by a number, not by another value",
                expr.span,
                label="two values",
                help="`+`, `-` and `*` between two values are elementwise; `x / 6` divides by a number",
            )
            return POISON
        left = self.evaluate(expr.left, cur, scope, allow_value=True, expect_value=True)
        right = self.evaluate(expr.right, cur, scope, allow_value=True, expect_value=True)
        return self.add_node(OPERATOR_LAYERS[expr.op], {}, [left, right], expr.span, scope, None)

    def arithmetic(self, expr: ir.BinOp, tensor: ir.Expr, number_expr: ir.Expr, cur: str | None, scope: Scope) -> str:
        """A value and a number: `x * 0.5`, `in + 1`, `1 - x`, `x / 6` (catalog layer `scalar`)."""
        try:
            number = constant(number_expr, scope.env)
        except NotConstant as exc:
            self.diags.append(exc.diagnostic)
            return POISON
        value = self.evaluate(tensor, cur, scope, allow_value=True, expect_value=True)
        if isinstance(number, Unknown) or value == POISON:
            return POISON
        if isinstance(number, bool) or not isinstance(number, int | float):
            self.err(
                "E-arg-type",
                f"`{expr.op}` combines a value with a number, not with {describe(number)}",
                number_expr.span,
                label="not a number",
                help="write e.g. `x * 0.5` or `in + 1`",
            )
            return POISON
        args = {"op": expr.op, "value": number, "left": tensor is expr.right}
        return self.add_node("scalar", args, [value], expr.span, scope, None, {"value": number_expr.span})

    def repeat(
        self, expr: ir.BinOp, body: ir.Expr, count_expr: ir.Expr, cur: str | None, scope: Scope, before: tuple
    ) -> str:
        """`layer * n`: n applications in a row, each its own layers (an nn.Sequential when each is one module)."""
        count = self.repeat_count(count_expr, scope, body)
        if count > 1:
            self.lint_repeat(expr, body, count, before, scope)
        value = cur
        members: list[str] = []
        for _ in range(count):
            nodes_before, instances_before = len(self.nodes), len(self.instances)
            value = self.evaluate(body, value, scope, allow_value=False)
            if value == POISON:
                break
            members.append(self.single_item(nodes_before, instances_before, scope))
        if count > 1 and all(members) and len(members) == count and not self.dry:
            self.repeats.append(Repeat(members=tuple(members), span=expr.span, scope=scope.path))
        return value if count else POISON

    def lint_repeat(self, expr: ir.BinOp, body: ir.Expr, count: int, before: tuple, scope: Scope) -> None:
        """`relu * 3` is relu once: say so, and show the repetition the author most likely meant."""
        name = body.id if isinstance(body, ir.Name) else body.callee if isinstance(body, ir.Call) else None
        if name not in CATALOG or CATALOG[name].role != "idempotent" or name in self.blocks:
            return
        if before:
            steps = " -> ".join(step_text(s) for s in before)
            meant = f"did you mean `({steps} -> {step_text(body)}) * {count}`?"
        else:
            meant = f"write `{step_text(body)}` once"
        self.diags.append(
            warning(
                "W-repeat",
                f"repeating {name} changes nothing: {name} applied twice equals {name} applied once",
                expr.span,
                label=f"{name} repeated {count} times",
                help=meant,
                notes=("`*` repeats the one step before it; parenthesize a chain to repeat it all",),
            )
        )

    def single_item(self, nodes_before: int, instances_before: int, scope: Scope) -> str:
        """The one layer or block instance an application created at this scope, or '' if it made several."""
        nodes = [n.id for n in self.nodes[nodes_before:] if n.scope == scope.path]
        instances = [b.id for b in self.instances[instances_before:] if b.scope == scope.path]
        if len(nodes) + len(instances) == 1:
            return (nodes + instances)[0]
        return ""

    def repeat_count(self, expr: ir.Expr, scope: Scope, body: ir.Expr) -> int:
        try:
            count = constant(expr, scope.env)
        except NotConstant as exc:
            self.diags.append(exc.diagnostic)
            return 0
        if isinstance(count, Unknown):
            return 1
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_REPEAT:
            self.err(
                "E-arg-type",
                f"a repetition count must be an integer from 1 to {MAX_REPEAT}, not {count!r}",
                expr.span,
                label="repetition count",
                help="write e.g. `basic(64) * 2`"
                if not isinstance(count, float)
                else f"to scale a value, multiply the value: `(x -> {step_text(body)}) * {count!r}` or `y * {count!r}`",
            )
            return 0
        return count

    def assertion_dims(self, shape: ir.ListExpr) -> tuple[int | str, ...] | None:
        dims: list[int | str] = []
        for item in shape.items:
            if isinstance(item, ir.Int):
                dims.append(item.value)
            elif isinstance(item, ir.Name):
                dims.append(item.id)
            else:
                self.err(
                    "E-assert",
                    "a shape assertion lists integers and dimension names",
                    item.span,
                    label="not a dimension",
                )
                return None
        return tuple(dims)

    # ---- layers and blocks ----------------------------------------------------
    def apply_callable(
        self,
        callee: str,
        callee_span: Span,
        args: list[ir.Arg],
        span: Span,
        cur: str | None,
        scope: Scope,
        name: str | None,
    ) -> str:
        tensor_args = [a for a in args if a.name is None and self.is_tensor(a.value, scope)]
        const_args = [a for a in args if a not in tensor_args]
        spec = CATALOG.get(callee) if callee not in self.blocks else None
        tie: dict[str, Any] = {}
        if spec is not None and spec.ties:
            tie, tensor_args = self.tie_target(callee, spec.ties, tensor_args, span, scope)
            if not tie:
                return POISON
        arity = spec.arity if spec else 1
        if spec is not None and spec.optional_inputs:
            some = self.some_inputs(callee, (1, 1 + spec.optional_inputs), tensor_args, args, cur, scope, span)
            if some is None:
                return POISON
            inputs = some
        elif arity == 1:
            if len(tensor_args) > 1:
                self.err(
                    "E-arg-count",
                    f"{callee} takes one input value, but {len(tensor_args)} were given",
                    tensor_args[1].span,
                    label="extra input",
                )
                return POISON
            if tensor_args and tensor_args[0] is not args[0]:
                self.err("E-arg-count", f"the input value of {callee} must be its first argument", tensor_args[0].span)
                return POISON
            inputs = (
                [self.evaluate(tensor_args[0].value, cur, scope, allow_value=True, expect_value=True)]
                if tensor_args
                else [self.implicit(cur, span)]
            )
        else:
            inputs = [self.evaluate(a.value, cur, scope, allow_value=True, expect_value=True) for a in tensor_args]
            want = "two" if arity == 2 else "at least two"
            if (arity == 2 and len(inputs) != 2) or (arity == 0 and len(inputs) < 2):
                self.err(
                    "E-arg-count",
                    f"{callee} takes {want} input values, but {len(inputs)} {'was' if len(inputs) == 1 else 'were'} given",
                    span,
                    help=f"e.g. `{callee}(a, b)` with values named earlier",
                )
                return POISON
        for arg in const_args:
            if arg.name is None and isinstance(arg.value, ir.Name) and self.looks_like_value(arg.value.id, scope):
                self.unknown_name(arg.value.id, arg.value.span, scope, expect_value=True)
                return POISON
        if callee in self.blocks:
            return self.expand_block(callee, const_args, span, inputs[0], scope, name)
        assert spec is not None
        values, spans, diags = bind_call(
            callee, spec.args, const_args, span, env=scope.env, io=spec.io, varargs=spec.varargs
        )
        self.diags += diags
        return self.add_node(callee, {**values, **tie}, inputs, span, scope, name, spans)

    def some_inputs(
        self,
        callee: str,
        limits: tuple[int, int],
        tensor_args: list[ir.Arg],
        args: list[ir.Arg],
        cur: str | None,
        scope: Scope,
        span: Span,
    ) -> list[str] | None:
        """A layer taking `lo..hi` values (attention: query, keys/values, mask): given ones, else the chain's."""
        low, high = limits
        if len(tensor_args) > high or (tensor_args and len(tensor_args) < low):
            self.err(
                "E-arg-count",
                f"{callee} takes {low} to {high} input values, but {len(tensor_args)} were given",
                span,
                help=f"e.g. `{callee}(x, memory, mask, ...)` with values named earlier",
            )
            return None
        if tensor_args and tensor_args != args[: len(tensor_args)]:
            self.err("E-arg-count", f"the input values of {callee} must come first", tensor_args[0].span)
            return None
        if not tensor_args:
            return [self.implicit(cur, span)]
        return [self.evaluate(a.value, cur, scope, allow_value=True, expect_value=True) for a in tensor_args]

    def tie_target(
        self, callee: str, kind: str, tensor_args: list[ir.Arg], span: Span, scope: Scope
    ) -> tuple[dict[str, Any], list[ir.Arg]]:
        """`tied_linear(tok)`: `tok` names the layer whose weight is shared, not an input value."""
        named = [a for a in tensor_args if isinstance(a.value, ir.Name) and a.value.id in scope.values]
        if not named:
            self.err(
                "E-arg-count",
                f"{callee} needs the name of the {kind} whose weight it shares",
                span,
                label=f"which {kind}?",
                help=f"name the {kind} (`tok = {kind}(vocab, dim)`) and write `{callee}(tok)`",
            )
            return {}, tensor_args
        arg = named[-1]
        assert isinstance(arg.value, ir.Name)
        scope.used.add(arg.value.id)
        node_id = scope.values[arg.value.id]
        if node_id == POISON or self.dry:
            return {}, tensor_args
        node = next((n for n in reversed(self.nodes) if n.id == node_id), None)
        if node is None or node.op != kind or node.scope != scope.path:
            self.err(
                "E-structure",
                f"`{arg.value.id}` is not {'a' if kind[0] not in 'aeiou' else 'an'} {kind} defined in this block",
                arg.value.span,
                label=f"not the output of an {kind}" if node is None or node.op != kind else "in another block",
                help=f"name the {kind} itself, e.g. `{arg.value.id} = {kind}(vocab, dim)`, in the same block",
            )
            return {}, tensor_args
        if not {"vocab", "dim"} <= node.args.keys():  # its arguments failed to bind: already reported there
            return {}, tensor_args
        tie = {"tie": node_id, "vocab": node.args["vocab"], "dim": node.args["dim"]}
        return tie, [a for a in tensor_args if a is not arg]

    def looks_like_value(self, name: str, scope: Scope) -> bool:
        """A bare unknown name in argument position that is not a known word: probably a mistyped value."""
        if name in scope.env or name in WORDS or name in scope.values:
            return False
        return closest(name, scope.values) is not None

    def implicit(self, cur: str | None, span: Span) -> str:
        if cur is None:
            self.err(
                "E-structure",
                "this model has several inputs, so the chain must start with one of them",
                span,
                label="which input?",
                help="start the line with an input name, e.g. `x -> ...`",
            )
            return POISON
        return cur

    def block_schema(self, name: str) -> tuple[ArgSpec, ...]:
        defaults = self.block_defaults[name]
        return tuple(ArgSpec(p.name, "any", default=defaults.get(p.name, REQUIRED)) for p in self.blocks[name].params)

    def expand_block(self, name: str, args: list[ir.Arg], span: Span, inp: str, scope: Scope, alias: str | None) -> str:
        if name in scope.block_stack:
            chain = " -> ".join((*scope.block_stack[scope.block_stack.index(name) :], name))
            self.err(
                "E-recursion",
                f"block `{name}` uses itself ({chain})",
                span,
                label="recursive use",
                help="blocks cannot be recursive; repeat them with `* n` instead",
            )
            return POISON
        if len(scope.block_stack) >= MAX_BLOCK_DEPTH:
            self.err(
                "E-limit",
                f"blocks nested more than {MAX_BLOCK_DEPTH} deep (block `{name}` inside {' -> '.join(scope.block_stack[-3:])} ...)",
                span,
                label="nested too deeply",
                help="flatten some of the blocks into their callers, or repeat one block with `* n`",
            )
            return POISON
        self.used_blocks.add(name)
        bound, _, diags = bind_call(name, self.block_schema(name), args, span, env=scope.env)
        self.diags += diags
        if diags:
            return POISON
        local = alias if alias is not None else scope.fresh(name)
        instance_id = scope.prefix + local
        inner = Scope(
            values={BLOCK_INPUT: inp},
            env=bound,
            prefix=instance_id + ".",
            path=(*scope.path, instance_id),
            block_stack=(*scope.block_stack, name),
        )
        output = self.run_body(self.blocks[name].body, inp, inner, self.blocks[name].name_span)
        if self.dry:  # checking an unused block: names only; its instances are not part of the model
            return POISON
        self.instances.append(
            BlockInstance(id=instance_id, block=name, args=bound, span=span, input=inp, output=output, scope=scope.path)
        )
        return output

    # ---- statements ---------------------------------------------------------
    def run_body(self, body: tuple[ir.Statement, ...], cur: str | None, scope: Scope, where: Span) -> str:
        if not body:
            self.err(
                "E-structure",
                "this section has no layers",
                where,
                label="empty",
                help="add at least one layer, e.g. `identity`",
            )
            return POISON
        scope.taken |= {s.target for s in body if isinstance(s, ir.Assign | ir.ParamDecl)}
        out: str | None = None
        for stmt in body:
            if out is not None:
                self.err(
                    "E-structure",
                    "statements after `out` are never used",
                    stmt.span,
                    label="unreachable",
                    help="move `out` to the end",
                )
                break
            if isinstance(stmt, ir.Assign | ir.ParamDecl) and self.name_taken(stmt.target, stmt.target_span, scope):
                continue
            if isinstance(stmt, ir.ParamDecl):
                self.declare_param(stmt, scope)
            elif isinstance(stmt, ir.Assign):
                target = stmt.target
                single = isinstance(stmt.value, ir.Call | ir.Name) and not (
                    isinstance(stmt.value, ir.Name) and stmt.value.id in scope.values
                )
                value = self.evaluate(stmt.value, cur, scope, allow_value=True, name=target if single else None)
                scope.values[target] = value
                if not self.dry and value != POISON:
                    self.names[scope.prefix + target] = value
                scope.value_spans[target] = stmt.target_span
                cur = value
            elif isinstance(stmt, ir.Output):
                out = cur = self.evaluate(stmt.value, cur, scope, allow_value=True)
            else:
                cur = self.evaluate(stmt.value, cur, scope, allow_value=True)
        for value_name, value_span in scope.value_spans.items():
            if value_name not in scope.used and scope.values[value_name] != cur:
                self.diags.append(
                    warning(
                        "W-unused",
                        f"value `{value_name}` is never used",
                        value_span,
                        label="defined here",
                        help="use it or remove the name",
                    )
                )
        return cur if cur is not None else POISON

    def name_taken(self, target: str, span: Span, scope: Scope) -> bool:
        """A new value name that is already a value, a block parameter, a layer or a block: reported."""
        if target in scope.values or target in scope.env:
            first = scope.value_spans.get(target)
            self.err(
                "E-duplicate",
                f"`{target}` is already defined",
                span,
                label="defined again here",
                secondary=(Label(span=first, message="first defined here"),) if first else (),
                help="choose another name",
            )
            return True
        if target in CATALOG or target in self.blocks:
            self.err(
                "E-duplicate",
                f"`{target}` is the name of a layer or block",
                span,
                label="shadows a layer",
                help=f"rename it, e.g. `{target}_out`",
            )
            return True
        return False

    def declare_param(self, stmt: ir.ParamDecl, scope: Scope) -> None:
        """`param gamma: [c, 1, 1] = 1e-6`: a node with no inputs, named as declared, usable as a value."""
        args, diags = param_args(stmt, scope.env)
        self.diags += diags
        value = POISON
        if not diags:
            spec = CATALOG["param"]
            values, spans, more = bind_call("param", spec.args, args, stmt.span, env=scope.env)
            self.diags += more
            if not more:
                value = self.add_node("param", values, [], stmt.span, scope, stmt.target, spans)
        scope.values[stmt.target] = value
        if not self.dry and value != POISON:
            self.names[scope.prefix + stmt.target] = value
        scope.value_spans[stmt.target] = stmt.target_span

    # ---- program --------------------------------------------------------------
    def collect_blocks(self) -> None:
        for item in self.program.items:
            if not isinstance(item, ir.BlockDef):
                continue
            if item.name in self.blocks or item.name in CATALOG:
                what = "block" if item.name in self.blocks else "built-in layer"
                self.err(
                    "E-duplicate",
                    f"`{item.name}` is already a {what}",
                    item.name_span,
                    label="defined again here",
                    help="rename the block",
                )
                continue
            defaults: dict[str, Any] = {}
            seen: set[str] = set()
            for param in item.params:
                if param.name in seen or param.name == BLOCK_INPUT:
                    self.err(
                        "E-duplicate",
                        f"parameter `{param.name}` is {'reserved for the block input' if param.name == BLOCK_INPUT else 'repeated'}",
                        param.span,
                    )
                seen.add(param.name)
                if param.default is not None:
                    try:
                        defaults[param.name] = constant(param.default, {})
                    except NotConstant as exc:
                        self.diags.append(exc.diagnostic)
            self.blocks[item.name] = item
            self.block_defaults[item.name] = defaults

    def check_unused_blocks(self) -> None:
        """A block no model uses is still checked for names, with its parameters left unknown."""
        self.dry = True
        for name, block in self.blocks.items():
            if name in self.used_blocks:
                continue
            self.diags.append(
                warning(
                    "W-unused",
                    f"block `{name}` is never used",
                    block.name_span,
                    label="defined here",
                    help="use it in `layers:` or remove it",
                )
            )
            env = {p.name: UNKNOWN for p in block.params}
            inner = Scope(values={BLOCK_INPUT: POISON}, env=env, prefix=f"{name}.", block_stack=(name,))
            self.run_body(block.body, POISON, inner, block.name_span)
        self.dry = False

    def resolve(self) -> Graph | None:
        items = self.program.items
        models = [i for i in items if isinstance(i, ir.ModelDecl)]
        inputs = [i for i in items if isinstance(i, ir.InputDecl)]
        layers = [i for i in items if isinstance(i, ir.LayersSection)]
        self.collect_blocks()
        input_nodes: list[InputNode] = []
        values: dict[str, str] = {}
        for decl in inputs:
            if decl.name in values or decl.name in CATALOG or decl.name in self.blocks:
                self.err("E-duplicate", f"`{decl.name}` is already defined", decl.name_span, label="defined again here")
                continue
            values[decl.name] = decl.name
            input_nodes.append(
                InputNode(id=decl.name, dtype=decl.dtype, dims=tuple(d.value for d in decl.dims), span=decl.span)
            )
        if not layers or not models:
            return None
        scope = Scope(values=dict(values), env={}, taken=set(values), used=set())
        cur = input_nodes[0].id if len(input_nodes) == 1 else (POISON if not input_nodes else None)
        output = self.run_body(layers[0].body, cur, scope, layers[0].span)
        self.check_unused_blocks()
        unused_inputs = [n for n in input_nodes if n.id not in scope.used and n.id != cur and len(input_nodes) > 1]
        for node in unused_inputs:
            self.diags.append(warning("W-unused", f"input `{node.id}` is never used", node.span, label="declared here"))
        if any(d.is_error for d in self.diags):
            return None
        return Graph(
            model=models[0].name,
            inputs=tuple(input_nodes),
            nodes=tuple(self.nodes),
            output=output,
            blocks=tuple(self.instances),
            assertions=tuple(self.assertions),
            repeats=tuple(self.repeats),
            names=self.names,
        )


def resolve(program: ir.Program) -> tuple[Graph | None, list[Diagnostic]]:
    resolver = Resolver(program)
    graph = resolver.resolve()
    return graph, resolver.diags
