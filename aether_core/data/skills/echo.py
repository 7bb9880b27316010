"""Echo: the text copied exactly into the call and the answer (odd casing, punctuation,
numbers and non-ASCII characters: copying must be exact)."""

from __future__ import annotations

import random

from ...dialogue import THOUGHT_OK, tool_thought
from .. import lexicon as lx
from ..phrasing import held_out, is_command, norm_split, realize
from .base import Skill, SkillSample, maybe_denied, templates

ECHO_TEMPLATES: tuple[str, ...] = templates("echo")["templates"]


def _word_case(word: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return word
    if r < 0.75:
        return word.capitalize()
    if r < 0.88:
        return word.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in word)


def echo_text(rng: random.Random, split: str) -> str:
    """Odd casing, punctuation, numbers and a few non-ASCII characters: copying must be exact."""
    r = rng.random()
    if r < 0.45:
        words = held_out(lx.ECHO_WORDS, split)
        text = " ".join(_word_case(rng.choice(words), rng) for _ in range(rng.randint(1, 5)))
    elif r < 0.8:
        text = rng.choice(held_out(lx.ECHO_SENTENCES, split))
        text = text.lower() if rng.random() < 0.2 else text
    else:
        words = held_out(lx.ECHO_WORDS, split)
        text = f"{_word_case(rng.choice(words), rng)} {rng.randint(0, 9999)}"
        if rng.random() < 0.5:
            text += f" {_word_case(rng.choice(words), rng)}"
    if rng.random() < 0.35:
        text += rng.choice(lx.ECHO_EXTRAS)
    return text


def echo(rng: random.Random, split: str) -> SkillSample:
    """echo with the text copied exactly; the answer is the text itself."""
    split = norm_split(split)
    text = echo_text(rng, split)
    templates = held_out(ECHO_TEMPLATES, split)
    quoted = [
        t for t in templates if ('"' in t and '"' not in text) or ("'" in t and "'" not in text)
    ]
    plain = [t for t in templates if '"' not in t and "'" not in t]
    template = rng.choice(quoted if quoted and rng.random() < 0.25 else plain)
    prompt = realize(
        template,
        {"text": text},
        rng,
        split,
        verbatim=("text",),
        imperative=is_command(template),
    )
    sample = SkillSample(
        "echo",
        split,
        prompt,
        "ok",
        template,
        "echo",
        {"text": text},
        (text,),
        tool_output=text,
        thought=tool_thought("Repeat it", "echo"),
        answer_thought=THOUGHT_OK,
        answer=text,
    )
    return maybe_denied(sample, rng)


SKILL = Skill("echo", echo, tool="echo")
