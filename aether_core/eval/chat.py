"""The ``long_chat`` row of `aether eval skills`: the tool rows' kind of prompt asked one after
another in one conversation of ``TURNS`` turns, each judged end to end as its own row judges it.

A single-turn row never sees what a chat does to a small model: earlier turns fill the context
and are trimmed, and an earlier answer is there to be repeated ("That's 4." for 12*(3+4) right
after 2+2). The prompts are generated eval-split ones, other than the single-turn rows' own
(another seed), interleaved so every chat mixes the skills; each turn's tools answer as its
sample's would (``SkillRunner.tools``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..data.skills import SkillSample
from ..tools.base import Tool, ToolRegistry
from .runner import SkillRunner, StandIn, Transcript, drive, eval_samples

ROW = "long_chat"
SKILLS = ("arithmetic", "time", "search", "browse", "echo")  # turns that call a tool
TURNS = 12
SEED_OFFSET = 7919  # the chat's prompts are not the single-turn rows' own


def chat_samples(n: int, seed: int) -> list[list[SkillSample]]:
    """``n`` prompts, the skills in turn, cut into chats of ``TURNS`` turns."""
    per = -(-n // len(SKILLS))
    pools = [eval_samples(skill, per, seed + SEED_OFFSET) for skill in SKILLS]
    order = [s for turn in zip(*pools, strict=True) for s in turn][:n]
    return [order[i : i + TURNS] for i in range(0, len(order), TURNS)]


class TurnTool(StandIn):
    """A tool that runs as the current turn's stand-in of the same name."""

    def __init__(self, real: Tool, current: Callable[[], ToolRegistry]) -> None:
        super().__init__(real)
        self._current = current

    def run(self, **args: Any) -> str:
        return self._current().get(self.name).run(**args)


def run_chat(runner: SkillRunner, turns: list[SkillSample]) -> Iterator[Transcript]:
    """Each turn's transcript, the turns asked of one agent in order."""
    current: list[ToolRegistry] = []  # the turn being asked: its sample's tools
    agent = runner.agent_with(
        ToolRegistry([TurnTool(t, lambda: current[-1]) for t in runner.registry])
    )
    for sample in turns:
        current[:] = [runner.tools(sample)]
        yield drive(agent.run(sample.prompt))
