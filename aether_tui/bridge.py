"""Runs one agent turn in a thread worker and forwards its events to the UI as Textual messages.

``agent.run`` is a blocking generator (model forward passes, tools), so it never runs on the UI
thread. Each event is posted to the target (the app) as :class:`AgentEventPosted`; answer/thought deltas
go in a :class:`~.messages.DeltaBatch` that keeps growing until the UI takes it, so a fast model does not
flood the message queue with one message per byte and a slow one is shown without delay.

Approval: the agent calls the approver from its own thread right after yielding
``ApprovalNeeded``. The bridge posts :class:`ApprovalAsked` with a ``Future`` and blocks the worker
on it until the UI answers (the modal), the turn is cancelled, or the app shuts down — a cancel
resolves it as a denial so the agent's thread can finish promptly.

The event classes come from ``aether_core.agent.events``, which imports without torch.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, get_current_worker

from aether_core.agent.events import (
    AnswerDelta,
    ApprovalDecision,
    ApprovalRequest,
    Done,
    ThoughtDelta,
)

from .messages import DELTA_EVENTS, AgentEventPosted, ApprovalAsked, DeltaBatch, TurnFinished

if TYPE_CHECKING:
    from .agent import Agent


def deny_decision(message: str | None = None) -> ApprovalDecision:
    """The answer to a request nobody will look at (cancel, shutdown, a closed modal)."""
    return ApprovalDecision(approved=False, message=message)


def resolve(reply: Future[ApprovalDecision], decision: ApprovalDecision) -> bool:
    """Answer a pending approval once; False when it was already answered (e.g. cancelled)."""
    try:
        reply.set_result(decision)
    except InvalidStateError:
        return False
    return True


class TurnBridge:
    """One turn: start it, cancel it, and forward what it does to ``target``."""

    def __init__(self, target: MessagePump, agent: Agent) -> None:
        self.target = target
        self.agent = agent
        self.cancelled = threading.Event()
        self.worker: Worker | None = None
        self._replies: set[Future[ApprovalDecision]] = set()
        self.lock = threading.Lock()
        self._batch: DeltaBatch | None = None

    # ------------------------------------------------------------------ UI thread
    def start(self, text: str, images: Sequence[str] = (), files: Sequence[str] = ()) -> Worker:
        """Start the turn in a thread worker (group ``turn``)."""
        self.worker = self.target.run_worker(
            lambda: self._run(text, tuple(images), tuple(files)),
            name="agent-turn",
            group="turn",
            thread=True,
            exit_on_error=False,
        )
        return self.worker

    def cancel(self) -> None:
        """Ask the turn to stop; pending approvals are answered with a denial. Thread-safe."""
        self.cancelled.set()
        try:
            self.agent.cancel()
        finally:
            with self.lock:
                replies = list(self._replies)
            for reply in replies:
                resolve(reply, deny_decision())

    @property
    def running(self) -> bool:
        return self.worker is not None and not self.worker.is_finished

    # ------------------------------------------------------------------ worker thread
    def _post(self, message: Message) -> None:
        self.target.post_message(message)

    def _add_delta(self, event: AnswerDelta | ThoughtDelta) -> None:
        with self.lock:
            batch = self._batch
            fresh = batch is None or batch.taken
            if fresh:
                batch = self._batch = DeltaBatch(self)
            batch.items.append(event)
        if fresh:
            self._post(batch)

    def _run(self, text: str, images: tuple[str, ...], files: tuple[str, ...]) -> None:
        saw_done = False
        error: str | None = None
        worker = get_current_worker()
        try:
            for event in self.agent.run(text, images=images, files=files, approver=self._approve):
                if worker.is_cancelled and not self.cancelled.is_set():
                    self.cancel()  # the app is shutting down: let the agent stop
                if isinstance(event, DELTA_EVENTS):
                    self._add_delta(event)
                    continue
                with self.lock:
                    self._batch = None  # later deltas must not jump ahead of this event
                if isinstance(event, Done):
                    saw_done = True
                self._post(AgentEventPosted(event, self))
        except Exception as e:  # the UI must survive any agent failure
            error = f"{type(e).__name__}: {e}"
        finally:
            self._post(TurnFinished(self, error, saw_done))

    def _approve(self, request: ApprovalRequest) -> ApprovalDecision:
        """The approver given to ``agent.run``: block this worker until the UI decides."""
        reply: Future[ApprovalDecision] = Future()
        with self.lock:
            self._replies.add(reply)
        try:
            if self.cancelled.is_set():
                return deny_decision()
            self._post(ApprovalAsked(request, reply, self))
            worker = get_current_worker()
            while True:
                try:
                    return reply.result(timeout=0.05)
                except FutureTimeout:
                    if self.cancelled.is_set() or worker.is_cancelled:
                        return deny_decision()
        finally:
            with self.lock:
                self._replies.discard(reply)
