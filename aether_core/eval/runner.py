"""Running samples through the real AetherAgent with offline tools: calc and echo run for real,
the clock runs at the sample's moment where it is known, search and browse replay the sample's
output (no network). Approval is automatic; memory is a fresh in-memory store per sample."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..agent.agent import AetherAgent, AgentConfig
from ..agent.approval import ApprovalPolicy
from ..agent.events import AnswerDelta, Done, Event, ImageProduced, ToolCallRequested
from ..data.skills import SkillSample, skill_samples
from ..decoding import DEFAULT_SAMPLING
from ..tools.base import Tool, ToolRegistry
from ..tools.calc import CalcTool
from ..tools.clock import TimeTool
from ..tools.echo import EchoTool
from .judge import norm as _norm

CLOCK = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # "now" where a sample names none
EXCLUDED_VARIANTS = {"error", "denied", "store", "unknown"}  # not what a skill row measures


class StandIn(Tool):
    """A tool with a real tool's name, description and schema, run otherwise."""

    def __init__(self, real: Tool) -> None:
        self.name, self.description, self.schema = real.name, real.description, real.schema
        self.speaks, self.for_small_talk = real.speaks, real.for_small_talk
        self._real = real

    def reading(self, arg: str, phrase: str) -> str | None:
        return self._real.reading(arg, phrase)

    def understands(self, args: Mapping[str, Any], request: str = "") -> bool:
        return self._real.understands(args, request)

    def openings(self, output: str, ok: bool = True) -> tuple[str, ...]:
        return self._real.openings(output, ok)


class ReplayTool(StandIn):
    """A stand-in that returns a fixed output."""

    def __init__(self, real: Tool, output: Callable[[], str]) -> None:
        super().__init__(real)
        self._output = output

    def run(self, **args: Any) -> str:
        return self._output()


@dataclass
class Transcript:
    calls: list[tuple[str, dict]] = field(default_factory=list)
    answer: str = ""
    images: list[Any] = field(default_factory=list)


def drive(events: Iterator[Event]) -> Transcript:
    t = Transcript()
    for ev in events:
        if isinstance(ev, ToolCallRequested):
            t.calls.append((ev.tool, ev.args))
        elif isinstance(ev, AnswerDelta):
            t.answer += ev.text
        elif isinstance(ev, ImageProduced):
            t.images.append(ev.image)
        elif isinstance(ev, Done):
            t.answer = ev.answer or t.answer
    return t


def eval_samples(skill: str, n: int, seed: int) -> list[SkillSample]:
    """n eval-split samples of the plain form of a skill (no scripted errors or denials)."""
    out: list[SkillSample] = []
    seen: set[str] = set()
    batch = 0
    while len(out) < n:
        for s in skill_samples(skill, 2 * n + 8, seed=seed * 1000 + batch, split="eval"):
            if skill == "memory":
                ok = s.variant == "recall"
            elif skill == "caption":  # the row asks for shape and colour: "describe" prompts
                ok = s.variant == "describe"
            else:
                ok = s.variant not in EXCLUDED_VARIANTS
            if ok and len(out) < n and s.prompt not in seen:  # distinct prompts only
                seen.add(s.prompt)
                out.append(s)
        batch += 1
    return out


