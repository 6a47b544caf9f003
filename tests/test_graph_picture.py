"""`netc graph`: the layer graph as DOT, Mermaid, SVG and PNG, with shapes on edges and blocks as clusters."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pydot
import pytest
from netspec.compiler.graph_picture import picture, to_dot, to_mermaid
from netspec.compiler.pipeline import compile_text
from netspec.compiler.tensor_types import show_shape

from tests.conftest import ROOT, netc

ALL_SPECS = sorted((ROOT / "specs").rglob("*.net"))

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser on pyparsing 3.3


def checked_of(path):
    result = compile_text(path.read_text(), str(path))
    assert result.checked is not None, result.diagnostics
    return result.checked


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.stem)
def test_picture_has_every_layer_and_every_edge_with_its_shape(path):
    checked = checked_of(path)
    graph = checked.graph
    pic = picture(checked)
    assert [n.id for n in pic.nodes] == [i.id for i in graph.inputs] + [n.id for n in graph.nodes] + ["output"]
    expected = {(src, node.id): show_shape(checked.types[src].shape) for node in graph.nodes for src in node.inputs}
    expected[(graph.output, "output")] = show_shape(checked.output.shape)
    assert {(e.src, e.dst): e.label for e in pic.edges} == expected
    assert len(pic.clusters) == len(graph.blocks)
    params = {n.id: n.detail for n in pic.nodes}
    for node in graph.nodes:
        assert params[node.id] == (f"{checked.params[node.id]:,} params" if checked.params[node.id] else "")


@pytest.mark.parametrize("path", ALL_SPECS, ids=lambda p: p.stem)
def test_dot_parses_and_mermaid_lists_everything(path):
    pic = picture(checked_of(path))
    (dot,) = pydot.graph_from_dot_data(to_dot(pic))
    subgraphs, nodes, edges, stack = 0, 0, len(dot.get_edges()), [dot]
    while stack:
        g = stack.pop()
        nodes += len([n for n in g.get_nodes() if n.get_name() not in ("node", "edge", "graph")])
        subgraphs += len(g.get_subgraphs())
        stack += g.get_subgraphs()
        if g is not dot:
            edges += len(g.get_edges())
    assert (nodes, edges, subgraphs) == (len(pic.nodes), len(pic.edges), len(pic.clusters))
    mermaid = to_mermaid(pic).splitlines()
    assert mermaid[0] == "flowchart TB"
    assert sum(1 for line in mermaid if "-->" in line or "-.->" in line) == len(pic.edges)
    assert sum(1 for line in mermaid if line.strip().startswith("subgraph ")) == len(pic.clusters)
    assert sum(1 for line in mermaid if line.strip() == "end") == len(pic.clusters)


def test_residual_edges_and_collapse():
    checked = checked_of(ROOT / "specs" / "resnet18.net")
    pic = picture(checked)
    adds = [n.id for n in checked.graph.nodes if n.op == "add"]
    assert sorted(e.dst for e in pic.edges if e.kind == "residual") == sorted(adds)
    collapsed = picture(checked, collapse=True)
    uses = [b.id for b in checked.graph.blocks if not b.scope]
    assert len(collapsed.nodes) == len([n for n in checked.graph.nodes if not n.scope]) + len(uses) + 2
    assert collapsed.clusters == {}
    assert {n.id: n.detail for n in collapsed.nodes}["basic1"] == "73,984 params"
    assert [e.label for e in collapsed.edges if e.dst == "down1"] == ["[N, 64, 56, 56]"]


def test_graph_cli_writes_every_format(tmp_path):
    spec = str(ROOT / "specs" / "resnet18.net")
    for suffix in ("svg", "png", "dot", "mmd"):
        out = tmp_path / f"model.{suffix}"
        run = netc("graph", spec, "-o", str(out), "--collapse")
        assert run.code == 0 and out.stat().st_size > 0, run.err
    assert (tmp_path / "model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ET.parse(tmp_path / "model.svg").getroot()
    assert svg.tag.endswith("svg") and "down(128)" in (tmp_path / "model.svg").read_text()
    first = (tmp_path / "model.svg").read_bytes()
    assert netc("graph", spec, "-o", str(tmp_path / "model.svg"), "--collapse").code == 0
    assert (tmp_path / "model.svg").read_bytes() == first, "the same spec must draw the same bytes"
    assert netc("graph", spec).out.startswith('digraph "ResNet18"')
    assert netc("graph", spec, "-o", str(tmp_path / "model.jpg")).code == 2
    broken = netc("graph", str(ROOT / "tests" / "cases" / "shape_wrong_in_features.net"), "-o", str(tmp_path / "b.svg"))
    assert broken.code == 1 and "error[E-shape]" in broken.err and not (tmp_path / "b.svg").exists()


def test_graph_and_shapes_never_import_torch(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from netspec.cli import main\n"
        f"assert main(['graph', 'specs/resnet18.net', '-o', {str(tmp_path / 'm.svg')!r}]) == 0\n"
        "assert main(['shapes', 'specs/resnet18.net', '--batch', '64', '--dtype', 'bf16', '--depth', '1']) == 0\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
