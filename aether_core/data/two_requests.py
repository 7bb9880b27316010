"""Two requests in one message ("what's 2+2 and what time is it in Rome?"): two tool steps, then
one answer that covers both.

The parts are ordinary tool samples of two different skills, joined as people join them; the
first never ends in free text that could swallow the second (no echo first), and a first part's
closing punctuation goes when it is not part of what the call copies.
"""

from __future__ import annotations

import random
from dataclasses import replace

from ..dialogue import THOUGHT_OK
from .phrasing import held_out, norm_split
from .skills import SkillSample, generators

FIRST = ("arithmetic", "time", "search", "browse")
SECOND = ("arithmetic", "time", "search", "browse", "echo")
JOINERS = (
    " and ", ", and ", " and also ", ". Also, ", ", also ", " and then ", "; ", " + ",
    ". And ", ", then ", " and tell me ", ". Then ", " as well as ", ", plus ", " & ",
)  # fmt: skip
SKILL_NAME = "two_requests"


def _plain(gen, rng: random.Random, split: str) -> SkillSample:  # noqa: ANN001 - a Generator
    """A sample whose call succeeds (the joined dialogue is about doing both)."""
    while True:
        s = gen(rng, split)
        if s.tool_ok and s.expected_tool is not None and s.variant not in ("error", "denied"):
            return s


def _copied(sample: SkillSample) -> str:
    return " ".join(str(v) for v in (sample.expected_args or {}).values())


def two_requests(rng: random.Random, split: str) -> SkillSample:
    split = norm_split(split)
    gens = generators()
    a = rng.choice(FIRST)
    b = rng.choice([s for s in SECOND if s != a])
    first, second = _plain(gens[a], rng, split), _plain(gens[b], rng, split)
    head = first.prompt.rstrip()
    while head[-1:] in "?.!" and not _copied(first).endswith(head[-1:]) and len(head) > 1:
        head = head[:-1].rstrip()
    tail = second.prompt
    joiner = rng.choice(held_out(JOINERS, split))
    if not any(str(v) and tail.startswith(str(v)) for v in (second.expected_args or {}).values()):
        # the case of its first letter is free when no copied value starts there
        if joiner.startswith(". "):
            tail = tail[:1].upper() + tail[1:]
        elif tail[:1].isupper() and not tail[:2].isupper() and rng.random() < 0.8:
            tail = tail[:1].lower() + tail[1:]
    answer = f"{first.answer} {second.answer}"
    return replace(
        first,
        skill=SKILL_NAME,
        prompt=f"{head}{joiner}{tail}",
        variant=f"{a}+{b}",
        expected_answer_contains=first.expected_answer_contains + second.expected_answer_contains,
        answer_thought=THOUGHT_OK,
        answer=answer,
        then=replace(second, answer="", answer_thought=""),
        extra={**first.extra, "second": b},
    )
