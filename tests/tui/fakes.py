"""A scripted stand-in for ``aether_core.agent.AetherAgent``, exactly the surface the TUI uses.

``FakeAgent(script=...)`` replays a list of events per turn. Script items are agent events
(yielded as they are), ``Delay(seconds)`` (sleeps, honouring ``cancel()``) or ``Tool(...)``, which
expands into the real agent's tool protocol: ToolCallRequested, then ApprovalNeeded + a blocking
call to the approver when the policy says "ask", then ToolStarted / ToolResultEvent (or a denial).
Every ApprovalDecision received is recorded in ``decisions`` so tests can check what the UI sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aether_core.agent.events import (
    AnswerDelta,
    ApprovalDecision,
    ApprovalNeeded,
    ApprovalRequest,
    Done,
    Event,
    StepStarted,
    ThoughtDelta,
    ToolCallRequested,
    ToolResultEvent,
    ToolStarted,
)
from aether_core.decoding import SamplingConfig
from aether_core.segments import File, Image, Message, Text, Thought, ToolCall, ToolResult


@dataclass
class FakeInfo:
    name: str = "aether-fake"
    params: int = 12_345_678
    device: str = "cpu"
    dtype: str = "float32"
    checkpoint: str | None = None
    random_weights: bool = False


class FakeTools:
    """The tool registry's surface: the names (none by default, as the scripts' tools are fake)."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._names = list(names)

    def names(self) -> list[str]:
        return list(self._names)


class FakeApprovalPolicy:
    """Per-tool modes "auto" | "ask" | "deny" over a default, like the real ApprovalPolicy."""

    def __init__(self, default: str = "ask", modes: dict[str, str] | None = None) -> None:
        self.default = default
        self.modes = dict(modes or {})

    @classmethod
    def from_spec(cls, spec: str) -> FakeApprovalPolicy:
        if spec == "ask":
            return cls("ask")
        if spec == "all":
            return cls("auto")
        if spec == "none":
            return cls("deny")
        return cls("ask", {t.strip(): "auto" for t in spec.split(",") if t.strip()})

    def mode(self, tool: str) -> str:
        return self.modes.get(tool, self.default)

    def remember(self, tool: str, approved: bool) -> None:
        self.modes[tool] = "auto" if approved else "deny"

    def set_mode(self, tool: str, mode: str) -> None:
        self.modes[tool] = mode


@dataclass
class MemoryEntry:
    id: str
    text: str
    kind: str = "note"
    created: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


class FakeMemory:
    def __init__(self, entries: Sequence[MemoryEntry] = ()) -> None:
        self.entries = list(entries)
        self.forgotten: list[str] = []

    def list(self) -> list[MemoryEntry]:
        return list(self.entries)

    def search(self, query: str, k: int = 5) -> list[tuple[MemoryEntry, float]]:
        words = query.lower().split()
        scored = []
        for e in self.entries:
            hits = sum(w in e.text.lower() for w in words)
            if hits:
                scored.append((e, round(hits / max(1, len(words)), 3)))
        scored.sort(key=lambda p: -p[1])
        return scored[:k]

    def forget(self, entry_id: str) -> bool:
        for e in self.entries:
            if e.id == entry_id:
                self.entries.remove(e)
                self.forgotten.append(entry_id)
                return True
        return False


@dataclass
class Delay:
    seconds: float


@dataclass
class Tool:
    tool: str
    args: dict[str, Any]
    reason: str = ""
    output: str = "ok"
    ok: bool = True
    duration: float = 0.0
    call_id: str = "c1"
    step: int = 1


Script = Sequence[Any] | Callable[[str], Sequence[Any]]


def echo_script(text: str) -> list[Any]:
    """The default turn: one thought, then an answer echoing the message."""
    return [
        StepStarted(1),
        ThoughtDelta(1, "The user said something; "),
        ThoughtDelta(1, "I will echo it."),
        AnswerDelta("You said: "),
        AnswerDelta(f"**{text}**"),
    ]


