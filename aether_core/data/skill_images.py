"""Image skills over the synthetic shapes: describing a picture, and drawing one on request.

A ``pick(rng, split, **fixed) -> ShapeSpec`` chooses the picture. The training source passes its
image bank's picker (pictures whose VQ codes are already computed); ``skill_samples`` uses the
plain renderer's. Captions hold out whole (shape, colour, background) combinations for "eval";
drawings hold out phrasings only (a colour/shape the model never drew cannot be judged fairly).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from .phrasing import fix_articles, held_out, is_command, norm_split, realize, value_split
from .scenes import HONEST_ANSWERS, SCENE_POOL, main_colours, random_scene, say_colours
from .shapes import COLOURS, SHAPES, ShapeSpec, drawing_spec, random_spec
from .shapes import caption as shape_caption
from .skills import SkillSample

Pick = Callable[..., ShapeSpec]

# Order matters: held_out() sends every 5th template (index 4, 9, ...) to eval. Keep those to
# frames whose words also occur in training templates of the same list: eval phrasings are new
# combinations, never new vocabulary (tests/data/test_templates.py).
DESCRIBE = (
    "what is in this picture?", "describe the image", "what do you see?", "what's this?",
    "describe this picture", "what is shown here?", "caption this image", "what's in the image?",
    "tell me what you see", "can you describe this?", "what does this image show?",
    "what is this image?", "give me a caption for this", "look at this. what is it?",
    "explain this picture", "what's on this picture?", "describe what you see",
    "what am I looking at?", "what does the picture contain?", "write a caption",
    "what's in this photo?", "describe this photo", "what is in the photo?",
    "what does this picture show?", "what's shown in this image?", "describe it",
    "describe this for me", "describe the picture please", "caption this", "caption this picture",
    "write a caption for this image", "give me a short caption", "tell me what's in the picture",
    "tell me what this image shows", "what can you see?", "what can you see in this picture?",
    "what do you see in the image?", "what is this?", "what is this picture of?",
    "what's this a picture of?", "what's this image of?", "can you tell me what's in this image?",
    "could you describe this picture?", "can u describe this pic", "what's in this pic?",
    "what's happening in this picture?", "wat is this", "whats in the picture",
    "what's going on in this image?", "describe this pic", "look at this image and describe it",
    "have a look at this picture, what is it?", "I took this picture, what's in it?",
    "my friend sent me this image, what is it?", "would you mind describing this photo?",
    "I was wondering if you could describe this image", "mind describing this picture?",
    "any idea what this is?", "explain what this image shows", "explain what you see",
    "say what you see in the picture", "identify what's in this image",
    "what does this photo show?", "how would you describe this image?",
    "give me a description of this image", "sum up this picture",
    "a quick description of this picture, please",
)  # fmt: skip
ASK_COLOUR = (
    "what colour is the shape?", "what color is the shape?", "which colour is it?",
    "what color is the object?", "what's the colour of the shape?", "which color do you see?",
    "tell me the shape's colour", "what colour is the thing in the picture?", "what color is it?",
    "name the colour of the shape", "what colour is it?", "which color is it?",
    "what colour is the object?", "what's the color of the shape?", "which colour do you see?",
    "tell me the shape's color", "what color is the thing in the picture?",
    "name the color of the shape", "what colour is this shape?", "what color is this shape?",
    "what's the colour of the object?", "what's the color of the object?",
    "which colour is the shape?", "which color is the shape?",
    "what colour is the shape in the image?", "what color is the shape in the picture?",
    "what colour has the shape got?", "what color does the shape have?",
    "tell me the colour of the shape", "tell me the color of it",
    "can you tell me the colour of the shape?", "could you tell me what color the shape is?",
    "do you know what colour the shape is?", "what colour's the shape?", "color of the shape?",
    "colour of the shape?", "shape colour?", "shape color?", "whats the colour of the shape",
    "what colour is the figure?", "wat color is the shape",
    "what color is the figure in the image?", "which colour is the figure?",
    "what colour is the shape, please?", "what's the shape's colour?", "what's the shape's color?",
    "the shape is what colour?", "the object is which color?",
    "I can't tell the colour, what is it?", "I'm colour blind, what colour is the shape?",
    "I'm color blind, what color is this?", "my kid asks what colour the shape is",
    "what colour would you call the shape?", "what color would you say the object is?",
    "name the shape's colour", "identify the colour of the shape",
    "identify the color of the object", "say which colour the shape is",
    "the colour of the shape, please", "the color of the object, please",
    "is the shape red or some other colour?", "what colour is the main shape?",
)  # fmt: skip
ASK_SHAPE = (
    "what shape is this?", "what shape do you see?", "is it a circle, square or triangle?",
    "name the shape", "which shape is in the picture?", "what kind of shape is it?",
    "what shape is shown?", "tell me the shape", "which shape is that?", "what's the shape?",
    "what shape is it?", "what shape is in the picture?", "what shape is in the image?",
    "which shape do you see?", "what kind of shape is this?", "what kind of shape do you see?",
    "what shape is shown in the image?", "tell me what shape it is", "tell me which shape it is",
    "what's this shape?", "what's the shape in the picture?", "which shape is it?",
    "which shape is this?", "what sort of shape is it?", "what sort of shape is this?",
    "what type of shape is it?", "what type of shape is in the image?",
    "can you tell me the shape?", "could you tell me what shape this is?", "what shape's this?",
    "do you know what shape this is?", "shape?", "which shape?", "whats the shape",
    "what shape is the object?", "wat shape is it", "what shape is the figure?",
    "what shape does the object have?", "what's the shape of the object?",
    "what is the shape of the figure?", "name the shape in the picture", "name this shape",
    "identify the shape", "identify the shape in the image", "say which shape it is",
    "the shape, please", "circle, square or triangle?", "is it a circle or a square?",
    "is this a triangle?", "is that a circle?", "is it round or square?",
    "what geometric shape is this?", "what geometric shape do you see?",
    "my kid asks what shape this is", "I can't tell the shape, what is it?",
    "what shape would you call this?", "what shape would you say it is?",
    "the object is which shape?", "the figure is what shape?",
    "which shape is shown in the picture?", "what shape is drawn in the image?",
    "what form does the object have?",
)  # fmt: skip
ASK_BACKGROUND = (
    "what colour is the background?", "what's the background color?",
    "which colour is the background?", "tell me the background colour",
    "what color is behind the shape?", "what's the colour of the background?", "background colour?",
    "what color is the backdrop?", "which color fills the background?",
    "name the background colour", "what color is the background?", "what's the background colour?",
    "which color is the background?", "tell me the background color",
    "what colour is behind the shape?", "what's the color of the background?", "background color?",
    "what colour is the backdrop?", "name the background color",
    "which colour fills the background?", "what colour is the background of the picture?",
    "what color is the background in the image?", "what's the colour behind the shape?",
    "what's the color behind the object?", "what colour is behind the object?",
    "what color is the area around the shape?", "what colour surrounds the shape?",
    "what color surrounds the object?", "which colour is the backdrop?",
    "which color is the backdrop?", "tell me the colour of the background",
    "tell me what colour the background is", "can you tell me the background colour?",
    "could you tell me what color the background is?", "what colour's the background?",
    "do you know what colour the background is?", "colour of the background?",
    "color of the background?", "whats the background colour", "backdrop colour?",
    "wat color is the background", "bg colour?", "bg color?", "what's the bg colour?",
    "what colour is the background, please?", "the background is what colour?",
    "the backdrop is which color?", "I can't tell the background colour, what is it?",
    "I'm colour blind, what colour is the background?",
    "what color would you say the background is?", "what colour would you call the background?",
    "identify the background colour", "identify the color of the backdrop",
    "say which colour the background is", "the background colour, please",
    "the color of the backdrop, please", "what's the colour of the backdrop?",
    "what's the color of the backdrop?", "which colour is behind the shape?",
    "which color is behind the object?", "what colour is the rest of the picture?",
)  # fmt: skip
DRAW = (
    "draw a {colour} {shape}", "draw me a {colour} {shape}", "can you draw a {colour} {shape}?",
    "make a picture of a {colour} {shape}", "paint a {colour} {shape}", "sketch a {colour} {shape}",
    "show me a {colour} {shape}", "create an image of a {colour} {shape}",
    "I'd like a picture of a {colour} {shape}", "generate a {colour} {shape}",
    "render a {colour} {shape}", "draw a {shape} in {colour}", "a {colour} {shape}, please draw it",
    "picture of a {colour} {shape} please", "{colour} {shape} drawing please",
    "could you paint me a {colour} {shape}?", "make me an image with a {colour} {shape}",
    "draw one {colour} {shape}", "produce a drawing of a {colour} {shape}",
    "I want to see a {colour} {shape}", "draw a {colour} {shape} for me",
    "draw me a {colour} {shape} please", "paint me a {colour} {shape}",
    "sketch me a {colour} {shape}", "show me a {shape} in {colour}", "make a {colour} {shape}",
    "make me a {colour} {shape}", "create a {colour} {shape}",
    "create a picture of a {colour} {shape}", "generate an image of a {colour} {shape}",
    "generate a picture of a {colour} {shape}", "render an image of a {colour} {shape}",
    "draw a picture of a {colour} {shape}", "draw an image of a {colour} {shape}",
    "paint a picture of a {colour} {shape}", "sketch a {shape} in {colour}",
    "paint a {shape} in {colour}", "draw a {shape}, make it {colour}",
    "draw a {shape} and colour it {colour}", "paint a {shape} coloured {colour}",
    "draw a {shape} and color it {colour}", "draw a {shape} coloured {colour}",
    "draw a {shape} colored {colour}", "show me what a {colour} {shape} looks like",
    "make an image of a {colour} {shape}", "would you draw a {colour} {shape}?",
    "would you draw me a {colour} {shape}?", "will you draw a {colour} {shape}?",
    "would you mind drawing a {colour} {shape}?", "I'd like you to draw a {colour} {shape}",
    "I want a picture of a {colour} {shape}", "I need an image of a {colour} {shape}",
    "I need a drawing of a {colour} {shape}",
    "I was wondering if you could draw a {colour} {shape}", "how about a {colour} {shape}? draw it",
    "how about drawing a {colour} {shape}?", "let's see a {colour} {shape}",
    "let's draw a {colour} {shape}", "quick sketch of a {colour} {shape}",
    "one {colour} {shape}, please", "a {colour} {shape} please", "{colour} {shape}, draw it",
    "{colour} {shape} pls", "any chance you could draw a {colour} {shape}?",
    "would u draw a {colour} {shape} pls", "the kids want a {colour} {shape}, draw one",
    "for my kid: draw a {colour} {shape}", "draw a simple {colour} {shape}",
    "paint me a simple {colour} {shape}", "give me a picture of a {colour} {shape}",
    "give me a drawing of a {colour} {shape}",
)  # fmt: skip
DRAW_ON = (
    "draw a {colour} {shape} on a {bg} background", "paint a {colour} {shape} on {bg}",
    "draw me a {colour} {shape} with a {bg} background",
    "make a {bg} picture with a {colour} {shape} in it",
    "sketch a {colour} {shape} over a {bg} background",
    "can you draw a {colour} {shape} on a {bg} background?", "a {colour} {shape} on {bg}, please",
    "create a {colour} {shape} on a {bg} backdrop",
    "show me a {colour} {shape} on a {bg} background", "render a {colour} {shape} against {bg}",
    "draw a {colour} {shape} on {bg}", "draw me a {colour} {shape} on a {bg} background",
    "draw a {colour} {shape} against a {bg} background", "draw a {colour} {shape} over {bg}",
    "paint a {colour} {shape} on a {bg} background", "paint me a {colour} {shape} on {bg}",
    "paint a {colour} {shape} against a {bg} backdrop", "sketch a {colour} {shape} on {bg}",
    "sketch me a {colour} {shape} on a {bg} background", "make a {colour} {shape} on {bg}",
    "make a {colour} {shape} on a {bg} background", "make me a {colour} {shape} over {bg}",
    "create a {colour} {shape} on {bg}", "create an image of a {colour} {shape} on {bg}",
    "create a picture with a {colour} {shape} on a {bg} background",
    "generate a {colour} {shape} on a {bg} background", "generate a {colour} {shape} on {bg}",
    "render a {colour} {shape} on a {bg} background", "render a {colour} {shape} over {bg}",
    "show me a {colour} {shape} against {bg}", "draw a {shape} in {colour} on {bg}",
    "draw a {shape} in {colour} on a {bg} background", "paint a {shape} in {colour} on {bg}",
    "draw a {colour} {shape}, background {bg}", "draw a {colour} {shape} with a {bg} backdrop",
    "draw a {colour} {shape}, make the background {bg}",
    "draw a {colour} {shape} and make the background {bg}",
    "paint a {colour} {shape} and colour the background {bg}",
    "draw a {colour} {shape} and color the background {bg}",
    "on a {bg} background, draw a {colour} {shape}", "on {bg}, paint a {colour} {shape}",
    "a {colour} {shape} on a {bg} background please", "one {colour} {shape} on {bg}, please",
    "{colour} {shape} on {bg} pls", "{colour} {shape} on a {bg} background, draw it",
    "would you draw a {colour} {shape} on a {bg} background?",
    "would you paint me a {colour} {shape} on {bg}?", "will you draw a {colour} {shape} on {bg}?",
    "I'd like a {colour} {shape} on a {bg} background",
    "I'd like you to draw a {colour} {shape} on {bg}", "I want a {colour} {shape} on {bg}",
    "I need a picture of a {colour} {shape} on a {bg} background",
    "I was wondering if you could draw a {colour} {shape} on {bg}",
    "how about a {colour} {shape} on a {bg} background?",
    "would u draw a {colour} {shape} on {bg} pls",
    "any chance you could paint a {colour} {shape} on {bg}?",
    "let's see a {colour} {shape} on {bg}", "for my kid: draw a {colour} {shape} on {bg}",
    "give me a picture of a {colour} {shape} on a {bg} background",
    "give me a {colour} {shape} against a {bg} backdrop",
    "quick sketch of a {colour} {shape} on {bg}",
)  # fmt: skip


SIZE_WORDS: dict[str, tuple[str, ...]] = {
    "small": ("small", "little", "tiny", "smallish"),
    "big": ("big", "large", "huge", "giant", "massive"),
}  # fmt: skip


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
                       thought="Not a simple shape.", answer=answer,
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
    slots = {"colour": _word(colour, rng), "shape": shape}
    if with_bg:
        bg = rng.choice([c for c in sorted(COLOURS) if c != colour])
        template = rng.choice(held_out(DRAW_ON, split))
        slots["bg"] = _word(bg, rng)
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
    what = f"{size + ' ' if size_word else ''}{colour} {shape}"
    thought = f"Draw a {what} on {bg}." if bg else f"Draw a {what}."
    answer = fix_articles(rng.choice((f"Here is a {said}.", f"Here's a {said}.",
                                      f"Done: a {said} on a {spec.background} background.")))  # fmt: skip
    return SkillSample("draw", split, prompt, "background" if with_bg else "ok", template,
                       draw_spec=spec, thought=thought, answer=answer,
                       expected_answer_contains=(slots["colour"].split()[-1], shape))  # fmt: skip
