"""The phrasing lists: wide, well-formed, and split so that eval asks in words training knows.

The held-out split keeps whole templates out of training. That is only a fair test of a tiny
model if an eval template is a new combination of words it has seen: "google {q}" in eval with no
"google" anywhere in training measures a word it was never taught, not generalization.
"""

from __future__ import annotations

import random
import re

import pytest

from aether_core.data import phrasing
from aether_core.data.phrasing import held_out, is_command, template_slots
from aether_core.data.skills import (
    arithmetic,
    browse,
    caption,
    chat,
    clock,
    draw,
    echo,
    memory,
    search,
)

MIN_TEMPLATES = 60
MIN_FILLERS = 30


def _texts(items) -> list[str]:
    return [x[0] if isinstance(x, tuple) else x for x in items]


def intent_lists() -> dict[str, tuple[str, list]]:
    """name -> (skill, the list exactly as the generator splits it)."""
    out: dict[str, tuple[str, list]] = {
        "search": ("search", list(search.SEARCH_TEMPLATES)),
        "browse": ("browse", list(browse.BROWSE_TEMPLATES)),
        "echo": ("echo", list(echo.ECHO_TEMPLATES)),
        "arith_questions": ("arithmetic", list(arithmetic.ARITH_QUESTIONS)),
        "arith_commands": ("arithmetic", list(arithmetic.ARITH_COMMANDS)),
        "arith_verbal": ("arithmetic", list(arithmetic.ARITH_VERBAL)),
        "describe": ("caption", list(caption.DESCRIBE)),
        "ask_colour": ("caption", list(caption.ASK_COLOUR)),
        "ask_shape": ("caption", list(caption.ASK_SHAPE)),
        "ask_background": ("caption", list(caption.ASK_BACKGROUND)),
        "draw": ("draw", list(draw.DRAW)),
        "draw_on": ("draw", list(draw.DRAW_ON)),
        "store": ("memory", list(memory.STORE_TEMPLATES)),
    }
    for kind, templates in clock.TIME_LOCAL.items():
        out[f"time_local_{kind}"] = ("time", list(templates))
    for kind, templates in clock.TIME_PLACE.items():
        out[f"time_place_{kind}"] = ("time", list(templates))
    for category, (templates, _answers, _thought) in chat.SMALL_TALK.items():
        out[f"chat_{category}"] = ("chat", list(templates))
    for fact in memory.FACTS:
        out[f"recall_{fact.name}"] = ("memory", list(fact.questions))
    return out


INTENTS = intent_lists()
FILLERS = {
    "greeting": phrasing.GREETING_PREFIXES,
    "polite": phrasing.POLITE_PREFIXES,
    "suffix": phrasing.SUFFIXES,
}


def words(template: str) -> set[str]:
    """Lowercased alphabetic words of 3+ letters, slot names left out."""
    text = re.sub(r"\{\w+\}", " ", template.lower())
    return {w for w in re.findall(r"[a-z]+", text) if len(w) >= 3}


def split_pairs(name: str) -> list[tuple[list[str], list[str]]]:
    """(train, eval) template texts; the verbal arithmetic forms are checked per operator."""
    _skill, items = INTENTS[name]
    if name != "arith_verbal":
        return [(_texts(held_out(items, "train")), _texts(held_out(items, "eval")))]
    pairs = []
    for op in "+-*/":
        train = [t for t, o in held_out(items, "train") if o == op]
        ev = [t for t, o in held_out(items, "eval") if o == op]
        pairs.append((train, ev))
    return pairs


def _unseen(train: list[str], ev: list[str]) -> dict[str, list[str]]:
    known = set().union(*map(words, train))
    return {t: sorted(words(t) - known) for t in ev if words(t) - known}


@pytest.mark.parametrize("name", sorted(INTENTS))
def test_intent_lists_are_wide(name):
    assert len(INTENTS[name][1]) >= MIN_TEMPLATES, name


