"""Shared fixtures for the core tests: tiny, seeded models that run in milliseconds on a CPU."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest
import torch

from .helpers import tiny_model


@pytest.fixture(scope="package", autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny models are dominated by threading overhead; on a shared 2-core machine a second thread
    makes single-token steps ~100x slower. Restored afterwards for the other test packages."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


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
