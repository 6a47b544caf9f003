"""The zoo's oracle: each specs/zoo model next to torchvision's, and one comparison both the tests and the table use."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torchvision
from netspec.runtime.foreign_weights import derive_mapping, init_from
from netspec.runtime.load import load
from torch import nn

ZOO_DIR = Path(__file__).resolve().parent.parent / "specs" / "zoo"


@dataclass(frozen=True)
class Zoo:
    stem: str  # specs/zoo/<stem>.net
    builder: str  # torchvision.models.<builder>
    kwargs: dict[str, Any] = field(default_factory=dict)
    slow: bool = False  # over 50M parameters, or over 10 s on a 2-core CPU: only in the slow set (-m slow)
    small: int = 32  # a smaller image side the model also accepts (every zoo model pools adaptively)
    side: int = 224  # the image side for a spec whose input size is symbolic (H, W)
    output: str | None = None  # the key of torchvision's output dict (segmentation models return {"out": ...})

    @property
    def spec(self) -> Path:
        return ZOO_DIR / f"{self.stem}.net"

    def torchvision(self) -> nn.Module:
        builder: Any = torchvision.models
        for part in self.builder.split("."):  # e.g. segmentation.lraspp_mobilenet_v3_large
            builder = getattr(builder, part)
        return builder(weights=None, **self.kwargs)

    def run_torchvision(self, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out = model(x)
        return out[self.output] if self.output else out


NO_AUX = {"aux_logits": False, "init_weights": True}  # the zoo's GoogLeNet and Inception v3 have no aux heads
ZOO = [
    Zoo("resnet18", "resnet18"),
    Zoo("resnet34", "resnet34"),
    Zoo("resnet50", "resnet50"),
    Zoo("resnext50_32x4d", "resnext50_32x4d"),
    Zoo("wide_resnet50_2", "wide_resnet50_2", slow=True),
    Zoo("vgg16_bn", "vgg16_bn", slow=True),
    Zoo("alexnet", "alexnet", slow=True, small=64),  # 61M parameters; its first pools need 63 pixels or more
    Zoo("squeezenet1_1", "squeezenet1_1"),
    Zoo("densenet121", "densenet121"),
    Zoo("googlenet", "googlenet", NO_AUX),
    Zoo("inception_v3", "inception_v3", NO_AUX, slow=True, small=80),
    Zoo("mobilenet_v2", "mobilenet_v2"),
    Zoo("mobilenet_v3_large", "mobilenet_v3_large"),
    Zoo("mnasnet1_0", "mnasnet1_0"),
    Zoo("shufflenet_v2_x1_0", "shufflenet_v2_x1_0"),
    Zoo("efficientnet_b0", "efficientnet_b0"),
    Zoo("efficientnet_v2_s", "efficientnet_v2_s"),
    Zoo("regnet_y_400mf", "regnet_y_400mf"),
    Zoo("convnext_tiny", "convnext_tiny"),
    # segmentation: 21 classes per pixel, any image size (torchvision's output dict's "out")
    Zoo(
        "lraspp_mobilenet_v3_large", "segmentation.lraspp_mobilenet_v3_large", {"weights_backbone": None}, output="out"
    ),
]


def torchvision_model(entry: Zoo) -> nn.Module:
    """torchvision's model with random weights, and batchnorm statistics that are not the defaults."""
    torch.manual_seed(0)
    model = entry.torchvision()
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(c, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(c, generator=generator) * 0.1)
            module.num_batches_tracked.fill_(int(torch.randint(1, 100, (1,), generator=generator)))
    return model


def without_randomness(model: nn.Module) -> None:
    """Dropout and stochastic depth at p = 0, so train mode is deterministic."""
    for module in model.modules():
        if isinstance(module, nn.Dropout | torchvision.ops.StochasticDepth):
            module.p = 0.0


def max_rel_diff(ours: torch.Tensor, theirs: torch.Tensor) -> float:
    ours, theirs = ours.detach().float(), theirs.detach().float()
    return float((ours - theirs).abs().max() / theirs.abs().max().clamp_min(1e-12))


@dataclass
class Comparison:
    params: int
    torchvision_params: int
    tensors_loaded: int
    state_tensors: int
    eval_diff: float  # max |ours - theirs| / max |theirs|, eval mode
    train_diff: float  # the same for train-mode outputs
    grad_diff: float  # the worst parameter gradient, relative to that gradient's scale
    state_diff: float  # running statistics after the train-mode step, relative
    output_shape: tuple[int, ...]


@contextmanager
def one_thread() -> Iterator[None]:
    """One intra-op thread: on a shared, busy CPU two threads that wait on each other ran 15x slower (43 s vs 2.8 s)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def compare(entry: Zoo, side: int | None, weights_file: Path) -> Comparison:
    """Load torchvision's saved state_dict into the generated module and run both, eval and train mode."""
    with one_thread():
        return _compare(entry, side, weights_file)


def _compare(entry: Zoo, side: int | None, weights_file: Path) -> Comparison:
    tv = torchvision_model(entry)
    loaded = load(entry.spec)
    ours = loaded.model_class()
    torch.save(tv.state_dict(), weights_file)
    tensors = init_from(ours, weights_file)
    shape = loaded.metadata["inputs"][0]["shape"]
    size = [shape[1], side, side] if side else [d if isinstance(d, int) else entry.side for d in shape[1:]]
    x = torch.randn(2, *size, generator=torch.Generator().manual_seed(2))

    tv.eval()
    ours.eval()
    with torch.no_grad():
        expected, got = entry.run_torchvision(tv, x), ours(x)
    eval_diff = max_rel_diff(got, expected) if got.shape == expected.shape else float("inf")

    without_randomness(tv)
    without_randomness(ours)
    tv.train()
    ours.train()
    expected, got = entry.run_torchvision(tv, x), ours(x)
    train_diff = max_rel_diff(got, expected)
    probe = torch.randn(expected.shape, generator=torch.Generator().manual_seed(3))
    (expected * probe).sum().backward()
    (got * probe).sum().backward()
    mapping = derive_mapping(ours.state_dict(), tv.state_dict())
    theirs = dict(tv.named_parameters())
    grad_diff = max(max_rel_diff(p.grad, theirs[mapping[name]].grad) for name, p in ours.named_parameters())
    theirs_state = tv.state_dict()
    state_diff = max(max_rel_diff(v, theirs_state[mapping[k]]) for k, v in ours.state_dict().items())
    return Comparison(
        params=sum(p.numel() for p in ours.parameters()),
        torchvision_params=sum(p.numel() for p in tv.parameters()),
        tensors_loaded=tensors,
        state_tensors=len(theirs_state),
        eval_diff=eval_diff,
        train_diff=train_diff,
        grad_diff=grad_diff,
        state_diff=state_diff,
        output_shape=tuple(got.shape),
    )


def code_lines(text: str) -> int:
    """Lines that are neither blank nor only a comment."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def torchvision_source_lines(entry: Zoo) -> int:
    """The torchvision classes this model is built from (its own modules, not torch.nn's), as code lines."""
    classes = {type(m) for m in entry.torchvision().modules() if type(m).__module__.startswith("torchvision.")}
    total = 0
    for cls in classes:
        source = inspect.getsource(cls)
        doc = inspect.getdoc(cls)
        total += code_lines(source) - (code_lines(doc) if doc else 0)
    return total
