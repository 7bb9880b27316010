"""Snapshot tests (pytest-textual-snapshot): the main screen, the approval modal, an image.

Deterministic by construction: the fake agent has fixed info and timings, the store is fresh,
the cursor does not blink, and nothing time-dependent is on screen when the shot is taken.
Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from aether_core.agent.events import AnswerDelta, MemoryRecalled, StepStarted, ThoughtDelta
from aether_tui.app import AetherApp
from aether_tui.screens.approval import ApprovalScreen
from aether_tui.settings import Settings
from aether_tui.store import ChatStore
from aether_tui.widgets.image import ChatImage
from tests.tui.fakes import FakeFactory, FakeMemory, MemoryEntry, Tool
from tests.tui.helpers import ready, send, settle, wait_until

ANSWER = "The result is **42**.\n\n| a | b |\n|---|---|\n| 6 | 7 |\n\n```python\nprint(6 * 7)\n```"


def script(text: str) -> list:
    return [
        MemoryRecalled((("m1", "the user likes short answers", 0.9),)),
        StepStarted(1),
        ThoughtDelta(1, "Multiply with the calculator."),
        Tool("calc", {"expr": "6*7"}, reason="Multiply with the calculator.", output="42"),
        StepStarted(2),
        ThoughtDelta(2, "Now answer."),
        AnswerDelta(ANSWER),
    ]


def make(tmp_path: Path, approve: str = "all") -> AetherApp:
    memory = FakeMemory(
        [
            MemoryEntry("m1", "the user likes short answers", "preference"),
            MemoryEntry("m2", "Aether is a bytes-first agent", "fact"),
        ]
    )
    factory = FakeFactory(script=script, memory=memory, approve=approve)
    store = ChatStore(tmp_path / "chats.sqlite3", clock=lambda: 1000.0)
    return AetherApp(agent_factory=factory, settings=Settings(), store=store)


async def _steady(pilot) -> None:
    """No focus (no blinking cursor) and tables laid out: nothing left to change."""
    pilot.app.main.prompt.cursor_blink = False
    pilot.app.main.set_focus(None)
    await settle(pilot)
    for _ in range(3):  # let tables lay out on idle
        await pilot.pause(0.05)


def test_main_screen(snap_compare, tmp_path: Path):
    async def run_before(pilot):
        await ready(pilot)
        await send(pilot, "What is 6*7?")
        await _steady(pilot)

    assert snap_compare(make(tmp_path), terminal_size=(120, 36), run_before=run_before)


def test_approval_modal_small_terminal(snap_compare, tmp_path: Path):
    async def run_before(pilot):
        await ready(pilot)
        await send(pilot, "What is 6*7?", wait=False)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ApprovalScreen))
        pilot.app.main.prompt.cursor_blink = False
        await settle_no_workers(pilot)

    assert snap_compare(
        make(tmp_path, approve="ask"), terminal_size=(80, 24), run_before=run_before
    )


async def settle_no_workers(pilot) -> None:
    """The turn's worker is blocked on the modal, so only let messages settle."""
    for _ in range(3):
        await pilot.pause()


def test_image_in_chat(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # the caption shows the path as typed: keep it stable
    img = Image.new("RGB", (64, 64))
    for y in range(64):
        for x in range(64):
            img.putpixel((x, y), (x * 4, y * 4, 255 - x * 2))
    img.save(tmp_path / "gradient.png")
    app = make(tmp_path)
    app.agent_factory.agent_kwargs["script"] = lambda text: [AnswerDelta("A gradient.")]

    async def run_before(pilot):
        await ready(pilot)
        await send(pilot, "/image gradient.png", wait=False)
        await send(pilot, "What is this?")
        await wait_until(pilot, lambda: pilot.app.main.chat.query_one(ChatImage).image is not None)
        await _steady(pilot)
        pilot.app.main.chat.scroll_home(animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 45), run_before=run_before)
