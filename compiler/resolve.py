"""Name resolution: spec IR -> a flat graph of catalog layers, expanding blocks and repetitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netspec.compiler import ir
from netspec.compiler.arg_values import UNKNOWN, WORDS, Unknown, describe
from netspec.compiler.args import NotConstant, bind_call, constant
from netspec.compiler.catalog import CATALOG, OPERATOR_LAYERS
from netspec.compiler.catalog.base import REQUIRED, ArgSpec
from netspec.compiler.diagnostics import Diagnostic
from netspec.compiler.fmt import step_text
from netspec.compiler.graph import BlockInstance, Graph, InputNode, LayerNode, Repeat, ShapeAssertion
from netspec.compiler.param_decl import param_args
from netspec.compiler.reports import arguments, naming, structure, tensors
from netspec.compiler.source import Span
from netspec.compiler.suggest import closest

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
    def report(self, diagnostic: Diagnostic) -> None:
        self.diags.append(diagnostic)

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
        if expect_value or (closest(name, values) and not closest(name, callables)):
            self.report(naming.unknown_value(name, span, values))
        else:
            self.report(naming.unknown_layer(name, span, callables))

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
                self.report(structure.too_many_layers(MAX_NODES, span))
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
                    self.report(structure.value_inside_chain(expr.id, expr.span))
                    return POISON
                return scope.values[expr.id]
            if self.is_callable(expr.id, scope):
                return self.apply_callable(expr.id, expr.span, [], expr.span, cur, scope, name)
            if expr.id in scope.env:
                self.report(structure.block_parameter_as_layer(expr.id, expr.span))
                return POISON
            self.unknown_name(expr.id, expr.span, scope, expect_value)
            return POISON
        if isinstance(expr, ir.Call):
            if expr.callee in scope.values:
                self.report(structure.value_called(expr.callee, expr.callee_span))
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
        self.report(structure.not_a_layer(expr.span, found="a negation" if isinstance(expr, ir.Neg) else "a constant"))
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
            self.report(structure.not_a_layer(expr.span, found="a number"))
            return POISON
        if expr.op == "/":
            self.report(structure.divide_by_value(expr.span))
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
            self.report(arguments.scalar_not_a_number(expr.op, describe(number), number_expr.span))
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
        steps = " -> ".join(step_text(s) for s in before)
        self.report(tensors.repeat_changes_nothing(name, count, expr.span, steps_before=steps, body=step_text(body)))

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
            self.report(arguments.bad_repeat_count(count, MAX_REPEAT, expr.span, body=step_text(body)))
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
                self.report(tensors.assertion_not_a_dimension(item.span))
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
                self.report(arguments.extra_input(callee, len(tensor_args), tensor_args[1].span))
                return POISON
            if tensor_args and tensor_args[0] is not args[0]:
                self.report(arguments.input_not_first(callee, tensor_args[0].span))
                return POISON
            inputs = (
                [self.evaluate(tensor_args[0].value, cur, scope, allow_value=True, expect_value=True)]
                if tensor_args
                else [self.implicit(cur, span)]
            )
        else:
            inputs = [self.evaluate(a.value, cur, scope, allow_value=True, expect_value=True) for a in tensor_args]
            if (arity == 2 and len(inputs) != 2) or (arity == 0 and len(inputs) < 2):
                self.report(arguments.wrong_input_count(callee, arity, len(inputs), span))
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
            self.report(arguments.input_count_out_of_range(callee, low, high, len(tensor_args), span))
            return None
        if tensor_args and tensor_args != args[: len(tensor_args)]:
            self.report(arguments.inputs_not_first(callee, tensor_args[0].span))
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
            self.report(arguments.missing_tie(callee, kind, span))
            return {}, tensor_args
        arg = named[-1]
        assert isinstance(arg.value, ir.Name)
        scope.used.add(arg.value.id)
        node_id = scope.values[arg.value.id]
        if node_id == POISON or self.dry:
            return {}, tensor_args
        node = next((n for n in reversed(self.nodes) if n.id == node_id), None)
        if node is None or node.op != kind or node.scope != scope.path:
            other_block = node is not None and node.op == kind
            self.report(structure.tie_not_a_layer(arg.value.id, kind, arg.value.span, other_block=other_block))
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
            self.report(structure.which_input(span))
            return POISON
        return cur

    def block_schema(self, name: str) -> tuple[ArgSpec, ...]:
        defaults = self.block_defaults[name]
        return tuple(ArgSpec(p.name, "any", default=defaults.get(p.name, REQUIRED)) for p in self.blocks[name].params)

    def expand_block(self, name: str, args: list[ir.Arg], span: Span, inp: str, scope: Scope, alias: str | None) -> str:
        if name in scope.block_stack:
            chain = (*scope.block_stack[scope.block_stack.index(name) :], name)
            self.report(naming.recursive_block(name, chain, span))
            return POISON
        if len(scope.block_stack) >= MAX_BLOCK_DEPTH:
            self.report(structure.blocks_too_deep(name, MAX_BLOCK_DEPTH, scope.block_stack, span))
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
            self.report(structure.empty_section(where))
            return POISON
        scope.taken |= {s.target for s in body if isinstance(s, ir.Assign | ir.ParamDecl)}
        out: str | None = None
        for stmt in body:
            if out is not None:
                self.report(structure.after_out(stmt.span))
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
                self.report(naming.unused_value(value_name, value_span))
        return cur if cur is not None else POISON

    def name_taken(self, target: str, span: Span, scope: Scope) -> bool:
        """A new value name that is already a value, a block parameter, a layer or a block: reported."""
        if target in scope.values or target in scope.env:
            self.report(naming.defined_again(target, span, scope.value_spans.get(target)))
            return True
        if target in CATALOG or target in self.blocks:
            self.report(naming.shadows_layer(target, span))
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
                built_in = item.name not in self.blocks
                self.report(naming.block_defined_again(item.name, item.name_span, built_in=built_in))
                continue
            defaults: dict[str, Any] = {}
            seen: set[str] = set()
            for param in item.params:
                if param.name in seen or param.name == BLOCK_INPUT:
                    reserved = param.name == BLOCK_INPUT
                    self.report(naming.block_parameter_repeated(param.name, param.span, reserved=reserved))
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
            self.report(naming.unused_block(name, block.name_span))
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
                self.report(naming.input_defined_again(decl.name, decl.name_span))
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
            self.report(naming.unused_input(node.id, node.span))
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
