"""Admission and the turn's life: a bounded gate (429 past it), one worker thread per turn
that prepares the prompt and runs the agent, and the asyncio side that reads its events with a
deadline. ``Turn.cancel`` (a disconnect, a timeout) stops generation and any tool call."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..agent.agent import AetherAgent
from ..agent.events import Done
from .config import ServeConfig
from .convert import Prompt
from .schema import ApiError

log = logging.getLogger("aether.serve")


class Gate:
    """At most ``batch`` turns run; ``max_queue`` more may wait; past that, 429."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.running = threading.BoundedSemaphore(config.batch)
        self._lock = threading.Lock()
        self.inside = 0  # running + waiting
        self.completed = 0  # turns that ran to their end
        self.cancelled = 0  # turns stopped early (client gone, timeout)

    def enter(self) -> None:
        with self._lock:
            if self.inside >= self.config.batch + self.config.max_queue:
                raise ApiError(
                    429,
                    "the server is busy: too many requests running and queued; retry shortly",
                    type="rate_limit_error",
                    code="rate_limit_exceeded",
                    headers={"Retry-After": str(self.config.retry_after_s)},
                )
            self.inside += 1

    def leave(self) -> None:
        with self._lock:
            self.inside -= 1

    def note(self, done: Done) -> None:
        with self._lock:
            if done.cancelled:
                self.cancelled += 1
            else:
                self.completed += 1


class Turn:
    """One request's turn on its own thread; what it produces comes out on ``self.queue`` as
    ``("ready", Prompt)``, then ``("event", Event)``..., or ``("error", ApiError)``; always
    ``("end", None)`` last."""

    def __init__(
        self,
        agent: AetherAgent,
        prepare: Callable[[], Prompt],
        gate: Gate,
        deadline: float,
    ) -> None:
        self.agent, self.prepare, self.gate, self.deadline = agent, prepare, gate, deadline
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._cancelled = threading.Event()
        self.finished = False
        self._thread = threading.Thread(target=self._run, name="aether-turn", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancelled.set()
        self.agent.cancel()

    def _put(self, kind: str, value: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self.queue.put_nowait, (kind, value))
        except RuntimeError:  # the event loop is gone (server shutting down)
            self.cancel()

    def _run(self) -> None:
        try:
            prompt = self.prepare()
            self._put("ready", prompt)
            wait = max(0.0, self.deadline - time.monotonic())
            if not self.gate.running.acquire(timeout=wait):
                raise timeout_error(self.gate.config)
            try:
                if not self._cancelled.is_set():
                    self.agent.load_conversation(prompt.history)
                    for ev in self.agent.run(prompt.text, images=prompt.images):
                        if isinstance(ev, Done):
                            self.gate.note(ev)
                        self._put("event", ev)
            finally:
                self.gate.running.release()
        except ApiError as e:
            self._put("error", e)
        except Exception:
            log.exception("turn failed")
            self._put("error", ApiError(500, "internal server error", type="server_error"))
        finally:
            self.gate.leave()
            self._put("end", None)

    async def get(self) -> tuple[str, Any]:
        """The next item, or a timeout error (the turn is cancelled) past the deadline."""
        if not self.queue.empty():
            return self.queue.get_nowait()
        try:
            return await asyncio.wait_for(
                self.queue.get(), timeout=max(0.0, self.deadline - time.monotonic())
            )
        except TimeoutError:
            self.cancel()
            return "error", timeout_error(self.gate.config)

    def drain(self) -> list[tuple[str, Any]]:
        """Everything already queued (so streamed deltas go out in as few chunks as possible)."""
        out = []
        while not self.queue.empty():
            out.append(self.queue.get_nowait())
        return out


def timeout_error(config: ServeConfig) -> ApiError:
    return ApiError(
        504,
        f"the turn took longer than the server's {config.timeout_s:g} s limit",
        type="server_error",
        code="timeout",
    )
