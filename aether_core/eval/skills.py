"""`aether eval skills`: held-out prompts through the real AetherAgent, scored per skill, for
the call (right tool, right arguments) and end to end (the answer the user reads; judge.py).

calc and echo run for real; the clock runs at the sample's moment where it is known; search and
browse replay the sample's output (no network). Approval is automatic, and memory is a fresh
in-memory store per sample. The prompts come from the synthetic generators' *eval* split
(phrasings, names, numbers and URLs that never occur in training) or a file of written ones.
How a sample is run: runner.py; the long chat: chat.py.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data.skills import SKILLS, SkillSample
from ..tools.base import ToolRegistry
from .chat import ROW as CHAT_ROW
from .chat import chat_samples, run_chat
from .judge import same_zone, score, score_calls
from .runner import SkillRunner, Transcript, drive, eval_samples

__all__ = ["ROWS", "Failure", "SkillRunner", "Transcript", "drive", "eval_samples",
           "evaluate_skills", "same_zone", "score"]  # fmt: skip

WRITTEN_ONLY = ("multi", "photo")  # skills only written prompts have (no generator)
GENERATED_ONLY = (CHAT_ROW,)  # rows only generated prompts have (eval/chat.py)
ROWS = ("arithmetic", "time", "search", "browse", "echo", "chat", "caption", "draw_colour",
        "draw_shape", "memory", *WRITTEN_ONLY, *GENERATED_ONLY)  # fmt: skip


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
            whole = skill in GENERATED_ONLY  # a chat's turn counts once: all its own rows
            for i, (sample, t) in enumerate(zip(todo, transcripts, strict=False)):
                rows, called = score(sample, t), score_calls(sample, t)
                if whole:
                    rows, called = {skill: all(rows.values())}, {skill: all(called.values())}
                for row, ok in rows.items():
                    hits.setdefault(row, []).append(ok)
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
