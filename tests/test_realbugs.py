"""Real shape bugs from public questions and issue trackers: does netc catch each, point at it, and repair it?

Each tests/realbugs/NN_name/ holds the buggy spec (the line the author changed carries `# <- bug`) and the
author's fixed spec; the first comment line names the source. The counts are printed (pytest -s) and held
to floors, so a change that loses a diagnosis or a repair fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from netspec.compiler import Compilation, SourceFile, compile_text, fix_source
from netspec.compiler.render import render_text

CORPUS = sorted((Path(__file__).parent / "realbugs").iterdir())
SHAPE = re.compile(r"\[N(?:, [^\]]+)?\]")


def semantics(result: Compilation) -> tuple:
    """What the spec means, without layout, comments or names of values: inputs, layers and task."""
    assert result.graph is not None and result.task is not None
    graph = result.graph
    inputs = tuple((i.id, i.dtype, i.dims) for i in graph.inputs)
    nodes = tuple((n.op, tuple(sorted(n.args.items())), n.inputs) for n in graph.nodes)
    return inputs, nodes, graph.output, (result.task.kind, result.task.outputs, result.task.loss)


@dataclass
class Counts:
    total: int = 0
    rejected: int = 0
    right_line: int = 0
    both_shapes: int = 0
    fix_present: int = 0
    fix_passes: int = 0
    fix_equals_author: int = 0
    fixed_accepted: int = 0
    misses: dict[str, list[str]] = field(default_factory=dict)

    def miss(self, what: str, case: str) -> None:
        self.misses.setdefault(what, []).append(case)


def measure() -> Counts:
    counts = Counts()
    for case in CORPUS:
        buggy = (case / "buggy.net").read_text(encoding="utf-8")
        fixed = (case / "fixed.net").read_text(encoding="utf-8")
        counts.total += 1
        bug_line = next(i for i, line in enumerate(buggy.splitlines(), 1) if "<- bug" in line)
        author = compile_text(fixed, f"{case.name}/fixed.net")
        counts.fixed_accepted += author.ok
        errors = [d for d in compile_text(buggy, f"{case.name}/buggy.net").diagnostics if d.is_error]
        if not errors:
            counts.miss("rejected", case.name)
            continue
        counts.rejected += 1
        first = errors[0]
        if first.span.line == bug_line:
            counts.right_line += 1
        else:
            counts.miss("right line", case.name)
        shown = render_text(first, SourceFile(case.name, buggy))
        if len(set(SHAPE.findall(shown))) >= 2:
            counts.both_shapes += 1
        else:
            counts.miss("both shapes", case.name)
        if first.fixes:
            counts.fix_present += 1
        else:
            counts.miss("fix present", case.name)
        repaired = fix_source(SourceFile(f"{case.name}/buggy.net", buggy))
        after = compile_text(repaired.text, f"{case.name}/buggy.net")
        if after.ok:
            counts.fix_passes += 1
            if author.ok and semantics(after) == semantics(author):
                counts.fix_equals_author += 1
            else:
                counts.miss("fix equals author's", case.name)
        else:
            counts.miss("fix passes", case.name)
    return counts


@pytest.fixture(scope="module")
def counts() -> Counts:
    return measure()


def test_corpus_is_real_and_large_enough():
    assert len(CORPUS) >= 40
    for case in CORPUS:
        first = (case / "buggy.net").read_text(encoding="utf-8").splitlines()[0]
        assert re.match(r"# source: https?://\S+$", first), case.name
        assert (case / "fixed.net").read_text(encoding="utf-8").splitlines()[0] == first


def test_realbug_counts(counts: Counts):
    print(
        f"\nrealbugs: {counts.total} bugs; rejected {counts.rejected}; right line {counts.right_line}; "
        f"both shapes shown {counts.both_shapes}; fix present {counts.fix_present}; "
        f"netc fix makes it pass {counts.fix_passes}; fixed spec equals the author's {counts.fix_equals_author}; "
        f"author's fixed spec accepted {counts.fixed_accepted}"
    )
    for what, cases in counts.misses.items():
        print(f"  not {what}: {', '.join(cases)}")
    assert counts.fixed_accepted == counts.total
    assert counts.rejected == counts.total
    # floors at what this corpus measured when it was written; raise them as the diagnostics improve
    assert counts.right_line >= 34
    assert counts.fix_present >= 42
    assert counts.fix_passes >= 40
    assert counts.fix_equals_author >= 34
    assert counts.both_shapes >= 28


def test_netc_fix_never_breaks_the_syntax_of_a_real_bug():
    from netspec.compiler import parse

    for case in CORPUS:
        buggy = (case / "buggy.net").read_text(encoding="utf-8")
        repaired = fix_source(SourceFile(case.name, buggy)).text
        assert parse(SourceFile(case.name, repaired))[0] is not None, case.name
        assert "# source:" in repaired  # comments survive
