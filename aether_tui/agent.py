"""The agent as the TUI sees it: the ``Agent`` protocol (exactly the surface the app uses; the
real ``AetherAgent`` and the tests' fakes both satisfy it), the factory that builds the real one,
and the greeting of an empty chat.

``aether_core.agent.build_agent`` (torch, the model) is imported only when the factory is called,
from a thread worker, so the UI paints before the model loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from aether_core.agent.approval import DEFAULT_APPROVAL
from aether_core.agent.events import ApprovalDecision, ApprovalRequest, Event
from aether_core.segments import Message

from .settings import Settings


class ModelInfo(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def params(self) -> int: ...
    @property
    def device(self) -> str: ...
    @property
    def checkpoint(self) -> str | None: ...
    @property
    def random_weights(self) -> bool: ...


class Sampling(Protocol):
    """Decoding knobs, changed in place by the settings and ``/temp``."""

    temperature: float
    top_k: int
    top_p: float


class ApprovalPolicy(Protocol):
    @classmethod
    def from_spec(cls, spec: str) -> ApprovalPolicy: ...
    def set_mode(self, tool: str, mode: str) -> None: ...
    def remember(self, tool: str, approved: bool) -> None: ...


class MemoryEntry(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str: ...


class Memory(Protocol):
    def list(self) -> list[MemoryEntry]: ...
    def search(self, query: str, k: int = ...) -> list[tuple[MemoryEntry, float]]: ...
    def forget(self, entry_id: str, /) -> bool: ...


class ToolRegistry(Protocol):
    def names(self) -> list[str]: ...


class Agent(Protocol):
    """What the app calls on an agent; ``run`` is a blocking generator (the bridge runs it in a
    thread worker), everything else is quick."""

    sampling: Sampling
    approval: ApprovalPolicy
    memory: Memory | None
    tools: ToolRegistry

    @property
    def info(self) -> ModelInfo: ...
    @property
    def conversation(self) -> list[Message]: ...
    def reset(self) -> None: ...
    def load_conversation(self, messages: list[Message]) -> None: ...
    def cancel(self) -> None: ...
    def run(
        self,
        text: str,
        *,
        images: Sequence[str] = (),
        files: Sequence[str] = (),
        approver: Callable[[ApprovalRequest], ApprovalDecision] | None = None,
    ) -> Iterator[Event]: ...


class AgentFactory(Protocol):
    """Builds an agent (called in a thread worker); ``checkpoint`` is ``/model DIR``'s."""

    def __call__(self, checkpoint: str | None = None) -> Agent: ...


class BuildAgentFactory:
    """The real factory: ``aether_core.agent.build_agent`` with the settings and CLI overrides."""

    def __init__(
        self,
        settings: Settings,
        checkpoint: str | None = None,
        device: str | None = None,
        approve: str | None = None,
        dtype: str | None = None,
        compile: bool = False,
    ) -> None:
        self.settings = settings
        self.checkpoint = checkpoint
        self.device = device
        self.approve = approve
        self.dtype = dtype
        self.compile = compile

    def __call__(self, checkpoint: str | None = None) -> Agent:
        from aether_core.agent import build_agent

        return build_agent(
            checkpoint=checkpoint or self.checkpoint or self.settings.checkpoint or None,
            device=self.device or self.settings.device or "auto",
            dtype=self.dtype,
            compile=self.compile,
            approve=self.approve or self.settings.approval.default or DEFAULT_APPROVAL,
            sampling=self.settings.sampling.config(),
        )


def greeting(agent: Agent) -> str:
    """The first line of an empty chat once a trained model is loaded: what it is, what it does."""
    info = agent.info
    tools = agent.tools.names()
    size = f" · {info.params / 1e6:.1f}M params" if info.params else ""
    return (
        f"Hi, I'm Aether ({info.name}{size}, running locally on {info.device}). I can do "
        "arithmetic, tell the date and time anywhere, search the web, read a page, repeat text, "
        "describe or draw simple shapes, and remember what you tell me. "
        f"Tools: {', '.join(tools) or 'none'}. F1 lists the keys."
    )
