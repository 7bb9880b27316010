"""`aether eval skills`: held-out prompts through the real AetherAgent, scored per skill, for
the call (right tool, right arguments) and end to end (the answer the user reads; judge.py).

calc and echo run for real; the clock runs at the sample's moment where it is known; search and
browse replay the sample's output (no network). Approval is automatic, and memory is a fresh
in-memory store per sample. The prompts come from the synthetic generators' *eval* split
(phrasings, names, numbers and URLs that never occur in training) or a file of written ones.
"""

from __future__ import annotations

import random
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..agent.agent import AetherAgent, AgentConfig
from ..agent.approval import ApprovalPolicy
from ..agent.events import AnswerDelta, Done, Event, ImageProduced, ToolCallRequested
from ..data.skills import SKILLS, SkillSample, skill_samples
from ..decoding import DEFAULT_SAMPLING
from ..tools.base import Tool, ToolRegistry
from ..tools.calc import CalcTool
from ..tools.clock import TimeTool
from ..tools.echo import EchoTool
from .judge import norm as _norm
from .judge import same_zone, score, score_calls

__all__ = ["ROWS", "Failure", "SkillRunner", "Transcript", "evaluate_skills", "same_zone", "score"]

ROWS = ("arithmetic", "time", "search", "browse", "echo", "chat", "caption", "draw_colour",
        "draw_shape", "memory", "multi", "photo", "long_chat")  # fmt: skip
WRITTEN_ONLY = ("multi", "photo")  # skills only written prompts have (no generator)
GENERATED_ONLY = ("long_chat",)  # rows only generated prompts have (eval/chat.py)
CLOCK = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # "now" where a sample names none
EXCLUDED_VARIANTS = {"error", "denied", "store", "unknown"}  # not what a skill row measures


class ReplayTool(Tool):
    """A stand-in with a real tool's name and schema that returns a fixed output."""

    def __init__(self, real: Tool, output: Callable[[], str]) -> None:
        self.name, self.description, self.schema = real.name, real.description, real.schema
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


def evaluate_skills(
    policy: Any,
    vq: Any,
    registry: ToolRegistry,
    *,
    n: int = 50,
    seed: int = 0,
    skills: tuple[str, ...] = (*SKILLS, *WRITTEN_ONLY, *GENERATED_ONLY),
    temperature: float | None = None,
    sampler: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    samples: Sequence[SkillSample] | None = None,
    failures: list[Failure] | None = None,
) -> dict[str, Any]:
    """End-to-end accuracy per row (see ROWS; judge.score) plus ``skills_mean`` over the rows
    evaluated, and under ``"call"`` the call accuracy of the same rows (judge.score_calls) with
    their ``"mean"``.

    ``samples`` (e.g. ``human.prompt_samples``) replaces the generated eval prompts: those of
    ``skills`` are run, in skill order (``multi`` and ``photo`` have written prompts only). A
    ``failures`` list collects every sample that missed a row end to end, with its
    transcript."""
    hits: dict[str, list[bool]] = {}
    call_hits: dict[str, list[bool]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runner = SkillRunner(policy, vq, registry, Path(tmp), temperature, seed, sampler)
        for skill in skills:
            if (samples is None and skill in WRITTEN_ONLY) or (
                samples is not None and skill in GENERATED_ONLY
            ):
                continue
            if skill in GENERATED_ONLY:
                todo, transcripts = _long_chat(runner, n, seed)
            elif samples is None:
                todo = eval_samples(skill, n, seed)
                transcripts = map(runner.run, todo)
            else:
                todo = [s for s in samples if s.skill == skill]
                transcripts = map(runner.run, todo)
            for i, (sample, t) in enumerate(zip(todo, transcripts, strict=False)):
                rows = score(sample, t)
                if skill in GENERATED_ONLY:  # one row for the whole chat: every turn's own rows
                    rows = {skill: all(rows.values())}
                for row, ok in rows.items():
                    hits.setdefault(row, []).append(ok)
                called = score_calls(sample, t)
                if skill in GENERATED_ONLY:
                    called = {skill: all(called.values())}
                for row, ok in called.items():
                    call_hits.setdefault(row, []).append(ok)
                if failures is not None and not all(rows.values()):
                    failures.append(
                        Failure(sample, t, tuple(r for r, ok in rows.items() if not ok))
                    )
                if progress:
                    progress(skill, i + 1, len(todo))
    table: dict[str, Any] = {row: sum(v) / len(v) for row in ROWS if (v := hits.get(row))}
    table["skills_mean"] = sum(table.values()) / max(1, len(table))
    calls = {row: sum(v) / len(v) for row in ROWS if (v := call_hits.get(row))}
    calls["mean"] = sum(calls.values()) / max(1, len(calls))
    table["call"] = calls
    return table


def _long_chat(runner: SkillRunner, n: int, seed: int) -> tuple[list[SkillSample], Iterator]:
    """The long chat's turns in order, and their transcripts as they are run."""
    from .chat import chat_samples, run_chat

    chats = chat_samples(n, seed)
    turns = [s for chat in chats for s in chat]
    return turns, (t for chat in chats for t in run_chat(runner, chat))


@dataclass(frozen=True)
class Failure:
    """A sample that missed at least one row: what the agent did, and which rows it missed."""

    sample: SkillSample
    transcript: Transcript
    rows: tuple[str, ...]


def format_failure(f: Failure, answer_chars: int = 120) -> str:
    """Two lines: the missed row(s) and the prompt; the calls made and the answer's start."""
    import json

    s, t = f.sample, f.transcript
    rows = ",".join(f.rows) if f.rows != (s.skill,) else s.skill
    calls = (
        "; ".join(f"{name}({json.dumps(args, ensure_ascii=False)})" for name, args in t.calls)
        or "no call"
    )
    answer = " ".join(t.answer.split())
    if len(answer) > answer_chars:
        answer = answer[: answer_chars - 1] + "…"
    images = f" [+{len(t.images)} image(s)]" if t.images else ""
    return (
        f"FAIL {rows}: {s.prompt!r}\n  calls: {calls} | answer: {answer!r}{images}"
        f"\n  wanted: {_wanted(s)}"
    )


def _wanted(s: SkillSample) -> str:
    """What the sample expected, in the failure listing's words."""
    import json

    from ..data.shapes import caption

    if s.image_spec is not None:
        return f"the picture is {caption(s.image_spec)}"
    if s.draw_spec is not None:
        return f"a drawing of a {s.draw_spec.colour} {s.draw_spec.shape}"
    calls = s.extra.get("calls") or (
        [{"tool": s.expected_tool, "args": s.expected_args or {}}] if s.expected_tool else []
    )
    call = (
        " then ".join(f"{c['tool']}({json.dumps(c['args'], ensure_ascii=False)})" for c in calls)
        or "no call"
    )
    said = " and ".join(repr(c) for c in s.expected_answer_contains)
    return f"{call} | answer has {said}" if said else call
