"""Mixed precision: `bf16` always autocasts; `auto` autocasts only where the hardware computes bf16 natively."""

from __future__ import annotations

import functools

import torch


@functools.cache
def native_bf16(device_type: str) -> bool:
    """True where bf16 matmuls and convolutions run in hardware; elsewhere they are emulated, several times slower."""
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)
    if device_type == "cpu":
        cpu = torch.cpu
        return any(
            getattr(cpu, probe, lambda: False)() for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        )
    return False


def effective_precision(precision: str, device: torch.device) -> str:
    if precision == "auto":
        return "bf16" if native_bf16(device.type) else "fp32"
    return precision


def autocast(device: torch.device, precision: str):
    enabled = effective_precision(precision, device) == "bf16"
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)
