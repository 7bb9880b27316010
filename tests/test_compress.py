"""Model-driven arithmetic coding: exact round trips, size = model cross-entropy, clear errors."""

from __future__ import annotations

import math

import pytest
import torch

from aether_core.compress import CompressError, _freqs, compress, decompress, read_header
from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.sampling import DecodeSession
from aether_core.vocab import Tok


def tiny(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    cfg = ModelConfig(dim=32, n_layers=1, n_heads=2, cross_attn=False, max_seq_len=256)
    model = build_model(cfg).eval()
    with torch.no_grad():  # sharpen the distribution so sizes differ clearly from 8 bits/byte
        model.embed.weight.mul_(20)
    return model


@pytest.mark.parametrize("data", [b"", b"a", bytes(range(0, 256, 5)), b"abcabc" * 12])
def test_round_trip(data: bytes) -> None:
    model = tiny(0)
    assert decompress(model, compress(model, data, chunk=100)) == data


def test_size_matches_model_cross_entropy() -> None:
    model = tiny(1)
    data = bytes(torch.randint(0, 256, (200,), generator=torch.Generator().manual_seed(3)).tolist())
    session = DecodeSession(model, 202)
    logits = session.feed([int(Tok.BOS)])
    bits = 0.0
    with torch.inference_mode():
        for b in data:
            cum = _freqs(logits)  # the quantized distribution the coder uses
            bits -= math.log2((cum[b + 1] - cum[b]) / cum[-1])
            logits = session.step(b)
    header, payload = read_header(compress(model, data, chunk=1000))
    assert header["n"] == len(data)
    assert abs(8 * len(payload) - bits) < 0.02 * bits + 64
    assert abs(bits / len(data) - 8) > 0.5  # the sharpened model is far from uniform


def test_wrong_model_and_corruption_are_clear_errors() -> None:
    blob = compress(tiny(0), b"some text to squeeze", chunk=64)
    with pytest.raises(CompressError, match="different model"):
        decompress(tiny(5), blob)
    with pytest.raises(CompressError, match="magic"):
        decompress(tiny(0), b"PK\x03\x04" + blob)
    broken = bytearray(blob)
    broken[-3] ^= 0xFF
    with pytest.raises(CompressError, match="checksum"):
        decompress(tiny(0), bytes(broken))
