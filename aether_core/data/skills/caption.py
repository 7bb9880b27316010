"""Describing a picture the user shows: a shape of the synthetic world (shape, colour,
background), or a picture unlike it (``scenes``), which gets an honest answer.

A ``pick(rng, split, **fixed) -> ShapeSpec`` chooses the picture. The training source passes its
image bank's picker (pictures whose VQ codes are already computed); ``skill_samples`` uses the
plain renderer's. Captions hold out whole (shape, colour, background) combinations for "eval".
"""

from __future__ import annotations

import random
from collections.abc import Callable

from ...dialogue import (
    THOUGHT_BACKGROUND,
    THOUGHT_COLOUR,
    THOUGHT_DESCRIBE,
    THOUGHT_NOT_A_SHAPE,
    THOUGHT_SHAPE,
)
from ..phrasing import fix_articles, held_out, is_command, norm_split, realize, value_split
from ..scenes import HONEST_ANSWERS, SCENE_POOL, main_colours, random_scene, say_colours
from ..shapes import ShapeSpec, random_spec
from ..shapes import caption as shape_caption
from .base import Skill, SkillSample, templates

Pick = Callable[..., ShapeSpec]

_T = templates("caption")
DESCRIBE: tuple[str, ...] = _T["describe"]
ASK_COLOUR: tuple[str, ...] = _T["ask_colour"]
ASK_SHAPE: tuple[str, ...] = _T["ask_shape"]
ASK_BACKGROUND: tuple[str, ...] = _T["ask_background"]


def triple_split(spec: ShapeSpec) -> str:
    """Which split a picture's (shape, colour, background) combination belongs to."""
    return value_split(f"{spec.shape}/{spec.colour}/{spec.background}")


def plain_pick(rng: random.Random, split: str | None = None, **fixed: object) -> ShapeSpec:
    """A random spec (optionally of one split's combinations) with some fields pinned."""
    spec = random_spec(rng, **fixed)
    for _ in range(200):
        if split is None or triple_split(spec) == split:
            break
        spec = random_spec(rng, **fixed)
    return spec


def word(colour: str, rng: random.Random) -> str:
    return "grey" if colour == "gray" and rng.random() < 0.5 else colour


SCENE_RATE = 0.12  # share of pictures unlike the shapes world (scenes.py)


def _scene(rng: random.Random, split: str) -> SkillSample:
    """A picture that is not one simple shape: the answer says so, and names its main colours."""
    while True:
        seed = rng.randrange(SCENE_POOL)
        if value_split(seed) == split:
            break
    spec = random_scene(rng, seed)
    template = rng.choice(held_out(DESCRIBE, split))
    prompt = realize(template, {}, rng, split, imperative=is_command(template))
    names = main_colours(spec.render())
    answer = rng.choice(HONEST_ANSWERS).format(c=say_colours(names))
    return SkillSample("caption", split, prompt, "scene", template, image_spec=spec,  # type: ignore[arg-type]
                       thought=THOUGHT_NOT_A_SHAPE, answer=answer,
                       expected_answer_contains=("simple shape", names[0]))  # fmt: skip


def caption(rng: random.Random, split: str, pick: Pick = plain_pick) -> SkillSample:
    """A picture in the user turn and a question about it; the answer names shape and colours."""
    split = norm_split(split)
    if rng.random() < SCENE_RATE:
        return _scene(rng, split)
    spec = pick(rng, split)
    kind = rng.choices(("describe", "colour", "shape", "background"), weights=(6, 2, 2, 1))[0]
    templates = {"describe": DESCRIBE, "colour": ASK_COLOUR, "shape": ASK_SHAPE,
                 "background": ASK_BACKGROUND}[kind]  # fmt: skip
    template = rng.choice(held_out(templates, split))
    prompt = realize(template, {}, rng, split, imperative=is_command(template))
    text = fix_articles(shape_caption(spec))
    if kind == "describe":
        answer = rng.choice((text[:1].upper() + text[1:] + ".", f"It's {text}.", f"I see {text}."))
        thought, contains = THOUGHT_DESCRIBE, (spec.colour, spec.shape)
    elif kind == "colour":
        answer = rng.choice((f"It's {spec.colour}.", f"The {spec.shape} is {spec.colour}."))
        thought, contains = THOUGHT_COLOUR, (spec.colour,)
    elif kind == "shape":
        answer = rng.choice((f"It's a {spec.shape}.", f"A {spec.shape}."))
        thought, contains = THOUGHT_SHAPE, (spec.shape,)
    else:
        answer = f"The background is {spec.background}."
        thought, contains = THOUGHT_BACKGROUND, (spec.background,)
    return SkillSample("caption", split, prompt, kind, template, image_spec=spec, thought=thought,
                       answer=answer, expected_answer_contains=contains)  # fmt: skip


SKILL = Skill("caption", caption, image=True)
