"""What people say around a request, composed from parts: a sentence of context before it ("I'm
cooking dinner.", "My mum asked me this:") and a remark after it ("I need it for my homework",
"my boss wants to know"). For the training split only: taught a fixed twenty-odd remarks, the
model took an unseen one ("Is Green Bay safe for tourists? asking for a friend") for the
request and searched "tourists". Every skill's training prompts get them (``phrasing.realize``,
``questions.knowledge_question``), so that a remark says nothing about which tool to use.
"""

from __future__ import annotations

import random

PURPOSES = (
    "my homework", "work", "a presentation", "an essay", "school", "a bet", "my blog", "a class",
    "a meeting", "trivia night", "my thesis", "a crossword", "my kids", "a podcast", "an exam",
    "a report", "tomorrow", "a speech", "my book club", "a debate",
)  # fmt: skip
PEOPLE = (
    "my mum", "my dad", "my boss", "a colleague", "my sister", "my brother", "my teacher",
    "my neighbour", "my partner", "my grandma", "a client", "my roommate", "my son", "my wife",
    "my husband", "my coworker", "my uncle", "my best mate", "our guide", "the kids",
)  # fmt: skip
DOINGS = (
    "cooking dinner", "studying for an exam", "reading the news", "watching a documentary",
    "planning a holiday", "doing a crossword", "writing a report", "on a road trip",
    "at the library", "painting the kitchen", "stuck on a train", "making a quiz",
    "sorting old photos", "on my lunch break", "chatting with friends", "at a museum",
)  # fmt: skip
REMARKS = (
    "I need it for {p}", "it's for {p}", "asking for {w}", "{w} wants to know", "{w} asked me",
    "settling a bet with {w}", "for {p}", "{w} says otherwise", "I told {w} I'd find out",
    "need it for {p} tomorrow", "I'm {d}", "just wondering", "no idea myself",
    "it came up while I was {d}", "short answer is fine",
)  # fmt: skip
CONTEXTS = (
    "I'm {d}. ", "{W} asked me this: ", "we're {d}. ", "I was {d} earlier. ", "this is for {p}: ",
    "{W} and I disagree: ", "I'm {d} and wondered: ", "quick one for {p}, ", "{W} wants to know. ",
)  # fmt: skip


def _fill(frame: str, rng: random.Random) -> str:
    who = rng.choice(PEOPLE)
    return frame.format(
        p=rng.choice(PURPOSES), w=who, W=who[:1].upper() + who[1:], d=rng.choice(DOINGS)
    )


def remark(rng: random.Random) -> str:
    """A remark after a request, without its leading punctuation: "my boss wants to know"."""
    return _fill(rng.choice(REMARKS), rng)


def context(rng: random.Random) -> str:
    """A sentence of context before a request, with its trailing separator: "I'm cooking
    dinner. "."""
    return _fill(rng.choice(CONTEXTS), rng)
