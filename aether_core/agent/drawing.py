"""What a drawing request asks for, read from the user's words, and the step's thought held to it.

A drawing step's thought says what is drawn ("Draw a big pink square on black."), and the
picture's codes follow it. A small model mixes up the request's two colours ("Draw a black
background." for "a pink square over a black background") or writes a colour nobody asked for
("Draw a big pink square." for "large white square"); the picture then shows that. The words
of a drawing request are few and plain (a colour word, a shape word, where the background is
named), so they are read here, and a thought that disagrees with them is written again before
the picture is drawn (agent.py, ``_step``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import dialogue
from ..data.shapes import COLOURS, SHAPES
from ..data.skills.draw import SIZE_WORDS

SAID_AS = {"grey": "gray"}  # how people write a colour
SHAPE_OF = {**{s: s for s in SHAPES}, **{f"{s}s": s for s in SHAPES}}
_SIZE_OF = {w: size for size, words in SIZE_WORDS.items() for w in words}
_BACKGROUND = frozenset("background backdrop bg backround".split())
_ON = frozenset("on over against onto".split())  # "… on (a) blue": a background follows
_ARTICLES = frozenset("a an the".split())
WORD = re.compile(r"[a-z]+")
_THOUGHT = re.compile(
    rf"^Draw an? (?:(?P<size>{'|'.join(SIZE_WORDS)}) )?(?P<colour>\w+) (?P<shape>\w+)"
    r"(?: on (?P<bg>\w+))?\.$"
)


@dataclass(frozen=True)
class DrawRequest:
    """What the user's words ask to be drawn; None where they do not say."""

    shape: str
    colour: str | None = None
    background: str | None = None
    size: str | None = None
    said: frozenset[str] = frozenset()  # every colour the words name


def read_request(text: str) -> DrawRequest | None:
    """The drawing ``text`` asks for: its one shape, the colour said next to it ("a pink
    square", "a square in pink") and the one said as the background ("on a black background",
    "against black", "make the background black"); None where it names no shape, or more than
    one."""
    words = [SAID_AS.get(w, w) for w in WORD.findall(text.lower())]
    shapes = {(i, SHAPE_OF[w]) for i, w in enumerate(words) if w in SHAPE_OF}
    if len({s for _, s in shapes}) != 1:
        return None
    at, shape = min(shapes)
    colours = [(i, w) for i, w in enumerate(words) if w in COLOURS]
    backgrounds = [(i, c) for i, c in colours if is_background(words, i)]
    rest = [(i, c) for i, c in colours if (i, c) not in backgrounds]
    near = min(rest, key=lambda ic: abs(ic[0] - at), default=None)
    size = next((_SIZE_OF[w] for w in words if w in _SIZE_OF), None)
    return DrawRequest(
        shape,
        near[1] if near else None,
        backgrounds[0][1] if len({c for _, c in backgrounds}) == 1 else None,
        size,
        frozenset(c for _, c in colours),
    )


def is_background(words: list[str], i: int) -> bool:
    """The colour at ``i`` names the background: "blue background", "on (a) blue", "the
    background blue", "the background is blue", "a blue picture with…"."""
    after = words[i + 1] if i + 1 < len(words) else ""
    before = [w for w in words[max(0, i - 3) : i] if w not in _ARTICLES]
    return (
        after in _BACKGROUND
        or after == "picture"
        or (bool(before) and (before[-1] in _ON or before[-1] in _BACKGROUND))
        or (len(before) > 1 and before[-2] in _BACKGROUND and before[-1] == "is")
    )


def held_thought(thought: str, request: DrawRequest | None) -> str | None:
    """The thought to draw with where ``thought`` (a drawing step's) disagrees with
    ``request``, else None: its shape, colour, background and size as the user said them, or
    as the thought says them where the user's words do not (a colour or background only if
    the words name it: "a circle on blue" leaves the circle's colour to the model). Whether a
    background is drawn at all stays the thought's: told to draw one it had left out, the
    model drew no shape on it as often as not."""
    if request is None or not thought.startswith(dialogue.DRAW):
        return None
    match = _THOUGHT.match(thought)
    said = match.groupdict() if match else {}
    size = request.size or said.get("size")
    colour = request.colour or (c if (c := said.get("colour")) in request.said else None)
    if colour is None:
        return None  # nothing to draw it in: leave the model's thought
    background = None
    if (bg := said.get("bg")) is not None:
        background = request.background or (bg if bg in request.said and bg != colour else None)
    held = dialogue.draw_thought(request.shape, colour, background, size)
    return None if held == thought else held
