"""Run tool calls in sandboxed threads: per-call timeout, output cap, errors as results.

Python threads cannot be killed, so a call that times out or is cancelled is *abandoned*: its
daemon thread runs on, its result is ignored, and it holds nothing the caller waits on. Every call
gets a fresh daemon thread (no pool to starve); the number of abandoned threads still alive is
capped, and past the cap new calls fail at once with an error instead of piling up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from aether_core.tools.base import Tool

Status = Literal["ok", "error", "timeout", "cancelled"]


@dataclass(frozen=True)
class ToolOutcome:
    """The result of one call as the agent sees it; ``output`` is the error text when not ok."""

    ok: bool
    output: str
    duration_s: float
    status: Status


def cap_output(text: str, cap_bytes: int) -> str:
    """Cut ``text`` to at most ``cap_bytes`` UTF-8 bytes (on a character boundary) plus a marker."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= cap_bytes:
        return text
    kept = data[:cap_bytes].decode("utf-8", errors="ignore")
    dropped = len(data) - len(kept.encode("utf-8"))
    return f"{kept}…[truncated {dropped} bytes]"


def _error_text(exc: BaseException) -> str:
    """``ExcType: message`` on one line, no traceback."""
    msg = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


class ToolCallHandle:
    """A submitted call. ``result`` waits (polling the cancel event) and is idempotent."""

    def __init__(
        self, sandbox: ToolSandbox | None, timeout_s: float, cap_bytes: int, poll_s: float
    ) -> None:
        self._sandbox = sandbox
        self._timeout_s = timeout_s
        self._cap_bytes = cap_bytes
        self._poll_s = poll_s
        self._started = time.monotonic()
        self._done = threading.Event()
        self._lock = threading.Lock()  # guards _raw/_final; never held while waiting
        self._raw: tuple[bool, str] | None = None
        self._final: ToolOutcome | None = None
        self.thread: threading.Thread | None = None

    @classmethod
    def failed(cls, message: str, cap_bytes: int) -> ToolCallHandle:
        """A handle that is already finished with an error (bad arguments, sandbox full)."""
        handle = cls(None, 0.0, cap_bytes, 0.0)
        handle._final = ToolOutcome(False, cap_output(message, cap_bytes), 0.0, "error")
        handle._done.set()
        return handle

    def _finish(self, ok: bool, output: str) -> None:
        """Called by the worker thread; ignored when the caller already gave up."""
        with self._lock:
            if self._raw is None:
                self._raw = (ok, output)
        self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, cancel_event: threading.Event | None = None) -> ToolOutcome:
        """Wait for the call, its timeout, or ``cancel_event``, whichever comes first."""
        if self._final is not None:
            return self._final
        deadline = self._started + self._timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if self._done.wait(max(0.0, min(self._poll_s, remaining))):
                break
            if cancel_event is not None and cancel_event.is_set():
                return self._settle(False, "cancelled", "cancelled")
            if time.monotonic() >= deadline:
                return self._settle(False, f"timed out after {self._timeout_s:g}s", "timeout")
        with self._lock:
            ok, output = self._raw if self._raw is not None else (False, "no result")
        return self._settle(ok, output, "ok" if ok else "error")

    def _settle(self, ok: bool, output: str, status: Status) -> ToolOutcome:
        with self._lock:
            if self._final is None:
                duration = time.monotonic() - self._started
                self._final = ToolOutcome(ok, cap_output(output, self._cap_bytes), duration, status)
                if status in ("timeout", "cancelled") and self._sandbox is not None:
                    self._sandbox._abandon(self)
            return self._final


class ToolSandbox:
    """Runs each call on a fresh daemon thread; see the module docstring for the why."""

    def __init__(
        self,
        timeout_s: float = 20.0,
        output_cap_bytes: int = 8000,
        max_hung: int = 8,
        max_threads: int = 32,
        poll_s: float = 0.02,
    ) -> None:
        self.timeout_s = timeout_s
        self.output_cap_bytes = output_cap_bytes
        self.max_hung = max_hung
        self.max_threads = max_threads
        self.poll_s = poll_s
        self._lock = threading.Lock()
        self._live: set[threading.Thread] = set()
        self._abandoned: set[threading.Thread] = set()

    def submit(
        self, tool: Tool, args: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> ToolCallHandle:
        """Validate ``args`` and start the call; argument errors come back as a finished handle."""
        try:
            clean = tool.validate_args(args)
        except Exception as exc:
            return ToolCallHandle.failed(_error_text(exc), self.output_cap_bytes)
        with self._lock:
            self._prune()
            if len(self._abandoned) >= self.max_hung:
                return ToolCallHandle.failed(
                    f"SandboxFull: {len(self._abandoned)} timed-out tool calls are still running;"
                    " try again later",
                    self.output_cap_bytes,
                )
            if len(self._live) >= self.max_threads:
                return ToolCallHandle.failed(
                    f"SandboxFull: {len(self._live)} tool calls are already running",
                    self.output_cap_bytes,
                )
            handle = ToolCallHandle(
                self, self.timeout_s if timeout is None else timeout, self.output_cap_bytes,
                self.poll_s,
            )  # fmt: skip
            thread = threading.Thread(
                target=self._work, args=(tool, clean, handle), name=f"tool-{tool.name}", daemon=True
            )
            handle.thread = thread
            self._live.add(thread)
        thread.start()
        return handle

    def call(
        self,
        tool: Tool,
        args: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        cancel_event: threading.Event | None = None,
    ) -> ToolOutcome:
        """``submit`` then ``result``: the usual one-shot use."""
        return self.submit(tool, args, timeout).result(cancel_event)

    def hung_count(self) -> int:
        """Abandoned calls whose threads are still running."""
        with self._lock:
            self._prune()
            return len(self._abandoned)

    def _work(self, tool: Tool, args: dict[str, Any], handle: ToolCallHandle) -> None:
        try:
            out = tool.run(**args)
            handle._finish(True, out if isinstance(out, str) else str(out))
        except BaseException as exc:  # noqa: BLE001 - the sandbox reports every failure
            handle._finish(False, _error_text(exc))
        finally:
            with self._lock:
                self._live.discard(threading.current_thread())
                self._abandoned.discard(threading.current_thread())

    def _abandon(self, handle: ToolCallHandle) -> None:
        thread = handle.thread
        if thread is None:
            return
        with self._lock:
            if thread.is_alive() and thread in self._live:
                self._abandoned.add(thread)

    def _prune(self) -> None:
        """Drop finished threads (caller holds ``_lock``)."""
        self._live = {t for t in self._live if t.is_alive() or t.ident is None}
        self._abandoned = {t for t in self._abandoned if t.is_alive()}
