"""The real ``AetherAgent`` driven by ``ScriptedPolicy``: what the TUI tests run against where
they can (no model weights; importing this module imports torch once per test session).

``RealFactory`` is an ``agent_factory`` for the app. The agent is the real one; the only
addition is ``RecordingAgent.decisions``, every ApprovalDecision the approver returned, so tests
can check exactly what the UI answered.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aether_core.agent.agent import AetherAgent, AgentConfig
from aether_core.agent.approval import ApprovalPolicy
from aether_core.agent.events import ApprovalDecision, ApprovalRequest
from aether_core.agent.policy import ModelInfo, ScriptedPolicy
from aether_core.memory import VectorMemory
from aether_core.segments import Message, Text, Thought, ToolCall
from aether_core.tools import default_registry
from aether_core.tools.base import ArgSpec, Tool
from aether_core.tools.sandbox import ToolSandbox

INFO = ModelInfo(name="aether-scripted", params=12_345_678, device="cpu", dtype="float32")


class NoteTool(Tool):
    """A harmless tool that is not in the approval defaults, so it asks by default."""

    name = "note"
    description = "Write a note."
    schema = {"text": ArgSpec("string", True, "the note")}

    def run(self, text: str) -> str:  # type: ignore[override]
        return f"noted: {text}"


class SlowTool(Tool):
    name = "slow"
    description = "Sleep for a while."
    schema = {"seconds": ArgSpec("number")}

    def __init__(self) -> None:
        self.started = threading.Event()

    def run(self, seconds: float) -> str:  # type: ignore[override]
        self.started.set()
        time.sleep(seconds)
        return "woke up"


class RecordingAgent(AetherAgent):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decisions: list[ApprovalDecision] = []
        self.runs: list[dict[str, Any]] = []

    def run(
        self,
        text: str,
        *,
        images: Sequence[str] = (),
        files: Sequence[str] = (),
        approver: Callable[[ApprovalRequest], ApprovalDecision] | None = None,
    ):
        self.runs.append({"text": text, "images": list(images), "files": list(files)})

        def recording(request: ApprovalRequest) -> ApprovalDecision:
            assert approver is not None
            decision = approver(request)
            self.decisions.append(decision)
            return decision

        return super().run(
            text, images=images, files=files, approver=recording if approver is not None else None
        )


def call(tool: str, args: dict[str, Any], thought: str = "I need a tool.") -> list:
    return [Thought(thought.encode()), ToolCall.make(tool, args)]


def answer(text: str, thought: str = "Now answer.") -> list:
    return [Thought(thought.encode()), Text(text.encode())]


def tool_then_answer(tool: str, args: dict[str, Any], text: str = "done") -> Callable:
    """A reactive script: after a user message call ``tool``; after its result, answer."""

    def script(conversation: list[Message]) -> list:
        return call(tool, args) if conversation[-1].role == "user" else answer(text)

    return script


def echo_answer(conversation: list[Message]) -> list:
    """Answer "You said: **<text>**" to every user message."""
    return answer(f"You said: **{conversation[-1].plain_text}**", thought="Echo it.")


class RealFactory:
    def __init__(
        self,
        script: Any = echo_answer,
        *,
        approve: str = "ask",
        delay_s: float = 0.0,
        memory: VectorMemory | None = None,
        info: ModelInfo = INFO,
    ) -> None:
        self.script = script
        self.approve = approve
        self.delay_s = delay_s
        self.memory = memory
        self.info = info
        self.slow = SlowTool()
        self.agents: list[RecordingAgent] = []
        self.calls: list[str | None] = []

    def __call__(self, checkpoint: str | None = None) -> RecordingAgent:
        self.calls.append(checkpoint)
        registry = default_registry()
        registry.register(NoteTool())
        registry.register(self.slow)
        policy = ScriptedPolicy(self.script, delay_s=self.delay_s)
        policy.info = self.info
        if checkpoint:  # /model DIR: name the "model" after its directory
            policy.info = dataclasses.replace(
                self.info, name=Path(checkpoint).name, checkpoint=checkpoint
            )
        agent = RecordingAgent(
            policy,
            registry,
            approval=ApprovalPolicy.from_spec(self.approve, known_tools=registry.names()),
            sandbox=ToolSandbox(timeout_s=30.0),
            memory=self.memory,
            config=AgentConfig(store_summaries=False),
        )
        self.agents.append(agent)
        return agent

    @property
    def agent(self) -> RecordingAgent:
        return self.agents[-1]
