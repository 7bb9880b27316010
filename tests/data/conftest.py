"""Fixtures for the data tests: image codecs (a fake one, and the tiny untrained VQ if present)."""

from __future__ import annotations

import hashlib

import pytest
from PIL import Image


class FakeVQ:
    """Deterministic stand-in for the VQ: 128 code bytes hashed from the pixels."""

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, image: Image.Image) -> bytes:
        self.calls += 1
        digest = hashlib.sha512(image.convert("RGB").tobytes()).digest()
        return (digest * 2)[:128]


@pytest.fixture
def fake_vq() -> FakeVQ:
    return FakeVQ()


@pytest.fixture(scope="session")
def tiny_vq():
    """The real (untrained) TinyVQVAE when the model module exists, else the fake codec."""
    try:
        import torch

        from aether_core.model.vq import TinyVQVAE, VQConfig
    except ImportError:
        return FakeVQ()
    torch.manual_seed(0)
    return TinyVQVAE(VQConfig()).eval()
