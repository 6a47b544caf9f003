"""Generated modules cost nothing extra: forward+backward step time of the generated notes models
against the hand-written ones from PyTorch users' notes, interleaved in one process.

Run: .venv/bin/python benchmarks/codegen_overhead.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netspec.runtime.load import load  # noqa: E402

from tests.handwritten.notes_models import CNN, MLP, LSTMClassifier  # noqa: E402

PAIRS = [
    ("notes_mlp", MLP, (64, 1, 28, 28)),
    ("notes_cnn", CNN, (64, 1, 28, 28)),
    ("notes_lstm", LSTMClassifier, (64, 28, 28)),
]
STEPS, ROUNDS = 20, 15


def step_time(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn) -> float:
    start = time.perf_counter()
    for _ in range(STEPS):
        model.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
    return (time.perf_counter() - start) / STEPS


def main() -> None:
    torch.manual_seed(0)
    print(f"forward+backward, batch 64, {STEPS} steps x {ROUNDS} interleaved rounds (median ms per step)")
    for stem, hand_class, shape in PAIRS:
        generated = load(ROOT / "specs" / f"{stem}.net").model_class()
        hand = hand_class()
        generated.load_state_dict(dict(zip(generated.state_dict(), hand.state_dict().values(), strict=True)))
        x, y = torch.randn(*shape), torch.randint(0, 10, (shape[0],))
        loss_fn = torch.nn.CrossEntropyLoss()
        step_time(generated, x, y, loss_fn), step_time(hand, x, y, loss_fn)  # warm-up
        gen_t, hand_t = [], []
        for round_ in range(ROUNDS):
            order = [(generated, gen_t), (hand, hand_t)] if round_ % 2 == 0 else [(hand, hand_t), (generated, gen_t)]
            for model, sink in order:
                sink.append(step_time(model, x, y, loss_fn))
        g, h = statistics.median(gen_t), statistics.median(hand_t)
        print(f"  {stem:11s} generated {g * 1e3:7.3f}  hand-written {h * 1e3:7.3f}  ratio {g / h:.3f}")


if __name__ == "__main__":
    main()
