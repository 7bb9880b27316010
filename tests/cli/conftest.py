"""The CLI tests build tiny models: one torch thread, as in tests/model."""

from __future__ import annotations

from tests.model.conftest import _one_thread  # noqa: F401 - an autouse fixture, shared