class SkillRunner:
    """Runs samples through fresh agents sharing one policy (and its KV cache)."""

    def __init__(
        self,
        policy: Any,
        vq: Any,
        registry: ToolRegistry,
        out_dir: Path,
        temperature: float | None = None,
        seed: int = 0,
        sampler: str | None = None,
    ) -> None:
        self.policy, self.vq, self.registry, self.out_dir = policy, vq, registry, out_dir
        self.sampling = DEFAULT_SAMPLING.with_overrides(
            temperature=temperature, seed=seed, sampler=sampler
        )

    def agent(self, sample: SkillSample, memory: Any = None) -> AetherAgent:
        return self.agent_with(self.tools(sample), memory)

    def agent_with(self, tools: ToolRegistry, memory: Any = None) -> AetherAgent:
        return AetherAgent(
            self.policy,
            tools,
            approval=ApprovalPolicy.from_spec("all"),
            memory=memory,
            vq=self.vq,
            config=AgentConfig(out_dir=self.out_dir, sampling=self.sampling, store_summaries=False),
        )

    def tools(self, sample: SkillSample) -> ToolRegistry:
        """The tools as ``sample`` answers them: calc and echo for real, the clock at its
        moment, the rest replaying its outputs."""
        outputs = {c["tool"]: c["output"] for c in sample.extra.get("calls", ()) if "output" in c}
        if sample.expected_tool and sample.expected_tool not in outputs:
            outputs[sample.expected_tool] = sample.tool_output or ""
        now = _moment(sample)

        def replay(name: str) -> Callable[[], str]:
            def run() -> str:
                if name not in outputs:  # a tool the sample does not ask for finds nothing
                    raise RuntimeError(f"{name}: no result")
                if not sample.tool_ok:
                    raise RuntimeError(outputs[name])
                return outputs[name]

            return run

        def stand_in(t: Tool) -> Tool:
            if isinstance(t, CalcTool) or (isinstance(t, EchoTool) and sample.tool_ok):
                return t  # offline and deterministic: a wrong call gets its own wrong output
            if isinstance(t, TimeTool) and sample.tool_ok and (now or "time" not in outputs):
                return TimeTool(now=lambda: now or CLOCK)  # a fixed clock, not the sample's
            return ReplayTool(t, replay(t.name))

        return ToolRegistry([stand_in(t) for t in self.registry])

    def run(self, sample: SkillSample) -> Transcript:
        from ..memory import VectorMemory

        if sample.skill == "memory":
            memory = VectorMemory(path=None)
            for m in sample.memories:  # distractors the user told earlier
                if _norm(m) != _norm(sample.extra["fact"]):
                    memory.add(m.rstrip("."), kind="fact")
            teller = self.agent(sample, memory)
            store = sample.extra.get("store_prompt") or _store_prompt(sample)  # a file's own
            drive(teller.run(store))  # an earlier conversation, where the fact was told
            return drive(self.agent(sample, memory).run(sample.prompt))  # a new one
        images: list[str] = []
        path = self.out_dir / f"input-{abs(hash(sample.prompt)) % 10**8}.png"
        if sample.image_spec is not None:
            from ..data.shapes import render

            render(sample.image_spec).save(path)
            images.append(str(path))
        elif "photo_seed" in sample.extra:
            from .photos import photograph

            photograph(sample.extra["photo_seed"]).save(path)
            images.append(str(path))
        return drive(self.agent(sample).run(sample.prompt, images=images))


def _moment(sample: SkillSample) -> Any:
    """The moment a time sample's clock reads: a written line's, or the one a generated
    sample's tool output names in its zone ("It's 14:03 on Tuesday 24 November 2026 in …");
    None for local time (the machine's zone would differ) or an output that names none."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    for call in sample.extra.get("calls", ()):
        if call.get("now") is not None:
            return call["now"]
    zone = sample.extra.get("zone")
    said = re.match(r"It's (\d\d:\d\d) on \w+ (\d+ \w+ \d{4}) in ", sample.tool_output or "")
    if sample.skill != "time" or not zone or not said or not (sample.expected_args or {}):
        return None
    try:
        local = datetime.strptime(" ".join(said.groups()), "%H:%M %d %B %Y")
        return local.replace(tzinfo=ZoneInfo(zone))
    except (ValueError, KeyError):
        return None


def _store_prompt(sample: SkillSample) -> str:
    from ..data.phrasing import held_out
    from ..data.skills.memory import STORE_TEMPLATES

    rng = random.Random(sample.prompt)
    return rng.choice(held_out(STORE_TEMPLATES, "eval")).format(fact=sample.extra["fact"])
