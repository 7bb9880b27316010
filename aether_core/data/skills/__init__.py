"""The skills registry: every synthetic skill, one module each, in the order the eval reports them.

A skill module exports one ``Skill`` record (name, tool, generator, default weight) and keeps its
phrasings as data in ``templates/NAME.toml``. Adding a tool's skill means writing its module and
listing its record here; the training mix, ``skill_samples`` and the config's weights read it
from this list.

``SkillSample`` (the ground truth an eval checks) and ``to_messages`` (the dialogue a training
example is built from) live in ``base.py``.
"""

from __future__ import annotations

import random

from ..phrasing import norm_split
from . import arithmetic, browse, caption, chat, clock, draw, echo, memory, search
from .base import (
    DENIED_OUTPUTS,
    DENIED_RATE,
    ERROR_RATE,
    Generator,
    Skill,
    SkillSample,
    answer_step,
    maybe_denied,
    to_messages,
)

REGISTRY: tuple[Skill, ...] = (
    arithmetic.SKILL, clock.SKILL, search.SKILL, browse.SKILL, echo.SKILL, chat.SKILL,
    caption.SKILL, draw.SKILL, memory.SKILL,
)  # fmt: skip
BY_NAME: dict[str, Skill] = {s.name: s for s in REGISTRY}
SKILLS: tuple[str, ...] = tuple(BY_NAME)
IMAGE_SKILLS: frozenset[str] = frozenset(s.name for s in REGISTRY if s.image)
TOOL_OF_SKILL: dict[str, str] = {s.name: s.tool for s in REGISTRY if s.tool}


def generators() -> dict[str, Generator]:
    """skill name -> ``gen(rng, split) -> SkillSample``."""
    return {s.name: s.generate for s in REGISTRY}


def skill_samples(skill: str, n: int, seed: int = 0, split: str = "eval") -> list[SkillSample]:
    """``n`` seeded samples of one skill; the same (skill, n, seed, split) gives the same list.

    Image skills pick shape specs with the plain renderer here (no VQ needed); render
    ``image_spec`` with ``shapes.render`` to show the picture to the agent.
    """
    if skill not in BY_NAME:
        raise ValueError(f"unknown skill {skill!r} (choose from {', '.join(SKILLS)})")
    split = norm_split(split)
    rng = random.Random(f"{skill}/{seed}/{split}")
    gen = BY_NAME[skill].generate
    return [gen(rng, split) for _ in range(n)]


__all__ = [
    "BY_NAME", "DENIED_OUTPUTS", "DENIED_RATE", "ERROR_RATE", "IMAGE_SKILLS", "REGISTRY", "SKILLS",
    "TOOL_OF_SKILL", "Generator", "Skill",
    "SkillSample", "answer_step", "generators", "maybe_denied", "skill_samples", "to_messages",
]  # fmt: skip
