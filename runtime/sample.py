"""`netc sample`: text from a trained byte-level language model (temperature, top-k), prompt first."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import torch
from netspec.runtime.errors import RuntimeProblem
from netspec.runtime.load import LoadedSpec
from netspec.runtime.text import decode, encode

DEFAULT_CONTEXT = 64
Restore = Callable[[LoadedSpec, str, torch.device], tuple[Any, ...]]


def language_model_context(metadata: dict) -> int:
    """How many tokens the model reads at once: the training windows' length (`text(length=...)`)."""
    task, inputs = metadata["task"], metadata["inputs"]
    if task.get("layout") != "token" or len(inputs) != 1 or not inputs[0]["dtype"].startswith("int"):
        raise RuntimeProblem(
            "`netc sample` needs a language model: one int64[N, T] input and multiclass logits per token [N, T, C]",
            code="E-usage",
            help="end the model with a per-token head such as `tied_linear(tok)` or `linear(256)`",
        )
    if task["outputs"] < 256:
        raise RuntimeProblem(
            f"`netc sample` writes bytes, but the model predicts {task['outputs']} classes (256 needed)",
            code="E-usage",
            help="train on `data text(...)` with `task multiclass(classes=256)`",
        )
    data = metadata["train"]["data"]
    return int(data["args"].get("length", DEFAULT_CONTEXT)) if data["name"] == "text" else DEFAULT_CONTEXT


def position_limit(metadata: dict) -> dict | None:
    """The bound a position table puts on the sequence length, if the model has one."""
    (tokens,) = metadata["inputs"]
    return tokens.get("max_sizes", {}).get(tokens["shape"][1])


@torch.inference_mode()
def generate(
    model: torch.nn.Module,
    prompt: list[int],
    tokens: int,
    context: int,
    temperature: float,
    top_k: int | None,
    generator: torch.Generator,
    device: torch.device,
) -> list[int]:
    ids = torch.tensor([prompt or [ord("\n")]], dtype=torch.int64, device=device)
    for _ in range(tokens):
        logits = model(ids[:, -context:])[0, -1].float()
        if temperature == 0:
            choice = logits.argmax().view(1)
        else:
            logits = logits / temperature
            if top_k is not None and top_k < logits.numel():
                cutoff = torch.topk(logits, top_k).values[-1]
                logits = logits.masked_fill(logits < cutoff, float("-inf"))
            choice = torch.multinomial(logits.softmax(-1).cpu(), 1, generator=generator).to(device)
        ids = torch.cat([ids, choice.view(1, 1)], dim=1)
    return ids[0, len(prompt) if prompt else 1 :].tolist()


def sample(args: argparse.Namespace, loaded: LoadedSpec, restore: Restore, device: torch.device) -> int:
    context = args.context or language_model_context(loaded.metadata)
    limit = position_limit(loaded.metadata)
    if limit is not None and context > limit["max"]:
        if args.context:
            raise RuntimeProblem(
                f"--context {context} is longer than the {limit['max']} positions of {limit['layer']}",
                code="E-usage",
                help=f"use --context {limit['max']} or less",
            )
        context = limit["max"]
    model = restore(loaded, args.checkpoint, device)[0]  # the model first, then what else the runtime restores
    generator = torch.Generator().manual_seed(args.seed)
    prompt = encode(args.prompt)
    out = generate(model, prompt, args.tokens, context, args.temperature, args.top_k, generator, device)
    print(args.prompt + decode(out))
    return 0
