"""Tool approvals in the TUI: the queue of requests waiting for the modal, and the user's choices
this session (``/approve``, "always"/"never" answers) that carry over to a rebuilt agent.

A turn's worker blocks on each request's ``reply`` future (see ``bridge``); requests are shown one
modal at a time, and everything a finished or cancelled turn was waiting for is denied.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aether_core.agent.events import ApprovalDecision

from .agent import Agent
from .bridge import TurnBridge, deny_decision, resolve
from .messages import ApprovalAsked
from .screens.approval import ApprovalScreen


@dataclass
class ApprovalChoices:
    """What the user decided this session; applied again to an agent rebuilt by ``/model``."""

    spec: str | None = None  # /approve all|none|ask
    tool_modes: dict[str, str] = field(default_factory=dict)  # /approve TOOL
    remembered: dict[str, bool] = field(default_factory=dict)  # "always"/"never" answers

    def set_spec(self, agent: Agent, spec: str) -> None:
        agent.approval = type(agent.approval).from_spec(spec)
        self.spec = spec
        self.tool_modes.clear()
        self.remembered.clear()

    def set_mode(self, agent: Agent, tool: str, mode: str) -> None:
        agent.approval.set_mode(tool, mode)
        self.tool_modes[tool] = mode

    def apply(self, agent: Agent) -> None:
        if self.spec is not None:
            agent.approval = type(agent.approval).from_spec(self.spec)
        for tool, mode in self.tool_modes.items():
            agent.approval.set_mode(tool, mode)
        for tool, approved in self.remembered.items():
            agent.approval.remember(tool, approved)


OpenModal = Callable[[ApprovalAsked, int], ApprovalScreen]


class ApprovalQueue:
    """Requests waiting for the modal. ``open_modal(asked, waiting)`` pushes the screen for one
    request and returns it; its dismissal must call :meth:`decided`."""

    def __init__(self, open_modal: OpenModal, choices: ApprovalChoices) -> None:
        self._open_modal = open_modal
        self.choices = choices
        self.waiting: deque[ApprovalAsked] = deque()
        self.open: tuple[ApprovalScreen, ApprovalAsked] | None = None

    def add(self, asked: ApprovalAsked) -> None:
        self.waiting.append(asked)
        self._next()

    def decided(self, asked: ApprovalAsked, decision: ApprovalDecision) -> None:
        """The modal for ``asked`` closed with ``decision``: answer the agent, show the next."""
        self.open = None
        if decision.remember:
            self.choices.remembered[asked.request.tool] = decision.approved
        resolve(asked.reply, decision)
        self._next()

    def close(self, bridge: TurnBridge) -> None:
        """Deny and close everything ``bridge`` was waiting for (cancel or end of turn)."""
        for asked in list(self.waiting):
            if asked.bridge is bridge:
                self.waiting.remove(asked)
                resolve(asked.reply, deny_decision())
        if self.open is not None and self.open[1].bridge is bridge:
            self.open[0].dismiss(deny_decision())

    def _next(self) -> None:
        if self.open is not None:
            self.open[0].set_waiting(len(self.waiting))
            return
        while self.waiting:
            asked = self.waiting.popleft()
            if asked.reply.done():
                continue
            self.open = (self._open_modal(asked, len(self.waiting)), asked)
            return