class FakeAgent:
    def __init__(
        self,
        script: Script = echo_script,
        info: FakeInfo | None = None,
        memory: FakeMemory | None = None,
        approve: str = "ask",
        bytes_per_s: float = 42.0,
    ) -> None:
        self.script = script
        self.info = info or FakeInfo()
        self.memory = memory
        self.approval = FakeApprovalPolicy.from_spec(approve)
        self.tools = FakeTools()
        self.sampling = SamplingConfig()  # the real one: torch-free
        self.bytes_per_s = bytes_per_s
        self._conversation: list[Message] = []
        self._cancel = threading.Event()
        self.runs: list[dict[str, Any]] = []
        self.decisions: list[ApprovalDecision] = []
        self.executed: list[tuple[str, dict[str, Any]]] = []
        self.loaded: list[list[Message]] = []
        self.resets = 0
        self.cancels = 0

    # ------------------------------------------------------------------ surface
    @property
    def conversation(self) -> list[Message]:
        return list(self._conversation)

    def cancel(self) -> None:
        self.cancels += 1
        self._cancel.set()

    def reset(self) -> None:
        self.resets += 1
        self._conversation = []

    def load_conversation(self, messages: list[Message]) -> None:
        self.loaded.append(list(messages))
        self._conversation = list(messages)

    def run(
        self,
        text: str,
        *,
        images: Sequence[str] = (),
        files: Sequence[str] = (),
        approver: Callable[[ApprovalRequest], ApprovalDecision] | None = None,
    ) -> Iterator[Event]:
        self._cancel.clear()
        self.runs.append({"text": text, "images": list(images), "files": list(files)})
        user_items: list[Any] = [Image(bytes(128)) for _ in images]
        for f in files:
            p = Path(f)
            user_items.append(File(p.name, "bin", p.read_bytes() if p.exists() else b""))
        if text:
            user_items.append(Text(text.encode()))
        self._conversation.append(Message("user", tuple(user_items)))
        script = self.script(text) if callable(self.script) else self.script
        answer: list[str] = []
        thoughts: dict[int, list[str]] = {}
        steps = 0

        def take_thoughts() -> list[Thought]:
            out = [Thought("".join(thoughts[k]).encode()) for k in sorted(thoughts)]
            thoughts.clear()
            return out

        n_bytes = 0

        def done(cancelled: bool) -> Done:
            return Done(
                steps=steps,
                bytes_generated=n_bytes,
                bytes_per_s=self.bytes_per_s,
                wall_s=1.5,
                answer="".join(answer),
                cancelled=cancelled,
            )

        for item in script:
            if self._cancel.is_set():
                break
            if isinstance(item, Delay):
                if self._sleep(item.seconds):
                    break
                continue
            if isinstance(item, Tool):
                result = yield from self._tool(item, approver)
                self._conversation.append(
                    Message(
                        "assistant",
                        (*take_thoughts(), ToolCall.make(item.tool, item.args)),
                    )
                )
                self._conversation.append(
                    Message("tool", (ToolResult.make(result.ok, result.output),))
                )
                if result.status == "cancelled":
                    break
                continue
            if isinstance(item, StepStarted):
                steps = max(steps, item.step)
            if isinstance(item, ThoughtDelta):
                thoughts.setdefault(item.step, []).append(item.text)
                n_bytes += len(item.text.encode())
            if isinstance(item, AnswerDelta):
                answer.append(item.text)
                n_bytes += len(item.text.encode())
            yield item
        cancelled = self._cancel.is_set()
        final = "".join(answer)
        if final or not cancelled:
            items = [*take_thoughts(), *([Text(final.encode())] if final else [])]
            self._conversation.append(Message("assistant", tuple(items)))
        yield done(cancelled)

    # ------------------------------------------------------------------ helpers
    def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early on cancel; True when cancelled."""
        return self._cancel.wait(seconds)

    def _tool(self, item: Tool, approver: Callable | None) -> Iterator[Event]:
        yield ToolCallRequested(item.step, item.call_id, item.tool, dict(item.args))
        mode = self.approval.mode(item.tool)
        args = dict(item.args)
        if mode == "deny":
            ev = ToolResultEvent(item.call_id, item.tool, False, "denied by policy", 0.0, "denied")
            yield ev
            return ev
        if mode == "ask":
            yield ApprovalNeeded(item.call_id, item.tool, dict(item.args), item.reason)
            request = ApprovalRequest(item.call_id, item.tool, dict(item.args), item.reason)
            decision = approver(request) if approver else ApprovalDecision(True)
            self.decisions.append(decision)
            if decision.remember:
                self.approval.remember(item.tool, decision.approved)
            if not decision.approved:
                out = decision.message or "the user denied this call"
                ev = ToolResultEvent(item.call_id, item.tool, False, out, 0.0, "denied")
                yield ev
                return ev
            if decision.args is not None:
                args = dict(decision.args)
        if self._cancel.is_set():
            ev = ToolResultEvent(item.call_id, item.tool, False, "cancelled", 0.0, "cancelled")
            yield ev
            return ev
        yield ToolStarted(item.call_id, item.tool)
        self.executed.append((item.tool, args))
        if item.duration and self._sleep(item.duration):
            ev = ToolResultEvent(item.call_id, item.tool, False, "cancelled", 0.0, "cancelled")
            yield ev
            return ev
        ev = ToolResultEvent(
            item.call_id,
            item.tool,
            item.ok,
            item.output,
            item.duration,
            "ok" if item.ok else "error",
        )
        yield ev
        return ev


class FakeFactory:
    """``agent_factory`` for the app: builds FakeAgents, recording the checkpoints asked for."""

    def __init__(self, delay: float = 0.0, **agent_kwargs: Any) -> None:
        self.delay = delay
        self.agent_kwargs = agent_kwargs
        self.calls: list[str | None] = []
        self.agents: list[FakeAgent] = []
        self.release = threading.Event()
        if not delay:
            self.release.set()

    def __call__(self, checkpoint: str | None = None) -> FakeAgent:
        self.calls.append(checkpoint)
        if self.delay:
            self.release.wait(self.delay)
        kwargs = dict(self.agent_kwargs)
        if checkpoint:
            kwargs["info"] = FakeInfo(name=Path(checkpoint).name, checkpoint=checkpoint)
        agent = FakeAgent(**kwargs)
        self.agents.append(agent)
        return agent

    @property
    def agent(self) -> FakeAgent:
        return self.agents[-1]
