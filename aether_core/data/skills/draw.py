"""Drawing on request: "draw a green triangle" -> a thought, the picture's VQ codes and a short
sentence. Drawings hold out phrasings only (a colour/shape the model never drew cannot be judged
fairly).
"""

from __future__ import annotations

import random

from ...dialogue import draw_thought
from ..phrasing import fix_articles, held_out, norm_split, realize
from ..shapes import COLOURS, SHAPES, drawing_spec
from .base import Skill, SkillSample, templates
from .caption import Pick, plain_pick, word

_T = templates("draw")
DRAW: tuple[str, ...] = _T["draw"]
DRAW_ON: tuple[str, ...] = _T["draw_on"]  # with {bg}
SIZE_WORDS: dict[str, tuple[str, ...]] = _T["size_words"]


def draw(rng: random.Random, split: str, pick: Pick = plain_pick) -> SkillSample:
    """ "draw a green triangle" -> a thought, the picture's VQ codes and a short sentence.

    The picture is ``shapes.drawing_spec``: centred, sized by an optional word ("a big red
    circle"), on the asked-for background or the default one. ``pick`` is unused: drawings are
    canonical, not sampled (kept for the generator signature)."""
    del pick
    split = norm_split(split)
    colour, shape = rng.choice(sorted(COLOURS)), rng.choice(SHAPES)
    size = rng.choices(("medium", "small", "big"), weights=(3, 1, 1))[0]
    size_word = rng.choice(SIZE_WORDS[size]) if size != "medium" else ""
    with_bg = rng.random() < 0.3
    slots = {"colour": word(colour, rng), "shape": shape}
    if with_bg:
        bg = rng.choice([c for c in sorted(COLOURS) if c != colour])
        template = rng.choice(held_out(DRAW_ON, split))
        slots["bg"] = word(bg, rng)
    else:
        bg = None
        template = rng.choice(held_out(DRAW, split))
    spec = drawing_spec(shape, colour, bg, size)
    said = f"{slots['colour']} {shape}"
    if size_word:  # the size word goes before whichever of colour/shape comes first
        first = "colour" if template.index("{colour}") < template.index("{shape}") else "shape"
        slots[first] = f"{size_word} {slots[first]}"
        said = f"{size_word} {said}"
    prompt = fix_articles(
        realize(template, slots, rng, split, imperative=template[:1] in "dpsmcgr")
    )
    thought = draw_thought(shape, colour, bg, size)
    answer = fix_articles(rng.choice((f"Here is a {said}.", f"Here's a {said}.",
                                      f"Done: a {said} on a {spec.background} background.")))  # fmt: skip
    return SkillSample("draw", split, prompt, "background" if with_bg else "ok", template,
                       draw_spec=spec, thought=thought, answer=answer,
                       expected_answer_contains=(slots["colour"].split()[-1], shape))  # fmt: skip


SKILL = Skill("draw", draw, image=True)
