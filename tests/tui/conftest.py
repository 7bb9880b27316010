"""Shared fixtures: isolated data/config dirs, a store, settings and an app factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aether_tui.app import AetherApp
from aether_tui.settings import Settings
from aether_tui.store import ChatStore
from tests.tui.fakes import FakeFactory
from tests.tui.real import RealFactory


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real chats or settings."""
    monkeypatch.setenv("AETHER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AETHER_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def store(tmp_path: Path) -> ChatStore:
    s = ChatStore(tmp_path / "chats.sqlite3", clock=_Clock())
    yield s
    s.close()


class _Clock:
    """A deterministic clock for the store (timestamps 1000, 1001, ...)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        self.t += 1
        return self.t


@pytest.fixture
def make_app(store: ChatStore) -> Callable[..., tuple[AetherApp, RealFactory | FakeFactory]]:
    """An app on the shared store; by default driving the real agent with a scripted policy."""

    def make(factory=None, **kwargs) -> tuple[AetherApp, RealFactory | FakeFactory]:
        factory = factory or RealFactory()
        settings = kwargs.pop("settings", None) or Settings()
        app = AetherApp(agent_factory=factory, settings=settings, store=store, **kwargs)
        return app, factory

    return make
