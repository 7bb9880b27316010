"""Image skills over the synthetic shapes: describing a picture, and drawing one on request.

A ``pick(rng, split, **fixed) -> ShapeSpec`` chooses the picture. The training source passes its
image bank's picker (pictures whose VQ codes are already computed); ``skill_samples`` uses the
plain renderer's. Captions hold out whole (shape, colour, background) combinations for "eval";
drawings hold out phrasings only (a colour/shape the model never drew cannot be judged fairly).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .phrasing import fix_articles, held_out, norm_split, realize, value_split
from .shapes import COLOURS, SHAPES, ShapeSpec, random_spec
from .shapes import caption as shape_caption
from .skills import SkillSample

Pick = Callable[..., ShapeSpec]

DESCRIBE = (
    "what is in this picture?", "describe the image", "what do you see?", "what's this?",
    "describe this picture", "what is shown here?", "caption this image", "what's in the image?",
    "tell me what you see", "can you describe this?", "what does this image show?",
    "what is this image?", "give me a caption for this", "look at this. what is it?",
    "explain this picture", "what's on this picture?", "describe what you see",
    "what am I looking at?", "write a caption", "what does the picture contain?",
)  # fmt: skip
ASK_COLOUR = (
    "what colour is the shape?", "what color is the shape?", "which colour is it?",
    "what color is the object?", "what's the colour of the shape?", "which color do you see?",
    "tell me the shape's colour", "what colour is the thing in the picture?",
    "what color is it?", "name the colour of the shape",
)  # fmt: skip
ASK_SHAPE = (
    "what shape is this?", "what shape do you see?", "is it a circle, square or triangle?",
    "name the shape", "which shape is in the picture?", "what kind of shape is it?",
    "what shape is shown?", "tell me the shape", "what's the shape?", "which shape is that?",
)  # fmt: skip
ASK_BACKGROUND = (
    "what colour is the background?", "what's the background color?",
    "which colour is the background?", "tell me the background colour",
    "what color is behind the shape?", "what's the colour of the background?",
    "background colour?", "what color is the backdrop?", "name the background colour",
    "which color fills the background?",
)  # fmt: skip
DRAW = (
    "draw a {colour} {shape}", "draw me a {colour} {shape}", "can you draw a {colour} {shape}?",
    "make a picture of a {colour} {shape}", "paint a {colour} {shape}",
    "sketch a {colour} {shape}", "show me a {colour} {shape}",
    "create an image of a {colour} {shape}", "I'd like a picture of a {colour} {shape}",
    "generate a {colour} {shape}", "render a {colour} {shape}", "draw a {shape} in {colour}",
    "a {colour} {shape}, please draw it", "picture of a {colour} {shape} please",
    "{colour} {shape} drawing please", "could you paint me a {colour} {shape}?",
    "make me an image with a {colour} {shape}", "draw one {colour} {shape}",
    "produce a drawing of a {colour} {shape}", "I want to see a {colour} {shape}",
)  # fmt: skip
DRAW_ON = (
    "draw a {colour} {shape} on a {bg} background", "paint a {colour} {shape} on {bg}",
    "draw me a {colour} {shape} with a {bg} background",
    "make a {bg} picture with a {colour} {shape} in it",
    "sketch a {colour} {shape} over a {bg} background",
    "can you draw a {colour} {shape} on a {bg} background?",
    "a {colour} {shape} on {bg}, please", "create a {colour} {shape} on a {bg} backdrop",
    "render a {colour} {shape} against {bg}", "show me a {colour} {shape} on a {bg} background",
)  # fmt: skip


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


def _word(colour: str, rng: random.Random) -> str:
    return "grey" if colour == "gray" and rng.random() < 0.5 else colour


def caption(rng: random.Random, split: str, pick: Pick = plain_pick) -> SkillSample:
    """A picture in the user turn and a question about it; the answer names shape and colours."""
    split = norm_split(split)
    spec = pick(rng, split)
    kind = rng.choices(("describe", "colour", "shape", "background"), weights=(6, 2, 2, 1))[0]
    templates = {"describe": DESCRIBE, "colour": ASK_COLOUR, "shape": ASK_SHAPE,
                 "background": ASK_BACKGROUND}[kind]  # fmt: skip
    template = rng.choice(held_out(templates, split))
    prompt = realize(template, {}, rng, split, imperative=template[:1] in "dcegnt")
    text = fix_articles(shape_caption(spec))
    if kind == "describe":
        answer = rng.choice((text[:1].upper() + text[1:] + ".", f"It's {text}.", f"I see {text}."))
        thought, contains = "Describe the image.", (spec.colour, spec.shape)
    elif kind == "colour":
        answer = rng.choice((f"It's {spec.colour}.", f"The {spec.shape} is {spec.colour}."))
        thought, contains = "Check the shape's colour.", (spec.colour,)
    elif kind == "shape":
        answer = rng.choice((f"It's a {spec.shape}.", f"A {spec.shape}."))
        thought, contains = "Check the shape.", (spec.shape,)
    else:
        answer = f"The background is {spec.background}."
        thought, contains = "Check the background.", (spec.background,)
    return SkillSample("caption", split, prompt, kind, template, image_spec=spec, thought=thought,
                       answer=answer, expected_answer_contains=contains)  # fmt: skip


def draw(rng: random.Random, split: str, pick: Pick = plain_pick) -> SkillSample:
    """ "draw a green triangle" -> a thought, the picture's VQ codes and a short sentence."""
    split = norm_split(split)
    colour, shape = rng.choice(sorted(COLOURS)), rng.choice(SHAPES)
    with_bg = rng.random() < 0.2
    if with_bg:
        bg = rng.choice([c for c in sorted(COLOURS) if c != colour])
        spec = pick(rng, None, shape=shape, colour=colour, background=bg)
        template = rng.choice(held_out(DRAW_ON, split))
        slots = {"colour": _word(colour, rng), "shape": shape, "bg": _word(bg, rng)}
        thought = f"Draw a {colour} {shape} on {bg}."
    else:
        spec = pick(rng, None, shape=shape, colour=colour)
        template = rng.choice(held_out(DRAW, split))
        slots = {"colour": _word(colour, rng), "shape": shape}
        thought = f"Draw a {colour} {shape}."
    prompt = fix_articles(
        realize(template, slots, rng, split, imperative=template[:1] in "dpsmcgr")
    )
    said = f"{slots['colour']} {shape}"
    answer = fix_articles(
        rng.choice(
            (
                f"Here is a {said}.",
                f"Here's a {said}.",
                f"Done: a {said} on a {spec.background} background.",
            )
        )
    )
    return SkillSample("draw", split, prompt, "background" if with_bg else "ok", template,
                       draw_spec=spec, thought=thought, answer=answer,
                       expected_answer_contains=(slots["colour"], shape))  # fmt: skip
