"""Tiny, seeded models: one torch thread is faster than two and keeps shared CI cores free."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import torch

from tests.core.helpers import tiny_model


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)
    random.seed(0)


@pytest.fixture
def model() -> torch.nn.Module:
    """A tiny model (tests.core.helpers.tiny_model) in eval mode."""
    return tiny_model()
