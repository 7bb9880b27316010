"""Questions people ask a search engine: who/what/when/where/which/how, weather, news, how-to and
opinions. They go to ``web_search`` with the question itself as the query (what the user wrote,
without the words around it: greetings, "do you know", "I'm planning a trip, ", "thanks"), and
the answer quotes the top result.

Why the whole question: a search engine answers "who wrote Dracula" better than "Dracula", and
a tiny model learns one rule ("the question, from its wh-word to its question mark") more easily
than a subject parser. Fillers come from ``corpora`` (tens of thousands of people, titles,
cities, countries, companies) and the lexicon's lists, so the query is copied, not recognized.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from . import asides, corpora
from . import lexicon as lx
from .phrasing import held_out, typo

Filler = Callable[[random.Random, str], str]


def _corpus(name: str) -> Filler:
    return lambda rng, split: corpora.pick(name, rng, split)


def _lexicon(name: str) -> Filler:
    def fill(rng: random.Random, split: str) -> str:
        extra = lx.TRAIN_FILLERS.get(name, ())
        if split == "train" and extra and rng.random() < 0.5:
            return rng.choice(extra)
        return rng.choice(held_out(getattr(lx, name), split))

    return fill


def _city(rng: random.Random, split: str) -> str:
    return corpora.pick("cities", rng, split)[0]


def _how_to(rng: random.Random, split: str) -> str:
    verb, source = rng.choice(HOW_TO_VERBS)
    return f"{verb} {FILLERS[source](rng, split)}"


FILLERS: dict[str, Filler] = {
    "person": _corpus("people"),
    "title": _corpus("titles"),
    "company": _corpus("companies"),
    "job": _corpus("jobs"),
    "word": _corpus("words"),
    "country": _corpus("countries"),
    "city": _city,
    "landmark": _lexicon("LANDMARKS"),
    "topic": _lexicon("TOPICS"),
    "food": _lexicon("FOODS"),
    "animal": _lexicon("ANIMALS"),
    "tech": _lexicon("TECH"),
    "object": _lexicon("OBJECTS"),
    "illness": _lexicon("ILLNESSES"),
    "language": _lexicon("LANGUAGES"),
    "sport": _lexicon("SPORTS"),
}
# "how do I {task}": a verb and what it acts on
HOW_TO_VERBS = (
    ("make", "food"), ("fix a", "object"), ("learn", "language"), ("get into", "sport"),
    ("cook", "food"), ("treat", "illness"), ("become a", "job"), ("learn", "tech"),
    ("get better at", "sport"), ("repair a", "object"), ("bake", "food"), ("use", "tech"),
    ("explain", "topic"), ("draw a", "animal"), ("prevent", "illness"),
)  # fmt: skip

# (question with {x} (and {y}), filler of x). Order matters: held_out() sends every 5th to eval.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("who is {x}", "person"), ("who wrote {x}", "title"), ("what is the capital of {x}", "country"),
    ("how tall is {x}", "landmark"), ("what's the weather like in {x} today", "city"),
    ("when was {x} born", "person"), ("who directed {x}", "title"),
    ("what currency does {x} use", "country"), ("how old is {x}", "landmark"),
    ("where is {x}", "city"), ("what is {x} famous for", "person"),
    ("when did {x} come out", "title"), ("what language do they speak in {x}", "country"),
    ("how do I {x}", "how_to"), ("which country is {x} in", "city"),
    ("where was {x} born", "person"), ("what is {x} about", "title"),
    ("who is the president of {x}", "country"), ("what does {x} mean", "word"),
    ("what's the population of {x}", "city"), ("how old is {x}", "person"),
    ("who sang {x}", "title"), ("how many people live in {x}", "country"),
    ("how does {x} work", "topic"), ("will it rain in {x} tomorrow", "city"),
    ("who founded {x}", "company"), ("when was {x} published", "title"),
    ("what's the national dish of {x}", "country"), ("what do {x}s eat", "animal"),
    ("what is {x} known for", "city"), ("what does {x} do", "company"),
    ("who stars in {x}", "title"), ("do I need a visa for {x}", "country"),
    ("how much does a {x} earn", "job"), ("what's the weather in {x} this weekend", "city"),
    ("what's the latest news about {x}", "company"), ("is {x} worth reading", "title"),
    ("which continent is {x} in", "country"), ("what are the symptoms of {x}", "illness"),
    ("what is there to do in {x}", "city"), ("what happened to {x}", "person"),
    ("where is {x} based", "company"), ("what's the best way to learn {x}", "language"),
    ("how long do {x}s live", "animal"), ("is {x} safe for tourists", "city"),
    ("who owns {x}", "company"), ("what is the meaning of {x}", "word"),
    ("how do you play {x}", "sport"), ("when was {x} built", "landmark"),
    ("what's the best time to visit {x}", "city"), ("is {x} still alive", "person"),
    ("how long is {x}", "title"), ("what's the news in {x} today", "country"),
    ("what is {x}", "topic"), ("how far is {x} from {y}", "city"),
    ("when was {x} founded", "company"), ("who invented {x}", "topic"),
    ("what does a {x} do", "job"), ("which is better, {x} or {y}", "tech"),
    ("what's the time difference between {x} and {y}", "city"), ("who is {x} married to", "person"),
    ("what's a good book like {x}", "title"), ("what's the climate like in {x}", "country"),
    ("how do I get to {x}", "landmark"), ("is {x} a good company to work for", "company"),
    ("why is {x} important", "topic"), ("what's the opposite of {x}", "word"),
    ("should I learn {x} or {y}", "language"), ("what's the forecast for {x}", "city"),
    ("what are the rules of {x}", "sport"), ("is {x} healthy", "food"),
    ("what's the history of {x}", "topic"), ("how much does it cost to visit {x}", "landmark"),
    ("what's the latest on {x}", "person"), ("how do you make {x}", "food"),
    ("what's another word for {x}", "word"), ("is it cold in {x} right now", "city"),
    ("what is the biggest city in {x}", "country"), ("where can I watch {x}", "title"),
    ("what's the best {x} to learn first", "tech"), ("how many {x}s are left in the wild", "animal"),
)  # fmt: skip

# What people put around a question; the query leaves all of it out.
ASKERS = (
    "do you know ", "any idea ", "can you tell me ", "I wonder ", "tell me ", "I was wondering ",
    "could you find out ", "look up ", "search ", "google ", "find out ",
    "do you happen to know ", "can you look up ", "I'd like to know ", "please tell me ",
    "quick question: ", "can you check ", "help me find out ", "I need to know ",
    "could you google ", "what does the web say: ", "search the web: ", "look this up: ",
    "do you have any idea ", "find out for me ",
)  # fmt: skip
CONTEXTS = (
    "I'm writing an essay. ", "my daughter asked me this: ", "settle an argument: ",
    "random question, ", "I've always wondered: ", "for a pub quiz, ", "I'm planning a trip. ",
    "just curious, ", "my friend and I can't agree: ", "before I forget, ", "for my homework: ",
    "I'm going there next week. ", "we were talking about this at dinner: ", "out of interest, ",
    "I keep forgetting this one: ", "this came up at work. ", "my son wants to know ",
    "I read about it yesterday. ", "trivia time: ", "I saw it on tv. ",
)  # fmt: skip
TRAILERS = (
    "??", " ?", "? thanks", "? thx", "? I need it for a quiz", "? just curious", " pls",
    "? please", ", any idea?", "? asking for a friend", "! thanks", "? cheers", " please?", "? ty",
    "? no rush", ", thanks!", "? :)", "?? lol", "? quick answer", " thanks", "...?",
    "? need to know", "? tia", ", please", "? google it",
)  # fmt: skip
CONTEXT_RATE = 0.3
ASKER_RATE = 0.45
TRAILER_RATE = 0.3  # else a plain "?" (or nothing)
TYPO_RATE = 0.1
# Training askers, contexts and trailers composed from parts (data/asides.py) half the time,
# beside the lists above; none of them is one of the lists' held-out items.
COMPOSED_FRAME_RATE = 0.5
_ASKER_LEADS = ("can you ", "could you ", "please ", "", "would you ", "pls ", "hey, can you ")
_ASKER_VERBS = ("look up ", "find out ", "check ", "search ", "figure out ", "dig up ", "find ")
_ASKER_TAILS = ("", "", "for me ", "online ", "on the web ", "quickly ")


_FRAME_PARTS = {"asker": ASKERS, "context": CONTEXTS, "trailer": TRAILERS}
_HELD_FRAME_PARTS = {
    kind: frozenset(held_out(items, "eval")) for kind, items in _FRAME_PARTS.items()
}


def _composed(kind: str, rng: random.Random) -> str:
    """A training asker, context or trailer made of parts; never one the eval keeps."""
    while True:
        if kind == "asker":
            out = "".join(rng.choice(p) for p in (_ASKER_LEADS, _ASKER_VERBS, _ASKER_TAILS))
        else:
            out = asides.context(rng) if kind == "context" else "? " + asides.remark(rng)
        if out not in _HELD_FRAME_PARTS[kind]:
            return out


def _frame_part(kind: str, rng: random.Random, split: str) -> str:
    """One of the split's askers, contexts or trailers (``kind``), or in training often a
    composed one (no extra draw for the eval)."""
    if split == "train" and rng.random() < COMPOSED_FRAME_RATE:
        return _composed(kind, rng)
    return rng.choice(held_out(_FRAME_PARTS[kind], split))


def _fill(source: str, rng: random.Random, split: str) -> str:
    if source == "how_to":
        return _how_to(rng, split)
    return FILLERS[source](rng, split)


def _case(question: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return question.lower()
    if r < 0.75:
        return question[:1].upper() + question[1:]
    return question


def knowledge_question(rng: random.Random, split: str) -> tuple[str, str, str, str]:
    """(prompt, query, subject, template): the query is the question as the user typed it (case,
    typos and all); the subject ({x}) is what the results are about."""
    template, source = rng.choice(held_out(QUESTIONS, split))
    frame = template
    if rng.random() < TYPO_RATE:  # a typo in the frame's words, never in the name
        head, sep, rest = frame.partition("{x}")
        frame = typo(head, rng) + sep + rest if len(head) > 4 else frame
    x = _fill(source, rng, split)
    y = _fill(source, rng, split) if "{y}" in frame else ""
    question = _case(frame.format(x=x, y=y), rng)
    asker = _frame_part("asker", rng, split) if rng.random() < ASKER_RATE else ""
    context = _frame_part("context", rng, split) if rng.random() < CONTEXT_RATE else ""
    if (asker or context) and rng.random() < 0.85 and not question[:2].isupper():
        question = question[:1].lower() + question[1:]  # the question goes on a sentence
    if asker and not context and rng.random() < 0.5:
        asker = asker[:1].upper() + asker[1:]
    if rng.random() < TRAILER_RATE:
        trailer = _frame_part("trailer", rng, split)
    else:
        trailer = "?" if rng.random() < 0.75 else ""
    prompt = f"{context}{asker}{question}{trailer}"
    return prompt, question, x, template
