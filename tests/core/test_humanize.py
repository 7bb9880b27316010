from __future__ import annotations

import pytest

from aether_core.humanize import human_size


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"), (1 << 20, "1.0 MB"),
     ((1 << 20) - 1, "1024.0 KB"), (5 << 30, "5.0 GB"), (3 << 40, "3072.0 GB")],
)  # fmt: skip
def test_human_size(n: int, text: str) -> None:
    assert human_size(n) == text
