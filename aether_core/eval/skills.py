"""`aether eval skills`: held-out prompts through the real AetherAgent, scored per skill.

Tools are replaced by deterministic local fakes that replay the sample's tool output (no network,
no clock), approval is automatic, and memory is a fresh in-memory store per sample. The prompts
come from the synthetic generators' *eval* split: phrasings, names, numbers and URLs that never
occur in training.
"""

from __future__ import annotations

import random
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..agent.agent import AetherAgent, AgentConfig
from ..agent.approval import ApprovalPolicy
from ..agent.events import AnswerDelta, Done, Event, ImageProduced, ToolCallRequested
from ..data.skills import SKILLS, SkillSample, skill_samples
from ..decoding import DEFAULT_SAMPLING
from ..tools.base import Tool, ToolRegistry
from ..tools.calc import CalcTool
from ..tools.calc import evaluate as calc_evaluate

ROWS = ("arithmetic", "time", "search", "browse", "echo", "chat", "caption", "draw_colour",
        "draw_shape", "memory")  # fmt: skip
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


def _drive(events: Iterator[Event]) -> Transcript:
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


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


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
    ) -> None:
        self.policy, self.vq, self.registry, self.out_dir = policy, vq, registry, out_dir
        self.sampling = DEFAULT_SAMPLING.with_overrides(temperature=temperature, seed=seed)

    def agent(self, sample: SkillSample, memory: Any = None) -> AetherAgent:
        output = sample.tool_output or ""

        def replay() -> str:
            if not sample.tool_ok:
                raise RuntimeError(output)
            return output

        tools = ToolRegistry(
            [t if isinstance(t, CalcTool) else ReplayTool(t, replay) for t in self.registry]
        )
        return AetherAgent(
            self.policy,
            tools,
            approval=ApprovalPolicy.from_spec("all"),
            memory=memory,
            vq=self.vq,
            config=AgentConfig(out_dir=self.out_dir, sampling=self.sampling, store_summaries=False),
        )

    def run(self, sample: SkillSample) -> Transcript:
        from ..memory import VectorMemory

        if sample.skill == "memory":
            memory = VectorMemory(path=None)
            for m in sample.memories:  # distractors the user told earlier
                if _norm(m) != _norm(sample.extra["fact"]):
                    memory.add(m.rstrip("."), kind="fact")
            teller = self.agent(sample, memory)
            store = sample.extra.get("store_prompt") or _store_prompt(sample)  # a file's own
            _drive(teller.run(store))  # an earlier conversation, where the fact was told
            return _drive(self.agent(sample, memory).run(sample.prompt))  # a new one
        images: list[str] = []
        if sample.image_spec is not None:
            from ..data.shapes import render

            path = self.out_dir / f"input-{abs(hash(sample.prompt)) % 10**8}.png"
            render(sample.image_spec).save(path)
            images.append(str(path))
        return _drive(self.agent(sample).run(sample.prompt, images=images))


def _store_prompt(sample: SkillSample) -> str:
    from ..data.phrasing import held_out
    from ..data.skills.memory import STORE_TEMPLATES

    rng = random.Random(sample.prompt)
    return rng.choice(held_out(STORE_TEMPLATES, "eval")).format(fact=sample.extra["fact"])


def same_zone(got: str, want: str) -> bool:
    """Both empty (local time), or both resolve (as the time tool resolves cities and zone names)
    to zones with the same UTC offsets across a year: "Tokyo" and "Asia/Tokyo" are the same."""
    from datetime import datetime, timezone

    from ..tools.clock import TimeZoneError, find_zone

    if not got.strip() or not want.strip():
        return not got.strip() and not want.strip()
    try:
        a, b = find_zone(got), find_zone(want)
    except TimeZoneError:
        return False
    moments = [datetime(2026, m, 15, 12, tzinfo=timezone.utc) for m in (1, 4, 7, 10)]
    return all(t.astimezone(a).utcoffset() == t.astimezone(b).utcoffset() for t in moments)


def _names_shape(answer: str, spec: Any) -> bool:
    """The answer names exactly the shape and its colour (a mention of the background aside)."""
    from ..data.shapes import COLOURS, SHAPES

    text = re.sub(
        r"\b(?:on|against|over|with|in front of)\s+(?:a|an|the)?\s*\w+\s+background", " ", answer
    )
    words = set(re.findall(r"[a-z]+", text.replace("grey", "gray")))
    return words & set(COLOURS) == {spec.colour} and words & set(SHAPES) == {spec.shape}


