"""Pilot helpers: wait for the agent, type a message, wait until the turn has finished."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.pilot import Pilot

from aether_tui.app import AetherApp


async def wait_until(pilot: Pilot, cond: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the app run until ``cond()`` holds (workers run in threads, so poll)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.01)
    await pilot.pause()


async def ready(pilot: Pilot) -> AetherApp:
    app = pilot.app
    assert isinstance(app, AetherApp)
    await wait_until(pilot, lambda: app.agent is not None)
    return app


async def type_text(pilot: Pilot, text: str) -> None:
    app = pilot.app
    prompt = app.main.prompt  # type: ignore[attr-defined]
    prompt.focus()
    prompt.load_text(text)
    prompt.move_cursor(prompt.document.end)
    await pilot.pause()


async def send(pilot: Pilot, text: str, wait: bool = True) -> None:
    """Type ``text`` in the input and press Enter; by default wait until the turn is over."""
    app = pilot.app
    await type_text(pilot, text)
    await pilot.press("enter")
    if wait:
        await wait_until(pilot, lambda: not app.generating)  # type: ignore[attr-defined]
        await settle(pilot)


async def settle(pilot: Pilot) -> None:
    """Finish pending workers and message processing."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await asyncio.sleep(0)
    await pilot.pause()
