from __future__ import annotations

from pathlib import Path

import pytest
import torch

from .helpers import write_text


@pytest.fixture(autouse=True)
def _one_thread():
    """Tests share two cores with other work: one thread each, and the same result every time."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    return write_text(tmp_path / "data.txt")
