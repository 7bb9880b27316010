"""Shared fixtures for the core tests: tiny, seeded models that run in milliseconds on a CPU."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import torch

from .helpers import tiny_model


@pytest.fixture(autouse=True)
def _seeded() -> None:
    torch.manual_seed(0)
    random.seed(0)


@pytest.fixture
def make_model() -> Callable[..., torch.nn.Module]:
    """Factory: ``make_model(seed=0, **config_overrides)`` -> a tiny model in eval mode."""
    return tiny_model


@pytest.fixture
def model() -> torch.nn.Module:
    return tiny_model()
