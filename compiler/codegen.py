"""Checked graph -> the source of plain PyTorch modules: one class per block, one attribute per layer,
one statement per line in forward with a shape comment and the spec line it came from."""

from __future__ import annotations

import ast
import hashlib
import json
from typing import Any

from netspec.compiler.catalog import CATALOG
from netspec.compiler.codegen_plan import ClassPlan, Ctor, Item, Planner, arg_text
from netspec.compiler.graph import BlockInstance
from netspec.compiler.names import GENERATED_GLOBALS, NameSet, safe_name
from netspec.compiler.shapes import Checked
from netspec.compiler.size_limits import size_limits
from netspec.compiler.source import Span
from netspec.compiler.task_code import loss_arguments, loss_class, task_support
from netspec.compiler.tensor_types import show_shape
from netspec.compiler.train_config import TrainConfig

LOSSES = {
    "cross_entropy": "nn.CrossEntropyLoss",
    "bce_with_logits": "nn.BCEWithLogitsLoss",
    "mse": "nn.MSELoss",
    "l1": "nn.L1Loss",
    "huber": "nn.HuberLoss",
}


def _strip_spans(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_spans(v) for k, v in value.items() if k not in ("span", "arg_spans")}
    if isinstance(value, list):
        return [_strip_spans(v) for v in value]
    return value


