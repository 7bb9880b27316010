"""The memory pane's requests (list, search, forget), run against the agent's memory in thread
workers (a vector memory may embed the query with the model); the results go back to the pane."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from .agent import Agent, Memory
from .widgets.memory import MemoryPane


class MemoryView:
    def __init__(self, app: App, pane: Callable[[], MemoryPane], agent: Callable[[], Agent | None]):
        self.app = app
        self._pane = pane  # looked up when needed: the main screen exists after mount
        self._agent = agent

    @property
    def memory(self) -> Memory | None:
        agent = self._agent()
        return agent.memory if agent is not None else None

    def refresh(self, query: str = "") -> None:
        """List (empty query) or search the memory, in a worker; the pane shows the result."""
        memory = self.memory
        if memory is None:
            self._pane().set_status("memory: off (no memory store)")
            return
        self._worker(lambda: self._load(memory, query), "memory", exclusive=True)

    def forget(self, entry_id: str) -> None:
        memory = self.memory
        if memory is None:
            self.app.notify("Memory is not available.", severity="warning")
            return
        self._worker(lambda: self._forget(memory, entry_id), "memory-forget")

    # ------------------------------------------------------------------ worker threads
    def _worker(self, work: Callable[[], None], group: str, exclusive: bool = False) -> None:
        self.app.run_worker(
            work, group=group, exclusive=exclusive, thread=True, exit_on_error=False
        )

    def _load(self, memory: Memory, query: str) -> None:
        pane = self._pane()
        try:
            if query:
                hits = memory.search(query, 20)
                entries, scores = [e for e, _ in hits], [float(s) for _, s in hits]
            else:
                entries, scores = list(memory.list()), None
        except Exception as e:  # noqa: BLE001 - shown in the pane, never a crash
            self.app.call_from_thread(pane.set_status, f"memory error: {e}")
            return
        self.app.call_from_thread(pane.show, entries, scores, query)

    def _forget(self, memory: Memory, entry_id: str) -> None:
        ok = bool(memory.forget(entry_id))
        self.app.call_from_thread(self._forgot, entry_id, ok)

    def _forgot(self, entry_id: str, ok: bool) -> None:
        if ok:
            self._pane().remove(entry_id)
            self.app.notify(f"Forgot memory {entry_id}.")
        else:
            self.app.notify(f"No memory entry {entry_id}.", severity="warning")
