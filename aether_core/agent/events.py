"""Events of one agent turn: small frozen dataclasses every face (TUI, `aether ask`, eval) consumes.

Each event serializes to one JSON object with ``to_json()`` (what ``aether ask --json`` prints).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": type(self).__name__}
        for f in dataclasses.fields(self):
            if f.metadata.get("json", True):
                d[f.name] = getattr(self, f.name)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class StepStarted(Event):
    step: int


@dataclass(frozen=True)
class MemoryRecalled(Event):
    """Entries recalled for this turn (id, text, score), before the model runs."""

    entries: tuple[tuple[str, str, float], ...]


@dataclass(frozen=True)
class ThoughtDelta(Event):
    step: int
    text: str


@dataclass(frozen=True)
class ToolCallRequested(Event):
    step: int
    call_id: str
    tool: str
    args: dict[str, Any]


@dataclass(frozen=True)
class ApprovalNeeded(Event):
    call_id: str
    tool: str
    args: dict[str, Any]
    reason: str  # the last thought: why the model wants this call


@dataclass(frozen=True)
class ToolStarted(Event):
    call_id: str
    tool: str


@dataclass(frozen=True)
class ToolResultEvent(Event):
    call_id: str
    tool: str
    ok: bool
    output: str
    duration_s: float
    status: str  # "ok" | "error" | "denied" | "timeout" | "cancelled"


@dataclass(frozen=True)
class ImageProduced(Event):
    path: str
    codes: bytes = field(repr=False, metadata={"json": False})
    image: Any = field(default=None, repr=False, metadata={"json": False})  # PIL.Image.Image


@dataclass(frozen=True)
class FileProduced(Event):
    path: str
    kind: str
    size: int


@dataclass(frozen=True)
class AnswerDelta(Event):
    text: str


@dataclass(frozen=True)
class ErrorEvent(Event):
    message: str


@dataclass(frozen=True)
class Done(Event):
    steps: int
    bytes_generated: int
    bytes_per_s: float
    wall_s: float
    answer: str
    cancelled: bool = False


@dataclass(frozen=True)
class ApprovalRequest:
    """What the approval callback is asked to decide."""

    call_id: str
    tool: str
    args: dict[str, Any]
    reason: str


@dataclass(frozen=True)
class ApprovalDecision:
    """The UI's answer. ``remember`` makes it stick for this tool until the agent is discarded;
    ``args`` replaces the call's arguments (edit before approving); ``message`` goes back to the
    model with a denial (tell it what to do instead)."""

    approved: bool
    remember: bool = False
    args: dict[str, Any] | None = None
    message: str | None = None
