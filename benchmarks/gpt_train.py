"""specs/gpt_char.net under netc's runtime vs the hand-written nanoGPT-style model under a hand-written loop.

Same data (bytes of the Python reference manual, windows of 64), same initial weights (copied),
same batch, optimizer (AdamW, the spec's lr and weight decay), gradient clipping and number of
steps; the variants alternate within every repeat so machine noise hits both alike. Reports
tokens/s (median over repeats), the validation loss after the same number of steps (the corpus's
held-out last tenth), a bigram model's validation loss for scale, and a sample of generated text.

Run: .venv/bin/python benchmarks/gpt_train.py [--steps 300] [--repeats 3] [--device cuda] [--precision bf16]
     [--compile]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netspec.compiler.train_config import TrainConfig  # noqa: E402
from netspec.runtime.data import load_data  # noqa: E402
from netspec.runtime.load import load  # noqa: E402
from netspec.runtime.precision import autocast  # noqa: E402
from netspec.runtime.prepare import prepare  # noqa: E402
from netspec.runtime.sample import generate  # noqa: E402
from netspec.runtime.text import decode, encode  # noqa: E402
from netspec.runtime.train import RunConfig, Trainer  # noqa: E402

from tests.handwritten.gpt import GPT, generated_to_reference  # noqa: E402


def setup():
    loaded = load(ROOT / "specs" / "gpt_char.net")
    data = prepare(
        load_data("text", loaded.metadata["train"]["data"]["args"]),
        loaded.metadata,
        val_split=0.0,
        test_split=0.1,
        standardize=False,
        onehot=False,
    )
    return loaded, data


@torch.inference_mode()
def val_loss(model, split, device, precision: str) -> float:
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(split.x), 256):
        xb, yb = split.x[i : i + 256].to(device), split.y[i : i + 256].to(device)
        with autocast(device, precision):
            logits = model(xb)
        total += float(F.cross_entropy(logits.float().flatten(0, 1), yb.flatten(), reduction="sum"))
        count += yb.numel()
    return total / count


def bigram_val_loss(data) -> float:
    """Add-one smoothed byte bigram counts from the training windows, scored on the validation windows."""
    counts = np.ones((256, 256))
    np.add.at(counts, (data.train.x.numpy().ravel(), data.train.y.numpy().ravel()), 1)
    logp = np.log(counts / counts.sum(1, keepdims=True))
    return float(-logp[data.test.x.numpy().ravel(), data.test.y.numpy().ravel()].mean())


def settings(loaded, args, seed: int) -> TrainConfig:
    """The spec's train section with this run's steps, seed and precision."""
    written = {**loaded.metadata["train"], "steps": args.steps, "seed": seed, "precision": args.precision}
    return TrainConfig.model_validate(written)


def run_netc(loaded, data, args, tmp: Path, seed: int):
    cfg = RunConfig(train=settings(loaded, args, seed), compile=args.compile, quiet=True, device=args.device)
    trainer = Trainer(loaded.model_class, loaded.make_loss, loaded.metadata, data, cfg, tmp)
    seconds, samples = 0.0, 0.0
    while trainer.step < args.steps:
        row = trainer.train_epoch()
        trainer.epoch += 1
        seconds += row["seconds"]
        samples += row["samples_per_s"] * row["seconds"]
    return trainer.model, samples * data.train.x.shape[1] / seconds, trainer.device


def run_handwritten(loaded, data, args, seed: int, device: torch.device):
    t = settings(loaded, args, seed)
    torch.manual_seed(seed)
    model = GPT(vocab=256, block_size=64, dim=64, heads=4, layers=4)
    torch.manual_seed(seed)
    init = loaded.model_class()  # the same initial weights as netc's model for this seed
    model.load_state_dict(generated_to_reference(init.state_dict()))
    model.to(device)
    step_fn = torch.compile(model) if args.compile else model
    opt_args = t.optimizer.args
    optimizer = torch.optim.AdamW(model.parameters(), lr=opt_args["lr"], weight_decay=opt_args["weight_decay"])
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(
        TensorDataset(data.train.x, data.train.y), batch_size=t.batch_size, shuffle=True, generator=generator
    )
    step, seconds, tokens = 0, 0.0, 0
    model.train()
    while step < args.steps:
        start = time.perf_counter()
        for xb, yb in loader:
            if step == args.steps:
                break
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad(set_to_none=True)
            with autocast(device, args.precision):
                logits = step_fn(xb)
            loss = F.cross_entropy(logits.float().view(-1, 256), yb.view(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), t.clip)
            optimizer.step()
            step += 1
            tokens += yb.numel()
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds += time.perf_counter() - start
    return model, tokens / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    loaded, data = setup()
    print(
        f"gpt_char: {loaded.metadata['total_params']:,} parameters, {len(data.train)} train / {len(data.test)} "
        f"validation windows of 64 bytes, batch {loaded.metadata['train']['batch_size']}, {args.steps} steps, "
        f"device {args.device}, {args.precision}{', compiled' if args.compile else ''}, {args.repeats} repeats"
    )
    rates: dict[str, list[float]] = {"netc train": [], "hand-written": []}
    losses: dict[str, list[float]] = {"netc train": [], "hand-written": []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.repeats):  # interleaved, one seed per repeat (same init and order for both)
            ours, rate, device = run_netc(loaded, data, args, Path(tmp), seed)
            rates["netc train"].append(rate)
            losses["netc train"].append(val_loss(ours, data.test, device, args.precision))
            ref, rate = run_handwritten(loaded, data, args, seed, device)
            rates["hand-written"].append(rate)
            losses["hand-written"].append(val_loss(ref, data.test, device, args.precision))
            print(
                f"  repeat {seed}: tokens/s netc {rates['netc train'][-1]:,.0f} / hand {rates['hand-written'][-1]:,.0f}"
                f"   val loss netc {losses['netc train'][-1]:.4f} / hand {losses['hand-written'][-1]:.4f}"
            )
    base = statistics.median(rates["hand-written"])
    for name in rates:
        rate, loss = statistics.median(rates[name]), statistics.mean(losses[name])
        spread = statistics.pstdev(losses[name])
        print(f"{name:14s} {rate:10,.0f} tokens/s  x{rate / base:.2f}   val loss {loss:.4f} ± {spread:.4f}")
    bigram = bigram_val_loss(data)
    print(f"{'bigram':14s} {'':21s}   val loss {bigram:.4f}   (uniform over bytes: {math.log(256):.4f})")
    generator = torch.Generator().manual_seed(0)
    text = generate(ours.eval(), encode("The "), 300, 64, 0.8, 10, generator, device)
    print("\nsample (netc model, last repeat, temperature 0.8, top-k 10):\nThe " + decode(text))


if __name__ == "__main__":
    main()
