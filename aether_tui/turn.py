"""One running turn on the main screen: each agent event drawn where it belongs (dispatched on
the event classes of ``aether_core.agent.events``), and the live bytes/s for the status line."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aether_core.agent.events import (
    AnswerDelta,
    ApprovalNeeded,
    Done,
    ErrorEvent,
    Event,
    FileProduced,
    ImageProduced,
    MemoryRecalled,
    ThoughtDelta,
    ToolCallRequested,
    ToolResultEvent,
    ToolStarted,
)

from .screens.main import MainScreen


class TurnView:
    def __init__(self, main: MainScreen) -> None:
        self.main = main
        self.bytes = 0
        self.started = time.monotonic()
        self.over = False  # after Done the status line shows the turn's stats, not live ones
        self.answered = False  # the answer streamed: Done's copy of it is not shown again
        self._handlers: dict[type[Event], Callable[..., Awaitable[None]]] = {
            ThoughtDelta: self._thought,
            AnswerDelta: self._answer,
            MemoryRecalled: self._recalled,
            ToolCallRequested: self._call,
            ApprovalNeeded: self._approval,
            ToolStarted: self._tool_started,
            ToolResultEvent: self._tool_result,
            ImageProduced: self._image,
            FileProduced: self._file,
            ErrorEvent: self._error,
            Done: self._done,
        }

    async def show(self, event: Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:  # e.g. StepStarted: nothing to draw
            await handler(event)

    def live_status(self) -> str:
        elapsed = max(1e-6, time.monotonic() - self.started)
        return f"● generating · {self.bytes / elapsed:.0f} B/s · {elapsed:.0f}s"

    async def _thought(self, ev: ThoughtDelta) -> None:
        self.bytes += len(ev.text.encode())
        await self.main.thoughts.add_delta(ev.step, ev.text)

    async def _answer(self, ev: AnswerDelta) -> None:
        self.bytes += len(ev.text.encode())
        self.answered = True
        await self.main.chat.append_answer(ev.text)

    async def _recalled(self, ev: MemoryRecalled) -> None:
        self.main.memory.set_recalled(ev.entries)

    async def _call(self, ev: ToolCallRequested) -> None:
        self.main.tools.add_call(ev.call_id, ev.tool, ev.args, ev.step)

    async def _approval(self, ev: ApprovalNeeded) -> None:
        self.main.tools.add_call(ev.call_id, ev.tool, ev.args)
        self.main.tools.set_status(ev.call_id, "approval", ev.tool)

    async def _tool_started(self, ev: ToolStarted) -> None:
        self.main.tools.set_status(ev.call_id, "running", ev.tool)

    async def _tool_result(self, ev: ToolResultEvent) -> None:
        self.main.tools.set_result(ev.call_id, ev.tool, ev.status, ev.output, ev.duration_s)

    async def _image(self, ev: ImageProduced) -> None:
        widget = await self.main.chat.add_image(ev.image, ev.path, "produced")
        if ev.image is None and ev.path:
            widget.load(ev.path)

    async def _file(self, ev: FileProduced) -> None:
        await self.main.chat.add_notice(f"📄 saved {ev.path} ({ev.kind}, {ev.size} bytes)")

    async def _error(self, ev: ErrorEvent) -> None:
        await self.main.chat.add_notice(ev.message, "error")

    async def _done(self, done: Done) -> None:
        self.over = True
        # a drawing's answer streams before its picture, which ends the bubble: no second one
        await self.main.chat.end_answer(final=None if self.answered else done.answer or None)
        if done.cancelled:
            await self.main.chat.add_notice("Turn cancelled.", "warning")
        self.main.status.set_state(
            f"{'✗ cancelled' if done.cancelled else '✓ done'} · {done.steps} steps · "
            f"{done.bytes_generated} B · {done.bytes_per_s:.1f} B/s · {done.wall_s:.1f}s",
            "idle",
        )
