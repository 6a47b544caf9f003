"""A GPT written by hand in the nanoGPT manner: the reference that specs/gpt_char.net must equal."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q = self.query(x).view(b, t, self.heads, c // self.heads).transpose(1, 2)
        k = self.key(x).view(b, t, self.heads, c // self.heads).transpose(1, 2)
        v = self.value(x).view(b, t, self.heads, c // self.heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab: int = 256, block_size: int = 64, dim: int = 64, heads: int = 4, layers: int = 4) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(block_size, dim)
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def generated_to_reference(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename the generated model's state_dict keys to this module's (same tensors, same order of layers)."""
    names = {
        "tok.weight": "wte.weight",
        "pos1.weight": "wpe.weight",
        "ln1.weight": "ln_f.weight",
        "ln1.bias": "ln_f.bias",
    }
    inner = {
        "ln1": "ln_1",
        "ln2": "ln_2",
        "attn1.q": "attn.query",
        "attn1.k": "attn.key",
        "attn1.v": "attn.value",
        "attn1.out": "attn.proj",
        "fc1": "mlp.0",
        "fc2": "mlp.2",
    }
    out = {}
    for key, value in state.items():
        if key in names:
            out[names[key]] = value
            continue
        _, index, rest = key.split(".", 2)  # gpt_block_x4.<i>.<layer>.<param>
        layer, param = rest.rsplit(".", 1)
        out[f"blocks.{index}.{inner[layer]}.{param}"] = value
    out["lm_head.weight"] = out["wte.weight"]
    return out