@pytest.mark.parametrize("name", sorted(INTENTS))
def test_eval_template_words_all_occur_in_train_templates(name):
    for train, ev in split_pairs(name):
        assert ev, name
        assert not _unseen(train, ev), (name, _unseen(train, ev))


@pytest.mark.parametrize("name", sorted(FILLERS))
def test_fillers_are_wide_and_eval_filler_words_occur_in_train_fillers(name):
    items = FILLERS[name]
    assert len(items) >= MIN_FILLERS
    train, ev = held_out(items, "train"), held_out(items, "eval")
    assert not _unseen(train, ev), _unseen(train, ev)


# words that signal an intent: each must be taught by several training templates
INTENT_KEYWORDS = {
    "search": ("google", "look up", "search", "find", "web", "online", "internet", "info",
               "results"),
    "browse": ("open", "read", "summarize", "summarise", "summary", "visit", "page", "site",
               "link", "article", "gist", "fetch", "what it says"),
    "echo": ("repeat", "echo", "say back", "parrot", "copy", "exactly", "word for word",
             "verbatim", "after me"),
    "arith_commands": ("compute", "calculate", "work out", "figure out", "solve", "evaluate"),
    "arith_questions": ("what", "how much", "equal", "calculate", "result"),
}  # fmt: skip
VERBAL_KEYWORDS = {
    "+": ("add", "plus", "sum", "total", "increase"),
    "-": ("subtract", "minus", "less", "take away", "difference", "reduce", "decrease"),
    "*": ("multiply", "multiplied", "times", "product", "lots of"),
    "/": ("divide", "divided", "split", "shared", "share", "over", "among", "between", "ways"),
}  # fmt: skip


def _count(phrase: str, templates: list[str]) -> int:
    return sum(bool(re.search(rf"\b{re.escape(phrase)}\b", t.lower())) for t in templates)


def test_intent_keywords_are_taught_by_several_train_templates():
    for name, keywords in INTENT_KEYWORDS.items():
        train = _texts(held_out(INTENTS[name][1], "train"))
        for kw in keywords:
            assert _count(kw, train) >= 3, (name, kw, _count(kw, train))
    verbal = held_out(arithmetic.ARITH_VERBAL, "train")
    for op, keywords in VERBAL_KEYWORDS.items():
        train = [t for t, o in verbal if o == op]
        for kw in keywords:
            assert _count(kw, train) >= 2, (op, kw, _count(kw, train))


# how real people type; "{...}" marks what the tool must copy
REAL_PROMPTS = (
    ("search", "google {q}"), ("search", "could you look up {q} for me"),
    ("search", "can you search online for {q}"), ("search", "pls look up {q}"),
    ("arith_questions", "whats {expr}"), ("arith_questions", "{expr}"),
    ("arith_questions", "can you calculate {expr}"), ("arith_verbal", "what's {a} times {b}"),
    ("arith_verbal", "{a} split {b} ways"), ("arith_verbal", "{a} shared between {b} people"),
    ("arith_verbal", "what's {a} less {b}"), ("arith_verbal", "{a} over {b}"),
    ("arith_verbal", "increase {a} by {b}"), ("arith_verbal", "the total of {a} and {b}"),
    ("time_place_time", "hey what time is it in {place}"), ("time_place_time", "{place} time?"),
    ("time_local_time", "what time is it now"), ("echo", "say '{text}' back to me"),
    ("echo", "echo: {text}"), ("echo", "can you repeat after me: {text}"),
    ("browse", "can u open {url} and tell me what it says"), ("browse", "summarise {url} pls"),
    ("draw", "can you draw me a {colour} {shape}"), ("ask_colour", "what color is it"),
    ("chat_greeting", "hey there"), ("chat_thanks", "thanks a lot"),
    ("chat_abilities", "what can you do for me"), ("store", "remember that {fact}"),
)  # fmt: skip


@pytest.mark.parametrize(("name", "prompt"), REAL_PROMPTS)
def test_real_user_phrasings_only_use_trained_words(name, prompt):
    train = _texts(held_out(INTENTS[name][1], "train"))
    fillers = held_out(phrasing.GREETING_PREFIXES, "train") + held_out(phrasing.SUFFIXES, "train")
    known = set().union(*map(words, train + fillers))
    assert words(prompt) <= known, (prompt, words(prompt) - known)


