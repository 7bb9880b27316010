"""The app's own Textual messages, as small dataclasses (the toad way).

Posted from worker threads (the agent build, a turn's bridge) to the app, which reacts in its
``on_*`` handlers; a message that carries its ``bridge`` is ignored once that turn is over.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from aether_core.agent.events import (
    AnswerDelta,
    ApprovalDecision,
    ApprovalRequest,
    Event,
    ThoughtDelta,
)

if TYPE_CHECKING:
    from .agent import Agent
    from .bridge import TurnBridge

DELTA_EVENTS = (AnswerDelta, ThoughtDelta)


@dataclass(eq=False)
class AgentReady(Message):
    """The agent of build ``generation`` is built."""

    agent: Agent
    generation: int


@dataclass(eq=False)
class AgentFailed(Message):
    """Build ``generation`` failed; ``error`` is one line for the chat."""

    error: str
    generation: int


@dataclass(eq=False)
class AgentEventPosted(Message):
    """One agent event forwarded from the turn's worker."""

    event: Event
    bridge: TurnBridge


@dataclass(eq=False)
class DeltaBatch(Message):
    """Streamed deltas, batched without delay: the worker keeps adding to this batch until the
    UI takes it, so a slow model shows every byte at once and a fast one never floods the queue.
    Order with other events is kept: a new batch starts after every non-delta event."""

    bridge: TurnBridge
    items: list[AnswerDelta | ThoughtDelta] = field(default_factory=list)
    taken: bool = False

    def take(self) -> list[AnswerDelta | ThoughtDelta]:
        """The batch's deltas, consecutive ones of the same kind and step merged."""
        with self.bridge.lock:
            self.taken = True
            items = list(self.items)
        merged: list[AnswerDelta | ThoughtDelta] = []
        for ev in items:
            last = merged[-1] if merged else None
            if (
                last is not None
                and type(last) is type(ev)
                and getattr(last, "step", None) == getattr(ev, "step", None)
            ):
                merged[-1] = dataclasses.replace(last, text=last.text + ev.text)
            else:
                merged.append(ev)
        return merged


@dataclass(eq=False)
class ApprovalAsked(Message):
    """The agent waits for a decision on ``request``; answer with ``reply.set_result(decision)``."""

    request: ApprovalRequest
    reply: Future[ApprovalDecision]
    bridge: TurnBridge


@dataclass(eq=False)
class TurnFinished(Message):
    """The turn's worker is done (after its Done event, or after a crash: ``error`` is set)."""

    bridge: TurnBridge
    error: str | None
    saw_done: bool