def score(sample: SkillSample, t: Transcript) -> dict[str, bool]:
    """Which rows this transcript passes (draw gives two: colour and shape)."""
    skill, answer = sample.skill, _norm(t.answer)
    first = t.calls[0] if t.calls else (None, {})
    contains = all(_norm(c) in answer for c in sample.expected_answer_contains)
    if skill == "arithmetic":
        ok = False
        if first[0] == "calc":
            try:
                ok = calc_evaluate(str(first[1].get("expression", ""))) == sample.extra["result"]
            except Exception:  # noqa: BLE001 - a wrong expression is just a miss
                ok = False
        return {"arithmetic": ok and contains}
    if skill == "time":
        want = (sample.expected_args or {}).get("timezone", "")
        got = str(first[1].get("timezone", "") or "") if first[0] == "time" else None
        return {"time": got is not None and same_zone(got, want)}
    if skill == "search":  # the right query, and the answer quotes one of the results
        want = _norm((sample.expected_args or {}).get("query", ""))
        results = sample.extra.get("results", [])
        quoted = any(_norm(r["title"]) in answer or r["href"] in t.answer for r in results)
        return {
            "search": first[0] == "web_search"
            and _norm(str(first[1].get("query", ""))) == want
            and (quoted or (contains and not results))
        }
    if skill == "browse":
        return {
            "browse": first[0] == "browse_page"
            and first[1].get("url") == (sample.expected_args or {}).get("url")
        }
    if skill == "echo":
        return {
            "echo": first[0] == "echo"
            and first[1].get("text") == (sample.expected_args or {}).get("text")
        }
    if skill == "chat":
        return {"chat": not t.calls and bool(answer)}
    if skill == "caption":
        return {"caption": not t.calls and _names_shape(answer, sample.image_spec)}
    if skill == "draw":
        from ..data.shapes import analyze_shape_image

        if not t.images:
            return {"draw_colour": False, "draw_shape": False}
        a = analyze_shape_image(t.images[0])
        return {
            "draw_colour": a.colour == sample.draw_spec.colour,
            "draw_shape": a.shape == sample.draw_spec.shape,
        }
    if skill == "memory":
        return {"memory": contains}
    raise ValueError(f"unknown skill {skill!r}")


def evaluate_skills(
    policy: Any,
    vq: Any,
    registry: ToolRegistry,
    *,
    n: int = 50,
    seed: int = 0,
    skills: tuple[str, ...] = SKILLS,
    temperature: float | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    samples: Sequence[SkillSample] | None = None,
    failures: list[Failure] | None = None,
) -> dict[str, float]:
    """Accuracy per row (see ROWS) plus ``skills_mean`` over the rows evaluated.

    ``samples`` (e.g. ``human.prompt_samples``) replaces the generated eval prompts: those of
    ``skills`` are run, in skill order. A ``failures`` list collects every sample that missed a
    row, with its transcript."""
    hits: dict[str, list[bool]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runner = SkillRunner(policy, vq, registry, Path(tmp), temperature, seed)
        for skill in skills:
            if samples is None:
                todo = eval_samples(skill, n, seed)
            else:
                todo = [s for s in samples if s.skill == skill]
            for i, sample in enumerate(todo):
                t = runner.run(sample)
                rows = score(sample, t)
                for row, ok in rows.items():
                    hits.setdefault(row, []).append(ok)
                if failures is not None and not all(rows.values()):
                    failures.append(
                        Failure(sample, t, tuple(r for r, ok in rows.items() if not ok))
                    )
                if progress:
                    progress(skill, i + 1, len(todo))
    table = {row: sum(v) / len(v) for row in ROWS if (v := hits.get(row))}
    table["skills_mean"] = sum(table.values()) / max(1, len(table))
    return table


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
    args = json.dumps(s.expected_args or {}, ensure_ascii=False)
    call = f"{s.expected_tool}({args})" if s.expected_tool else "no call"
    said = " and ".join(repr(c) for c in s.expected_answer_contains)
    return f"{call} | answer has {said}" if said else call