def _norm(template: str) -> str:
    """What realize's case and end-punctuation noise cannot tell apart."""
    return re.sub(r"[\s?.!]+$", "", template.lower())


@pytest.mark.parametrize("skill", sorted({s for s, _ in INTENTS.values()}))
def test_templates_are_distinct_within_a_skill(skill):
    """Two near-identical templates could land in different splits and leak eval prompts."""
    seen: dict[str, str] = {}
    for name, (s, items) in INTENTS.items():
        if s != skill:
            continue
        norms = [_norm(t) for t in _texts(items)]
        assert len(set(norms)) == len(norms), name
        for n in norms:
            assert n not in seen, (n, seen[n], name)
        seen.update(dict.fromkeys(norms, name))


SLOTS = {
    "search": {"q"}, "browse": {"url"}, "echo": {"text"}, "arith_questions": {"expr"},
    "arith_commands": {"expr"}, "arith_verbal": {"a", "b"}, "draw": {"colour", "shape"},
    "draw_on": {"colour", "shape", "bg"}, "store": {"fact"},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(INTENTS))
def test_templates_fill_exactly_their_slots(name):
    skill, items = INTENTS[name]
    for t in _texts(items):
        slots = template_slots(t)
        if name in SLOTS:
            assert slots == SLOTS[name], (name, t)
        elif name.startswith("time_place"):
            assert slots == {"place"}, t
        elif name.startswith("recall_"):
            kind = next(f for f in memory.FACTS if f"recall_{f.name}" == name)
            assert slots <= set(re.findall(r"\{(\w+)\}", kind.mine)), t
        else:  # local time, captions, small talk
            assert not slots, (name, t)
        assert t == t.strip() and "  " not in t and len(t) < 90, (name, t)


TOOL_WORDS = re.compile(
    r"\b(search\w*|google\w*|look\s+up|online|internet|web|browse|open|url|https?|link|page|site"
    r"|calculat\w*|compute|plus|minus|times|divided|echo|repeat|say|parrot|time|date|clock|draw"
    r"|paint|picture|image|photo|remember|forget|note|describe|colou?r|shape)\b"
)


def test_small_talk_has_no_tool_words():
    for category, (templates, _answers, _thought) in chat.SMALL_TALK.items():
        for t in templates:
            assert not TOOL_WORDS.search(t.lower()), (category, t)


def test_polite_prefixes_only_go_before_commands():
    """realize puts "could you " before imperative templates: they must start with a verb."""
    for name in ("search", "browse"):
        for t, imperative in INTENTS[name][1]:
            assert not imperative or is_command(t), (name, t)
    assert all(is_command(t) for t in arithmetic.ARITH_COMMANDS)
    assert not any(is_command(t) for t in arithmetic.ARITH_QUESTIONS)
    for t in draw.DRAW + draw.DRAW_ON:  # draw() decides by the first letter
        if t[:1] in "dpsmcgr":
            assert re.match(r"(draw|paint|sketch|show|make|create|generate|render|produce|give"
                            r"|can you|could you|picture of)\b", t), t  # fmt: skip


def test_is_command():
    assert is_command("compute {expr}") and is_command("echo: {text}")
    assert is_command("do a web search on {q}") and is_command("Say {text}")
    assert not is_command("do you know what {expr} is?") and not is_command("{a} over {b}")
    assert not is_command("do not forget that {fact}") and not is_command("what's {expr}?")


def test_every_store_template_states_a_fact_the_agent_extracts():
    """The agent stores what the model learned to acknowledge (memory.extract_fact)."""
    from aether_core.memory import extract_fact

    rng = random.Random(0)
    for kind in memory.FACTS:
        fact = memory.random_fact(rng, "train", kind).mine
        for t in memory.STORE_TEMPLATES:
            assert extract_fact(t.format(fact=fact)) == fact, (t, fact)
