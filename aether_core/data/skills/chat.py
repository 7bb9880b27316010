"""Small talk: greetings, thanks, jokes... answered directly, without a tool."""

from __future__ import annotations

import random

from ..phrasing import held_out, norm_split, realize
from .base import Skill, SkillSample, templates

# category -> (user templates, assistant answers, thought). Templates are split, answers shared.
SMALL_TALK: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    category: (t["templates"], t["answers"], t["thought"])
    for category, t in templates("chat").items()
}


def small_talk(rng: random.Random, split: str) -> SkillSample:
    """A greeting, thanks, joke... answered directly, without a tool."""
    split = norm_split(split)
    category = rng.choice(sorted(SMALL_TALK))
    templates, answers, thought = SMALL_TALK[category]
    template = rng.choice(held_out(templates, split))
    prompt = realize(template, {}, rng, split)
    return SkillSample("chat", split, prompt, category, template, thought=thought,
                       answer=rng.choice(answers))  # fmt: skip


SKILL = Skill("chat", small_talk)
