"""An answer about the picture the user shows, held to what the vision head reads in it.

On shapes pictures whose (shape, colour, background) it never saw in training, the byte model
names a wrong shape or a neighbouring colour about one time in ten ("a yellow circle" for a
yellow square), while its own ViT tells them apart (model/vision_head.py). So where a step
answers about a shapes picture (one of ``dialogue.SHAPE_THOUGHTS``; a description must name a
shape, which a photograph's does not), its shape and colour words are read; at the first one the
head reads otherwise, sure of it, the answer is written again up to that word, as the head reads
it, and the model goes on from there (agent.py, ``_step``). Where the head is not sure, the
model's word stands.

A question that asks for the shape and its colour together ("what shape and colour is this?")
gets a description, not one of the two.
"""

from __future__ import annotations

import re

from .. import dialogue
from ..data.shapes import COLOURS
from ..model.vision_head import Sight
from .drawing import SAID_AS, SHAPE_OF, WORD, is_background

MAX_HELD_ANSWER = 160  # bytes: an answer is held no further (each hold decodes it again)
_ARTICLE = re.compile(r"\b([Aa]n?) $")  # the article a corrected word follows
_BOTH = re.compile(r"\b(shape|colou?r)s?\s*(?:and|&|n|plus|or)\s*(?:what\s+)?(shape|colou?r)s?\b")


def held_caption(thought: str, answer: str, sight: Sight | None) -> str | None:
    """``answer`` written again up to its first shape or colour word that ``sight`` reads
    otherwise, that word as read ("It's a yellow square" for "It's a yellow circle on an orange
    background."), or None where it agrees, or the step is no answer about a shapes picture."""
    text = answer.lower()
    if sight is None or thought not in dialogue.SHAPE_THOUGHTS or len(text) != len(answer):
        return None
    spans = [(m.start(), SAID_AS.get(m.group(), m.group())) for m in WORD.finditer(text)]
    words = [w for _, w in spans]
    if thought == dialogue.THOUGHT_DESCRIBE and not any(w in SHAPE_OF for w in words):
        return None  # a photograph's description ("a black cat on a sofa")
    for i, (at, word) in enumerate(spans):
        if word in SHAPE_OF:
            want, plural = sight.shape, word != SHAPE_OF[word]
            word = SHAPE_OF[word]
        elif word in COLOURS:
            want = sight.background if is_background(words, i) else sight.colour
            plural = False
        else:
            continue
        if want is None or want == word:
            continue
        said = want + "s" * plural
        said = said.capitalize() if answer[at].isupper() else said
        before = _ARTICLE.search(answer[:at])
        if before is None:
            return answer[:at] + said
        return f"{answer[: before.start()]}{_article(before[1], said)} {said}"
    return None


def _article(was: str, word: str) -> str:
    """ "a" or "an" before ``word``, capitalised as ``was`` is."""
    new = "an" if word[:1].lower() in "aeiou" else "a"
    return new.capitalize() if was[:1].isupper() else new


def asked_thought(thought: str, question: str) -> str | None:
    """``dialogue.THOUGHT_DESCRIBE`` where ``question`` asks for the shape and its colour
    together and ``thought`` would check only one of them; else None."""
    if thought not in (dialogue.THOUGHT_COLOUR, dialogue.THOUGHT_SHAPE):
        return None
    both = any(m[1][:4] != m[2][:4] for m in _BOTH.finditer(question.lower()))
    return dialogue.THOUGHT_DESCRIBE if both else None
