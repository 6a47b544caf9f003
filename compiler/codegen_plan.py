"""Plan the generated classes: one nn.Module class per block, shared by all its uses.

Each use of a block builds the same layers with possibly different sizes. Arguments
that differ between uses become constructor parameters, named after the block's own
parameters where the values match (`c`), `in_channels`/`in_features` where they match
the block input, and after the layer otherwise. Uses whose layer structure differs
(e.g. a repetition count taken from a parameter) get classes of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netspec.compiler.catalog import CATALOG
from netspec.compiler.graph import BlockInstance, Graph, LayerNode, Repeat
from netspec.compiler.names import safe_name
from netspec.compiler.shapes import Checked

_KW = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


@dataclass
class Item:
    """One entry of a scope in forward order: a layer, a block instance or an nn.Sequential of repeats."""

    kind: str  # "node" | "instance" | "sequential"
    id: str  # node id, instance id, or the first member's id for a sequential
    local: str  # the attribute name within its class
    members: tuple[str, ...] = ()


@dataclass
class Ctor:
    """A constructor call: class expression and arguments as (keyword or None, value text or a nested Ctor)."""

    cls: str
    args: list[tuple[str | None, str | Ctor]]
    wrap: str = ""  # a template the call goes into at `{}`: `nn.Parameter({} * 1e-06)`

    def text(self) -> str:
        call = f"{self.cls}({', '.join(arg_text(k, v) for k, v in self.args)})"
        return self.wrap.replace("{}", call, 1) if self.wrap else call

    def shape(self) -> tuple:
        """The structure two uses must share to be one class: classes, keywords, nesting; not the values."""
        return (self.wrap, self.cls, tuple((k, v.shape() if isinstance(v, Ctor) else None) for k, v in self.args))


def arg_text(key: str | None, value: str | Ctor) -> str:
    text = value.text() if isinstance(value, Ctor) else value
    return f"{key}={text}" if key else text


@dataclass
class ClassPlan:
    name: str
    block: str
    instances: list[BlockInstance]
    params: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)  # param -> value text per instance
    ctors: dict[str, Ctor] = field(default_factory=dict)  # item local -> templated constructor
    index: dict[str, int] = field(default_factory=dict)  # instance id -> its position in `instances`


def _split_args(rendered: list[str]) -> list[tuple[str | None, str]]:
    out: list[tuple[str | None, str]] = []
    for text in rendered:
        match = _KW.match(text)
        out.append((match.group(1), match.group(2)) if match else (None, text))
    return out


class Planner:
    def __init__(self, checked: Checked, taken: set[str]) -> None:
        self.checked = checked
        self.graph: Graph = checked.graph
        self.taken = taken
        self.nodes = {n.id: n for n in self.graph.nodes}
        self.instances = {b.id: b for b in self.graph.blocks}
        self.plan_of: dict[str, ClassPlan] = {}  # instance id -> its class plan
        self.plans: list[ClassPlan] = []
        self._ctors: dict[str, Ctor | None] = {}  # node id -> its module, computed once
        self._items = self._index_scopes()

    # ---- scopes -------------------------------------------------------------------
    def _index_scopes(self) -> dict[tuple[str, ...], list[Item]]:
        """Every scope's items in one pass over the nodes (a scan per scope made big specs quadratic)."""
        raw: dict[tuple[str, ...], list[Item]] = {}
        self.first_node: dict[str, int] = {}  # instance id -> index of its first node: forward order
        for index, node in enumerate(self.graph.nodes):
            scope = node.scope
            raw.setdefault(scope, []).append(Item("node", node.id, node.id.rsplit(".", 1)[-1]))
            for depth, inst in enumerate(scope):
                if inst not in self.first_node:  # a new instance: listed in its parent scope, before this node
                    self.first_node[inst] = index
                    raw.setdefault(scope[:depth], []).append(Item("instance", inst, inst.rsplit(".", 1)[-1]))
        repeats: dict[tuple[str, ...], list[Repeat]] = {}
        for repeat in self.graph.repeats:
            repeats.setdefault(repeat.scope, []).append(repeat)
        return {path: self._group_repeats(items, repeats.get(path, [])) for path, items in raw.items()}

    def items(self, path: tuple[str, ...]) -> list[Item]:
        """The layers and block instances directly inside `path`, in forward order, repeats grouped."""
        return self._items.get(path, [])

    def _group_repeats(self, items: list[Item], repeats: list[Repeat]) -> list[Item]:
        position = {item.id: i for i, item in enumerate(items)}
        groups: dict[int, Repeat] = {}
        for repeat in repeats:
            if not self._sequential_ok(repeat) or any(m not in position for m in repeat.members):
                continue
            start = position[repeat.members[0]]
            if [i.id for i in items[start : start + len(repeat.members)]] != list(repeat.members):
                continue
            groups[start] = repeat
        # attribute names are unique per scope: a sequential never takes a layer's, instance's or another's name
        taken = {item.local for item in items}
        out: list[Item] = []
        index = 0
        while index < len(items):
            repeat = groups.get(index)
            if repeat is None:
                out.append(items[index])
                index += 1
                continue
            first = items[index]
            base = self.instances[first.id].block if first.kind == "instance" else first.local.rstrip("0123456789")
            local = _fresh(f"{base}_x{len(repeat.members)}", taken)
            out.append(Item("sequential", first.id, local, repeat.members))
            index += len(repeat.members)
        return out

    def _sequential_ok(self, repeat: Repeat) -> bool:
        """nn.Sequential needs modules: block instances, or layers that own a module."""
        for member in repeat.members:
            if member in self.nodes and (
                self.module_of(self.nodes[member]) is None or CATALOG[self.nodes[member].op].wrap is not None
            ):
                return False
        return True

    def module_of(self, node: LayerNode) -> Ctor | None:
        if node.id not in self._ctors:
            spec = CATALOG[node.op]
            made = spec.module([self.checked.types[i] for i in node.inputs], node.args)
            wrap = spec.wrap(node.args) if spec.wrap is not None and made is not None else ""
            self._ctors[node.id] = None if made is None else Ctor(made[0], _split_args(made[1]), wrap)
        return self._ctors[node.id]

    # ---- per-instance constructor of an item ---------------------------------------------
    def ctor(self, item: Item) -> Ctor | None:
        if item.kind == "node":
            return self.module_of(self.nodes[item.id])
        if item.kind == "instance":
            plan = self.plan_of[item.id]
            index = plan.index[item.id]
            return Ctor(plan.name, [(p, plan.values[p][index]) for p in plan.params])
        members = [self.ctor(Item("instance" if m in self.instances else "node", m, "")) for m in item.members]
        return Ctor("nn.Sequential", [(None, m) for m in members if m is not None])

    def signature(self, instance: BlockInstance) -> tuple:
        sig = []
        for item in self.items((*instance.scope, instance.id)):
            ctor = self.ctor(item)
            if ctor is None:  # a functional op: its arguments are written into forward, so they must match
                node = self.nodes[item.id]
                sig.append((item.kind, item.local, CATALOG[node.op].call(None, ["_"] * len(node.inputs), node.args)))
                continue
            # a layer's class (Conv1d vs Conv2d) and keywords; an instance's or sequential's whole structure
            sig.append((item.kind, item.local, ctor.shape()))
        return tuple(sig)

    # ---- planning -------------------------------------------------------------------
    def plan(self) -> list[ClassPlan]:
        by_block: dict[str, list[BlockInstance]] = {}
        depth: dict[str, int] = {}
        for inst in self.graph.blocks:
            by_block.setdefault(inst.block, []).append(inst)
            depth[inst.block] = max(depth.get(inst.block, 0), len(inst.scope))
        # inner blocks first: a block's children always sit deeper than its deepest use
        for block in sorted(by_block, key=lambda b: (-depth[b], b)):
            groups: dict[tuple, list[BlockInstance]] = {}
            for inst in sorted(by_block[block], key=lambda b: self._order(b.id)):
                groups.setdefault(self.signature(inst), []).append(inst)
            for number, members in enumerate(groups.values(), start=1):
                base = "".join(part.capitalize() for part in block.split("_") if part) or "Block"
                name = safe_name(base if number == 1 else f"{base}{number}", self.taken)
                plan = ClassPlan(name=name, block=block, instances=members)
                plan.index = {inst.id: i for i, inst in enumerate(members)}
                for inst in members:
                    self.plan_of[inst.id] = plan
                self._unify(plan)
                self.plans.append(plan)
        self.plans.sort(key=lambda p: self._order(p.instances[0].id))
        # a class must be defined before the class that uses it: emit deepest first
        self.plans.sort(key=lambda p: -max(len(i.scope) for i in p.instances))
        return self.plans

    def _order(self, instance_id: str) -> int:
        return self.first_node.get(instance_id, len(self.graph.nodes))

    def _unify(self, plan: ClassPlan) -> None:
        template = plan.instances[0]
        block_params = list(template.args)
        per_instance = [{item.local: self.ctor(item) for item in self.items((*i.scope, i.id))} for i in plan.instances]
        named: dict[str, list[str]] = {}
        for local, ctor in per_instance[0].items():
            if ctor is None:
                continue
            column: list[Ctor] = [inst[local] for inst in per_instance]  # type: ignore[misc]
            plan.ctors[local] = self._template(plan, column, local, block_params, named)
        ordered = [p for p in block_params if p in named] + sorted(n for n in named if n not in block_params)
        # spec names become Python parameters: keep them valid and clash-free (`class` -> `class_`)
        taken: set[str] = {"self"}
        rename = {p: safe_name(p, taken) for p in ordered}
        for ctor in plan.ctors.values():
            _rename(ctor, rename)
        plan.params = [rename[p] for p in ordered]
        plan.values = {rename[p]: named[p] for p in ordered}

    def _template(
        self, plan: ClassPlan, ctors: list[Ctor], local: str, block_params: list[str], named: dict[str, list[str]]
    ) -> Ctor:
        """One constructor for every use: equal values stay literal, differing ones become parameters;
        an nn.Sequential's members are templated one by one (their values are literals, never code)."""
        first = ctors[0]
        args: list[tuple[str | None, str | Ctor]] = []
        for index, (key, value) in enumerate(first.args):
            column = [c.args[index][1] for c in ctors]
            if isinstance(value, Ctor):
                inner = f"{local}_{index}" if first.cls == "nn.Sequential" else f"{local}_{key or index}"
                args.append((key, self._template(plan, column, inner, block_params, named)))  # type: ignore[arg-type]
                continue
            texts: list[str] = column  # type: ignore[assignment]
            if len(set(texts)) == 1:
                args.append((key, value))
                continue
            name = self._param_name(plan, texts, local, key, index, block_params, named)
            named[name] = texts
            args.append((key, name))
        return Ctor(first.cls, args, first.wrap)

    def _param_name(self, plan, values, local, key, index, block_params, named) -> str:
        for param in block_params:
            if all(repr(inst.args[param]) == v for inst, v in zip(plan.instances, values, strict=True)):
                return param
        for name, dim in (("in_channels", 1), ("in_features", -1)):
            shapes = [self.checked.types[inst.input].shape for inst in plan.instances]
            matches = all(len(s) > 1 and repr(s[dim]) == v for s, v in zip(shapes, values, strict=True))
            if matches and named.get(name, values) == values:
                return name
        base = f"{local}_{key or f'arg{index}'}"
        name, k = base, 1
        while name in named and named[name] != values:
            k += 1
            name = f"{base}_{k}"
        return name

    def unified_dims(self, plan: ClassPlan, node_ids: list[str]) -> tuple[str, ...]:
        """A shape comment shared by every use: equal dims literal, a block parameter's name, else `_`."""
        shapes = [self.checked.types[i].shape for i in node_ids]
        out: list[str] = []
        for dims in zip(*shapes, strict=True):
            if len(set(map(str, dims))) == 1:
                out.append(str(dims[0]))
                continue
            match = next(
                (
                    p
                    for p in plan.instances[0].args
                    if all(repr(inst.args[p]) == repr(d) for inst, d in zip(plan.instances, dims, strict=True))
                ),
                None,
            )
            out.append(match or "_")
        return tuple(out)


def _fresh(base: str, taken: set[str]) -> str:
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name)
    return name


def _rename(ctor: Ctor, rename: dict[str, str]) -> None:
    ctor.args = [(k, v if isinstance(v, Ctor) else rename.get(v, v)) for k, v in ctor.args]
    for _, value in ctor.args:
        if isinstance(value, Ctor):
            _rename(value, rename)
