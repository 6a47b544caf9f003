"""Generated modules: importable, equal to hand-written PyTorch, deterministic, ruff-clean, injection-proof."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from netspec.compiler.codegen import generate
from netspec.compiler.names import NN_MODULE_ATTRIBUTES
from netspec.compiler.pipeline import compile_text
from netspec.runtime.load import load, load_text
from torch import nn

from tests.conftest import ROOT, SPECS, assert_snapshot, netc
from tests.handwritten.notes_models import CNN, MLP, LSTMClassifier
from tests.oracle import random_input

RUFF = Path(sys.executable).with_name("ruff")


def build_text(path: Path) -> str:
    result = compile_text(path.read_text(), str(path.relative_to(ROOT)))
    assert result.checked is not None and result.train is not None, result.diagnostics
    return generate(result.checked, result.train, str(path.relative_to(ROOT)))


def import_file(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model_class(module) -> type[nn.Module]:
    return getattr(module, module.METADATA["class_name"])


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_spec_builds_imports_and_runs(path, tmp_path):
    out = tmp_path / f"{path.stem}.py"
    assert netc("build", str(path), "-o", str(out)).code == 0
    first = out.read_bytes()
    assert netc("build", str(path), "-o", str(out)).code == 0
    assert out.read_bytes() == first, "not deterministic"
    module = import_file(out, f"gen_{path.stem}")
    model = model_class(module)().eval()
    shapes = json.loads(netc("shapes", "--format", "json", str(path)).out)
    assert sum(p.numel() for p in model.parameters()) == shapes["total_params"] == module.METADATA["total_params"]
    (inp,) = module.METADATA["inputs"]
    batch = 2 if path.stem != "resnet18" else 1
    dims = tuple(batch if d == "N" else (7 if isinstance(d, str) else d) for d in inp["shape"])
    with torch.no_grad():
        y = model(random_input(inp["dtype"], dims))
    assert list(y.shape) == [batch if d == "N" else (7 if isinstance(d, str) else d) for d in shapes["output_shape"]]
    loss = module.make_loss()
    assert isinstance(loss, nn.CrossEntropyLoss | nn.BCEWithLogitsLoss | nn.MSELoss | nn.L1Loss | nn.HuberLoss)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_generated_code_is_ruff_clean(path, tmp_path):
    out = tmp_path / f"{path.stem}.py"
    out.write_text(build_text(path))
    config = ["--config", str(ROOT / "pyproject.toml")]
    check = subprocess.run([str(RUFF), "check", *config, str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run([str(RUFF), "format", "--check", "--diff", *config, str(out)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize("stem", ["notes_cnn", "resnet18", "digits_cnn"])
def test_golden(stem):
    assert_snapshot(f"../golden/{stem}.py", build_text(ROOT / "specs" / f"{stem}.net"))


@pytest.mark.parametrize(
    ("stem", "hand"),
    [("notes_mlp", MLP), ("notes_cnn", CNN), ("notes_lstm", LSTMClassifier)],
)
def test_equal_to_hand_written(stem, hand):
    generated = load(ROOT / "specs" / f"{stem}.net").model_class().eval()
    reference = hand().eval()
    assert sum(p.numel() for p in generated.parameters()) == sum(p.numel() for p in reference.parameters())
    # copy weights across in definition order (same layers, same shapes)
    src, dst = list(reference.state_dict().values()), generated.state_dict()
    assert [tuple(t.shape) for t in src] == [tuple(t.shape) for t in dst.values()]
    generated.load_state_dict(dict(zip(dst.keys(), src, strict=True)))
    x = torch.randn(4, 1, 28, 28) if stem != "notes_lstm" else torch.randn(4, 28, 28)
    with torch.no_grad():
        assert torch.allclose(generated(x), reference(x), atol=1e-6)


def test_nn_module_attribute_list_matches_torch():
    public = {name for name in dir(nn.Module) if not name.startswith("_")}
    assert public <= NN_MODULE_ATTRIBUTES, public - NN_MODULE_ATTRIBUTES


HOSTILE_PATH = "x.csv\"); import os; os.system('touch /tmp/netc-pwned') #"
HOSTILE_TARGET = "'''\"\"\"); __import__('os')"
HOSTILE = "\n".join(
    [
        "block class(import, lambda=2):",
        "    self = in -> linear(import) -> relu",
        "    out self",
        "model nn",
        "input torch: float32[N, 8]",
        "task regression(outputs=2)",
        "layers:",
        "    forward = linear(8)",
        "    __init__ = forward -> relu",
        "    cuda = class(8)",
        "    eval = cuda -> linear(2)",
        "train:",
        "    data csv(" + json.dumps(HOSTILE_PATH) + ", target=" + json.dumps(HOSTILE_TARGET) + ")",
        "",
    ]
)


def test_hostile_names_cannot_inject(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loaded = load_text(HOSTILE, "hostile.net")
    model = loaded.model_class()
    assert sum(p.numel() for p in model.parameters()) == loaded.metadata["total_params"]
    assert model(torch.randn(3, 8)).shape == (3, 2)
    assert loaded.metadata["train"]["data"]["args"]["path"] == HOSTILE_PATH
    assert loaded.metadata["train"]["data"]["args"]["target"] == HOSTILE_TARGET
    assert not Path("/tmp/netc-pwned").exists()
    assert callable(model.train) and callable(model.forward) and isinstance(model.training, bool)
    compile(loaded.code, "hostile.py", "exec")
    import ast

    calls = {ast.unparse(n.func) for n in ast.walk(ast.parse(loaded.code)) if isinstance(n, ast.Call)}
    assert not any(name in {"exec", "eval", "__import__", "os.system", "open"} for name in calls), calls


def test_in_process_load_writes_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loaded = load(ROOT / "specs" / "notes_mlp.net")
    assert loaded.model_class()(torch.randn(2, 1, 28, 28)).shape == (2, 10)
    assert list(tmp_path.iterdir()) == []


def test_import_hook(tmp_path, monkeypatch):
    from netspec import runtime

    package = tmp_path / "models"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tiny.net").write_text((ROOT / "specs" / "notes_mlp.net").read_text())
    monkeypatch.syspath_prepend(str(tmp_path))
    runtime.enable_import_hook()
    try:
        from models import tiny  # type: ignore[import-not-found]

        assert tiny.NotesMLP()(torch.randn(2, 1, 28, 28)).shape == (2, 10)
        cached = list((package / "__pycache__").glob("tiny.netc-*.py"))
        assert len(cached) == 1 and tiny.__file__ == str(cached[0])
    finally:
        runtime.disable_import_hook()
        sys.modules.pop("models.tiny", None)
        sys.modules.pop("models", None)


def test_traceback_names_the_spec_line(tmp_path):
    path = tmp_path / "bad_input.py"
    path.write_text(build_text(ROOT / "specs" / "notes_cnn.net"))
    module = import_file(path, "gen_tb")
    model = model_class(module)()
    with pytest.raises(RuntimeError) as failure:
        model(torch.randn(2, 3, 28, 28))  # wrong channel count at run time
    text = str(failure.getrepr(style="native"))
    assert str(path) in text and "(line 8)" in text


def test_equal_repeats_get_distinct_attributes():
    """Two `block(...) * 2` in one scope once shared one attribute name: the second overwrote the first."""
    loaded = load_text(
        "block b(c):\n    y = in -> linear(c)\n    out relu(y)\n\n"
        "model Twice\ninput x: float32[N, 4]\ntask regression(outputs=1)\n"
        "layers:\n    b(4) * 2\n    linear(8)\n    b(8) * 2\n    linear(1)\n"
    )
    model = loaded.model_class()
    assert sum(p.numel() for p in model.parameters()) == loaded.metadata["total_params"]
    assert model(torch.randn(3, 4)).shape == (3, 1)
