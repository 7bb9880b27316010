"""Which tool calls run without asking: per-tool modes plus this session's remembered answers.

Modes: ``auto`` (run), ``ask`` (call the UI's callback), ``deny`` (refuse). Tools that reach the
network ask by default; pure local tools run automatically. Tools not listed default to ``ask``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from aether_core.agent.events import ApprovalDecision, ApprovalRequest
from aether_core.errors import AetherError

Mode = Literal["auto", "ask", "deny"]
MODES: tuple[str, ...] = ("auto", "ask", "deny")
DEFAULT_MODES: dict[str, Mode] = {
    "calc": "auto",
    "time": "auto",
    "echo": "auto",
    "web_search": "ask",
    "browse_page": "ask",
}
AskCallback = Callable[[ApprovalRequest], ApprovalDecision]
#: The words ``--approve`` / ``/approve`` take besides a comma list of tools (see ``from_spec``).
APPROVAL_SPECS: tuple[str, ...] = ("ask", "all", "none")
DEFAULT_APPROVAL = "ask"


class ApprovalSpecError(AetherError):
    """A bad ``--approve`` value."""


class ApprovalPolicy:
    """Per-tool modes and remembered decisions; ``decide`` is safe to call from any thread."""

    def __init__(self, modes: Mapping[str, Mode] | None = None, default_mode: Mode = "ask") -> None:
        merged = dict(DEFAULT_MODES)
        merged.update(modes or {})
        for tool, mode in [*merged.items(), ("(default)", default_mode)]:
            if mode not in MODES:
                raise ApprovalSpecError(f"invalid approval mode {mode!r} for {tool}")
        self._modes: dict[str, Mode] = merged
        self.default_mode: Mode = default_mode
        self._remembered: dict[str, bool] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: str, known_tools: Iterable[str] | None = None) -> ApprovalPolicy:
        """Parse ``--approve``: ``ask`` (defaults), ``all`` (auto for every tool), ``none`` (deny
        every tool), or ``TOOL,TOOL`` (those auto, defaults for the rest).

        With ``known_tools``, a list naming an unknown tool is an error (typo protection).
        """
        text = (spec or "").strip()
        word = text.lower()
        if word == "ask":
            return cls()
        if word == "all":
            return cls({t: "auto" for t in DEFAULT_MODES}, default_mode="auto")
        if word == "none":
            return cls({t: "deny" for t in DEFAULT_MODES}, default_mode="deny")
        names = [n.strip() for n in text.split(",") if n.strip()]
        if not names:
            raise ApprovalSpecError("--approve needs ask, all, none or a comma list of tool names")
        if known_tools is not None:
            known = set(known_tools)
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ApprovalSpecError(
                    f"unknown tool in --approve: {', '.join(unknown)}"
                    f" (tools: {', '.join(sorted(known))})"
                )
        return cls(dict.fromkeys(names, "auto"))

    def mode_for(self, tool: str) -> Mode:
        return self._modes.get(tool, self.default_mode)

    def set_mode(self, tool: str, mode: Mode) -> None:
        if mode not in MODES:
            raise ApprovalSpecError(f"invalid approval mode {mode!r}")
        with self._lock:
            self._modes[tool] = mode

    def remember(self, tool: str, approved: bool) -> None:
        """Always approve (or deny) ``tool`` for the rest of this session when it would ask."""
        with self._lock:
            self._remembered[tool] = approved

    def forget(self, tool: str | None = None) -> None:
        """Drop the remembered decision for ``tool`` (all tools when None)."""
        with self._lock:
            if tool is None:
                self._remembered.clear()
            else:
                self._remembered.pop(tool, None)

    def remembered(self, tool: str) -> bool | None:
        with self._lock:
            return self._remembered.get(tool)

    def decide(self, request: ApprovalRequest, ask: AskCallback | None = None) -> ApprovalDecision:
        """auto → approved; deny → denied; ask → remembered answer, else the callback's.

        The callback runs without any lock held (it may block on the user for a long time).
        """
        mode = self.mode_for(request.tool)
        if mode == "auto":
            return ApprovalDecision(approved=True)
        if mode == "deny":
            return ApprovalDecision(
                approved=False, message=f"tool {request.tool!r} is disabled by the approval policy"
            )
        remembered = self.remembered(request.tool)
        if remembered is not None:
            if remembered:
                return ApprovalDecision(approved=True)
            return ApprovalDecision(
                approved=False, message=f"the user denied {request.tool!r} for this session"
            )
        if ask is None:
            return ApprovalDecision(approved=False, message="no one to approve")
        decision = ask(request)
        if decision.remember:
            self.remember(request.tool, decision.approved)
        return decision
