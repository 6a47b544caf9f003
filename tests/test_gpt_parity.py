"""specs/gpt_char.net equals a hand-written nanoGPT-style module: parameter count, state, outputs, loss, gradients."""

from __future__ import annotations

import torch
from netspec.runtime.load import load

from tests.conftest import ROOT
from tests.handwritten.gpt import GPT, generated_to_reference


def _pair() -> tuple[torch.nn.Module, torch.nn.Module, object]:
    loaded = load(ROOT / "specs" / "gpt_char.net")
    torch.manual_seed(0)
    ours = loaded.model_class()
    ref = GPT(vocab=256, block_size=64, dim=64, heads=4, layers=4)
    ref.load_state_dict(generated_to_reference(ours.state_dict()), strict=True)
    return ours, ref, loaded


def test_parameter_count_equals_reference_with_tied_head():
    ours, ref, loaded = _pair()
    count = sum(p.numel() for p in ours.parameters())
    assert count == sum(p.numel() for p in ref.parameters()) == loaded.metadata["total_params"]
    assert ref.lm_head.weight is ref.wte.weight  # the reference ties too; parameters() counts it once


def test_outputs_loss_and_gradients_equal_reference():
    ours, ref, loaded = _pair()
    ours.eval(), ref.eval()
    tokens = torch.randint(0, 256, (3, 64))
    targets = torch.randint(0, 256, (3, 64))
    out, expected = ours(tokens), ref(tokens)
    assert out.shape == (3, 64, 256)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    loss = loaded.make_loss()(out, targets)
    ref_loss = torch.nn.functional.cross_entropy(expected.view(-1, 256), targets.view(-1))
    torch.testing.assert_close(loss, ref_loss)
    loss.backward(), ref_loss.backward()
    torch.testing.assert_close(ours.tok.weight.grad, ref.wte.weight.grad, rtol=1e-4, atol=1e-6)


def test_shorter_prompts_run_and_causality_holds():
    ours, _, _ = _pair()
    ours.eval()
    tokens = torch.randint(0, 256, (1, 20))
    full = ours(tokens)
    prefix = ours(tokens[:, :7])
    torch.testing.assert_close(full[:, :7], prefix, rtol=1e-5, atol=1e-5)  # no position sees the future