def spec_hash(checked: Checked) -> str:
    """Identifies the model: layout and comments do not change it; any layer, size or task change does."""
    payload = {
        "graph": _strip_spans(checked.graph.model_dump(mode="json")),
        "task": _strip_spans(checked.task.model_dump(mode="json")),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class Writer:
    """Accumulates indented lines (after jinja's CodeGenerator.writeline/indent/outdent)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.level + text) if text else "")

    def indent(self) -> None:
        self.level += 1

    def outdent(self) -> None:
        self.level -= 1

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def py_literal(value: Any, level: int = 0) -> str:
    """Plain data as Python source in the layout `ruff format` keeps (one entry per line, trailing commas)."""
    pad, inner = "    " * level, "    " * (level + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        body = "".join(f"{inner}{json.dumps(str(k))}: {py_literal(v, level + 1)},\n" for k, v in value.items())
        return "{\n" + body + pad + "}"
    if isinstance(value, list | tuple):
        flat = "[" + ", ".join(py_literal(v, level + 1) for v in value) + "]"
        if len(flat) + len(inner) < 80 and "\n" not in flat:
            return flat
        return "[\n" + "".join(f"{inner}{py_literal(v, level + 1)},\n" for v in value) + pad + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid Python string literal
    if value is None or isinstance(value, bool | int | float):
        text = repr(value)
        if ast.literal_eval(text) != value:  # nan; inf reads back as a name, not a literal
            raise ValueError(f"{text} does not read back as the same Python literal")
        return text
    raise TypeError(f"not plain data: {type(value).__name__}")


def _input_entry(node: Any, vocab: dict[str, int], limits: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": node.id, "dtype": node.dtype, "shape": list(node.dims)}
    if node.id in vocab:  # token ids: the runtime checks the data against it before the first step
        entry["vocab"] = vocab[node.id]
    bounded = {d: limits[d] for d in node.dims if isinstance(d, str) and d in limits}
    if bounded:  # symbolic sizes a layer bounds (a position table): checked on the data too
        entry["max_sizes"] = bounded
    return entry


def _id_limits(checked: Checked) -> dict[str, int]:
    """For each input read by an embedding, the smallest vocabulary of those embeddings (ids must lie below it)."""
    inputs = {n.id for n in checked.graph.inputs}
    limits: dict[str, int] = {}
    for node in checked.graph.nodes:
        if node.op == "embedding":
            for source in node.inputs:
                if source in inputs:
                    limits[source] = min(limits.get(source, node.args["vocab"]), node.args["vocab"])
    return limits


def metadata(checked: Checked, train: TrainConfig, digest: str, source_name: str, class_name: str) -> dict[str, Any]:
    task = checked.task
    limits = size_limits(checked)
    vocab = _id_limits(checked)
    return {
        "model": checked.graph.model,
        "class_name": class_name,
        "spec": source_name,
        "spec_hash": digest,
        "inputs": [_input_entry(n, vocab, limits) for n in checked.graph.inputs],
        "output_shape": list(task.output_shape),
        "task": {
            "kind": task.kind,
            "outputs": task.outputs,
            "loss": task.loss,
            "target_dtype": task.target_dtype,
            "target_shape": list(task.target_shape),
            "label_smoothing": task.label_smoothing,
            "layout": task.layout,
            "ignore_index": task.ignore_index,
        },
        "train": train.written(),
        "total_params": checked.total_params,
    }


def _doc_safe(text: str) -> str:
    """Text placed inside a docstring: no quote or backslash can end it early."""
    return "".join(ch if ch.isprintable() and ch not in '"\\' else "?" for ch in text)


def _type_hint(value_text: str) -> str:
    value = ast.literal_eval(value_text)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, tuple):
        return "tuple[int, ...]"
    return type(value).__name__


class Generator:
    def __init__(self, checked: Checked, train: TrainConfig, source_name: str) -> None:
        self.checked = checked
        self.train = train
        self.source_name = source_name
        self.graph = checked.graph
        self.taken: set[str] = set(GENERATED_GLOBALS)
        self.class_name = safe_name(self.graph.model, self.taken)
        self.planner = Planner(checked, self.taken)
        self.w = Writer()
        self.nodes = {n.id: n for n in self.graph.nodes}
        self.instances = {b.id: b for b in self.graph.blocks}
        self.uses_functional = False
        self._names_by_scope: dict[str, dict[str, str]] | None = None
        self._repeat_line = {r.members[0]: _line(r.span) for r in self.graph.repeats}
        self.uses_torchvision = False

    # ---- whole module ---------------------------------------------------------------
    def module(self) -> str:
        w, task = self.w, self.checked.task
        digest = spec_hash(self.checked)
        plans = self.planner.plan()
        inputs_doc = ", ".join(
            f"{n.id}: {n.dtype}{show_shape(self.checked.types[n.id].shape)}" for n in self.graph.inputs
        )
        loss = loss_class(task).removeprefix("nn.")
        w.line(
            f'"""{_doc_safe(self.class_name)}: generated by netc from {_doc_safe(self.source_name)}; edit the spec, not this file.'
        )
        w.line()
        w.line(f"Input:  {_doc_safe(inputs_doc)}")
        w.line(
            f"Task:   {task.describe()} -> output {_show(task.output_shape)}, {loss}, targets {task.target_dtype}{_show(task.target_shape)}"
        )
        w.line('"""')
        w.line()
        w.line("from __future__ import annotations")
        w.line()
        w.line("import torch")
        functional_import = len(w.lines)
        w.line("import torch.nn.functional as F")
        w.line("from torch import nn")
        self.support_code()
        for plan in plans:
            self.block_class(plan)
        self.model_class(inputs_doc)
        w.line()
        w.line()
        w.line("def make_loss() -> nn.Module:")
        w.indent()
        w.line(f'"""The loss the task needs: {loss} on the raw outputs (logits)."""')
        w.line(f"return {loss_class(task)}({loss_arguments(task)})")
        w.outdent()
        w.line()
        w.line()
        w.line("# What `netc train` and `runtime.load` need to know: plain data.")
        w.line(f"SPEC_HASH = {digest!r}".replace("'", '"'))
        meta = metadata(self.checked, self.train, digest, self.source_name, self.class_name)
        w.line(f"METADATA = {py_literal(meta)}")
        if self.uses_torchvision:  # torchvision.ops layers (StochasticDepth), imported only when used
            w.lines.insert(functional_import + 1, "import torchvision.ops")
        if not self.uses_functional:  # only the imports the module needs (ruff F401)
            del w.lines[functional_import]
        source = w.text()
        ast.parse(source)
        return source

    # ---- classes --------------------------------------------------------------------
    def block_class(self, plan: ClassPlan) -> None:
        w = self.w
        first = plan.instances[0]
        uses = ", ".join(dict.fromkeys(self._call_text(i) for i in plan.instances))
        w.line()
        w.line()
        w.line(f"class {plan.name}(nn.Module):")
        w.indent()
        w.line(
            f'"""Block `{_doc_safe(plan.block)}` (spec line {self._block_line(first)}), used as {_doc_safe(uses)}."""'
        )
        w.line()
        params = ", ".join(f"{p}: {_type_hint(plan.values[p][0])}" for p in plan.params)
        w.line(f"def __init__(self{', ' + params if params else ''}) -> None:")
        w.indent()
        w.line("super().__init__()")
        path = (*first.scope, first.id)
        attrs = self.attributes(path)
        for item in self.planner.items(path):
            ctor = plan.ctors.get(item.local)
            if ctor is not None:
                w.line(f"self.{attrs[item.local]} = {self._ctor_text(ctor)}  # line {self._item_line(item)}")
        w.outdent()
        w.line()
        self.forward(path, {first.input: "x"}, first.output, attrs, plan)
        w.outdent()

    def model_class(self, inputs_doc: str) -> None:
        w = self.w
        task = self.checked.task
        w.line()
        w.line()
        w.line(f"class {self.class_name}(nn.Module):")
        w.indent()
        w.line(
            f'"""{_doc_safe(self.graph.model)}: {self.checked.total_params:,} parameters. Input {_doc_safe(inputs_doc)}; output {_show(task.output_shape)}."""'
        )
        w.line()
        w.line("def __init__(self) -> None:")
        w.indent()
        w.line("super().__init__()")
        attrs = self.attributes(())
        for item in self.planner.items(()):
            ctor = self.planner.ctor(item)
            if ctor is not None:
                w.line(f"self.{attrs[item.local]} = {self._ctor_text(ctor)}  # line {self._item_line(item)}")
        w.outdent()
        w.line()
        taken: set[str] = NameSet()
        inputs = {n.id: safe_name(n.id, taken) for n in self.graph.inputs}
        self.forward((), inputs, self.graph.output, attrs, None, taken)
        w.outdent()

    def attributes(self, path: tuple[str, ...]) -> dict[str, str]:
        taken: set[str] = NameSet()
        return {
            item.local: safe_name(item.local, taken)
            for item in self.planner.items(path)
            if self.planner.ctor(item) is not None
        }

    def _ctor_text(self, ctor: Ctor) -> str:
        self.uses_torchvision |= _names_torchvision(ctor)
        if ctor.cls != "nn.Sequential" or len(ctor.args) < 2:
            return ctor.text()
        inner = "".join(f"\n            {arg_text(key, value)}," for key, value in ctor.args)
        return f"nn.Sequential({inner}\n        )"

    # ---- forward ----------------------------------------------------------------------
    def forward(
        self,
        path: tuple[str, ...],
        inputs: dict[str, str],
        output: str,
        attrs: dict[str, str],
        plan: ClassPlan | None,
        taken: set[str] | None = None,
    ) -> None:
        w = self.w
        items = self.planner.items(path)
        taken = NameSet(inputs.values()) if taken is None else taken
        names = self._local_names(path)
        uses: dict[str, int] = {}
        for item in items:
            for i in self._item_inputs(item):
                uses[i] = uses.get(i, 0) + 1
        uses[output] = uses.get(output, 0) + 1
        var = dict(inputs)
        params = ", ".join(f"{v}: torch.Tensor" for v in inputs.values())
        w.line(f"def forward(self, {params}) -> torch.Tensor:")
        w.indent()
        for item in items:
            in_ids = self._item_inputs(item)
            in_vars = [var[i] for i in in_ids]
            out_id = self._item_output(item)
            if item.kind == "node":
                node = self.nodes[item.id]
                attr = f"self.{attrs[item.local]}" if item.local in attrs else None
                expr = CATALOG[node.op].call(attr, in_vars, self._linked_args(node.args, attrs))
                self.uses_functional |= expr.startswith("F.")
                if CATALOG[node.op].arity < 0:  # a declared `param`: used as `self.gamma` where needed
                    var[out_id] = expr
                    continue
            else:
                expr = f"self.{attrs[item.local]}({in_vars[0]})"
            if out_id in names:
                var[out_id] = safe_name(names[out_id], taken)
            elif len(in_ids) == 1 and uses.get(in_ids[0], 0) == 1 and in_ids[0] not in names:
                var[out_id] = var[in_ids[0]]
            else:
                var[out_id] = safe_name("h", taken)
            w.line(f"{var[out_id]} = {expr}  # {self._shape_comment(out_id, plan)}  (line {self._item_line(item)})")
        w.line(f"return {var[output]}")
        w.outdent()

    def support_code(self) -> None:
        """Helpers some layers and losses call (attention's class, position encodings), each once, in a fixed order."""
        snippets = [text for op in sorted({n.op for n in self.graph.nodes}) for text in CATALOG[op].support]
        snippets += task_support(self.checked.task)
        for text in dict.fromkeys(snippets):
            self.uses_functional |= "F." in text
            self.w.line()
            self.w.line()
            for line in text.strip("\n").split("\n"):
                self.w.line(line)

    @staticmethod
    def _linked_args(args: dict[str, Any], attrs: dict[str, str]) -> dict[str, Any]:
        """A layer sharing another's weight (`tied_linear(tok)`) names that layer's attribute."""
        if "tie" not in args:
            return args
        return {**args, "tie": f"self.{attrs[args['tie'].rsplit('.', 1)[-1]]}"}

    def _item_inputs(self, item: Item) -> list[str]:
        if item.kind == "node":
            return list(self.nodes[item.id].inputs)
        first = item.members[0] if item.kind == "sequential" else item.id
        return [self.instances[first].input] if first in self.instances else list(self.nodes[first].inputs)

    def _item_output(self, item: Item) -> str:
        last = item.members[-1] if item.kind == "sequential" else item.id
        if last in self.instances:
            return self.instances[last].output
        return last

    def _local_names(self, path: tuple[str, ...]) -> dict[str, str]:
        """node id -> the name the spec gave it, for the names written directly in this scope."""
        if self._names_by_scope is None:
            self._names_by_scope = {}
            for name, node_id in self.graph.names.items():
                scope, _, local = name.rpartition(".")
                self._names_by_scope.setdefault(scope, {})[node_id] = local
        return self._names_by_scope.get(path[-1] if path else "", {})

    def _shape_comment(self, out_id: str, plan: ClassPlan | None) -> str:
        if plan is None or len(plan.instances) == 1:
            return show_shape(self.checked.types[out_id].shape)
        first = plan.instances[0].id
        ids = [inst.id + out_id[len(first) :] for inst in plan.instances]
        return "[" + ", ".join(self.planner.unified_dims(plan, ids)) + "]"

    def _item_line(self, item: Item) -> str:
        if item.kind == "sequential":
            return self._repeat_line[item.members[0]]
        if item.kind == "instance":
            return _line(self.instances[item.id].span)
        return _line(self.nodes[item.id].span)

    def _block_line(self, inst: BlockInstance) -> str:
        first = self.planner.first_node.get(inst.id)
        return _line(inst.span) if first is None else _line(self.graph.nodes[first].span)

    def _call_text(self, inst: BlockInstance) -> str:
        args = ", ".join(
            f"{k}={v!r}" if not isinstance(v, bool) else f"{k}={str(v).lower()}" for k, v in inst.args.items()
        )
        return f"{inst.block}({args})"


def _line(span: Span) -> str:
    """A spec line, or `12 of std/transformer.net` for a line of an imported block."""
    return f"{span.line} of {_doc_safe(span.file)}" if span.file else str(span.line)


def _show(shape: tuple[int | str, ...]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def generate(checked: Checked, train: TrainConfig, source_name: str) -> str:
    return Generator(checked, train, source_name).module()


def _names_torchvision(ctor: Ctor) -> bool:
    """Whether a constructor, or one nested in it, is a torchvision class (the module then imports it)."""
    return ctor.cls.startswith("torchvision.") or any(
        _names_torchvision(v) if isinstance(v, Ctor) else v.startswith("torchvision.") for _, v in ctor.args
    )
