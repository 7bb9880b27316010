"""Variation machinery for synthetic prompts, and the deterministic train/eval partition.

Why: a tiny model trained on a handful of fixed sentences learns the sentences, not the skill. Every
prompt is a template realized with random case, punctuation, fillers and rare typos, and every
vocabulary list is split so that the "eval" split uses templates and values that training never
shows; an eval on it then measures generalization instead of recall. Held-out templates are new
frames and combinations, not new vocabulary: every template list is ordered so that each word of
an eval template also occurs in a training template of the same list (a tiny model cannot guess
that an unseen word like "google" means search). tests/data/test_templates.py checks this.

Slots hold the content a skill must act on. ``verbatim`` slots (numbers, URLs, echo text, search
subjects) are never touched by typos or case changes, so the tool call can copy them exactly.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter
from typing import TypeVar

from . import asides

T = TypeVar("T")

HELD_OUT_EVERY = 5  # every 5th item of a list (and 1 in 5 hashed values) belongs to "eval"

_SPLIT_NAMES = {"train": "train", "eval": "eval", "val": "eval", "valid": "eval", "test": "eval"}


def norm_split(split: str) -> str:
    """ "train" or "eval"; the training loop's "val" means the held-out split."""
    try:
        return _SPLIT_NAMES[split]
    except KeyError:
        raise ValueError(f"unknown split {split!r} (use 'train' or 'eval')") from None


def held_out(items: Sequence[T], split: str, every: int = HELD_OUT_EVERY) -> list[T]:
    """Deterministic partition of a list by position: items ``every-1, 2*every-1, ...`` are eval.

    Position (not hash) keeps small lists balanced: a list of 5 always gives eval exactly one item.
    """
    ev = norm_split(split) == "eval"
    out = [x for i, x in enumerate(items) if (i % every == every - 1) == ev]
    if not out:
        raise ValueError(f"list of {len(items)} items has nothing for split {split!r}")
    return out


def value_split(value: object) -> str:
    """The split a value (a number, a URL, a name) belongs to, by a stable hash (crc32)."""
    h = zlib.crc32(str(value).encode("utf-8"))
    return "eval" if h % HELD_OUT_EVERY == 0 else "train"


# ------------------------------------------------------------------------------------ typos
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_KEY_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)]
        for _dr in (-1, 1):
            if 0 <= _r + _dr < len(_KEY_ROWS):
                other = _KEY_ROWS[_r + _dr]
                near += [other[j] for j in (_c - 1, _c) if 0 <= j < len(other)]
        _NEIGHBOURS[_ch] = "".join(near)


def typo(text: str, rng: random.Random) -> str:
    """One realistic typo on a letter of ``text``: swap, drop, double or a neighbouring key."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha() and ch.isascii()]
    if len(letters) < 3:
        return text
    i = rng.choice(letters[1:])  # leave the first letter alone: words stay recognizable
    kind = rng.random()
    if kind < 0.3 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind < 0.55:
        return text[:i] + text[i + 1 :]
    if kind < 0.75:
        return text[:i] + text[i] + text[i:]
    ch = text[i]
    near = _NEIGHBOURS.get(ch.lower())
    if not near:
        return text
    new = rng.choice(near)
    return text[:i] + (new.upper() if ch.isupper() else new) + text[i + 1 :]


# ------------------------------------------------------------------------------------ fillers
# Order matters: held_out() sends every 5th template (index 4, 9, ...) to eval. Keep those to
# frames whose words also occur in training templates of the same list: eval phrasings are new
# combinations, never new vocabulary (tests/data/test_templates.py).
GREETING_PREFIXES = (
    "hey, ", "hi, ", "ok so ", "quick question: ", "hey aether, ", "hello, ", "um, ", "so, ",
    "yo, ", "hi there, ", "aether, ", "excuse me, ", "alright, ", "hmm, ", "okay, ", "hey there, ",
    "hello there, ", "hiya, ", "oh hi, ", "hi aether, ", "hello aether, ", "good morning, ",
    "morning, ", "good evening, ", "ok, ", "okay so ", "right, ", "alright so ", "so um, ",
    "um ok, ", "quick one: ", "question: ", "one quick question: ", "sorry to bother you, ",
    "sorry, ", "excuse me aether, ", "yo aether, ", "hmm ok, ", "well, ", "oh, ", "btw, ", "also, ",
    "and ", "hey quick question, ", "hi again, ", "hello again, ", "one more question: ",
    "ok one more: ", "sorry, quick question: ", "hey so ", "right so ", "hmm so ", "oh and ",
)  # fmt: skip
POLITE_PREFIXES = (
    "please ", "could you ", "can you ", "would you ", "pls ", "could you please ",
    "can you please ", "kindly ", "i need you to ", "please, ", "plz ", "can u ", "could u ",
    "would u ", "can you pls ", "could you pls ", "would you please ", "will you ",
    "will you please ", "could you kindly ", "i want you to ", "i'd like you to ", "go ahead and ",
    "just ", "please just ", "can you just ", "could you just ", "quickly ", "can you quickly ",
    "could you quickly ", "do me a favour and ", "do me a favor and ", "i'd love it if you could ",
    "it would be great if you could ", "if you can, ", "if you could, ", "could you possibly ",
    "can u pls ", "would you kindly ", "now ", "ok now ", "please go ahead and ", "can you also ",
    "could you also ",
)  # fmt: skip
SUFFIXES = (
    " please", ", thanks", " thx", " :)", ", thank you", " pls", " thanks!", " ty",
    " please and thanks", ", cheers", " plz", ", please", " please!", " thanks", ", thx",
    " thank you", " thank you!", ", thanks a lot", " thanks a lot", ", ty", " cheers", " cheers!",
    " :D", " :-)", " ;)", ", much appreciated", " much appreciated", ", appreciate it", " asap",
    " appreciate it!", " real quick", ", if you can", " if you can", " if possible",
    ", thanks in advance", " thanks in advance", " thx!", " pls!", " please :)", " thanks :)",
    ", ok?", " ok?", " lol", " haha", ", ta", " tysm", " ta",
)  # fmt: skip

# First words that make a template a plain command, so a polite prefix ("could you ") can go in
# front of it; anything else ("can you...", "what's...", "I need...") is left as written.
COMMAND_WORDS = frozenset(
    "add answer browse calc calculate caption check combine compute copy count crunch decrease "
    "deduct describe dig divide do draw echo evaluate explain fetch figure find get give go "
    "google help identify increase jot keep label load log look make memorise memorize mirror "
    "multiply name note open paint parrot point pull punch put read record reduce remember "
    "render repeat run save say search share show simplify sketch skim solve split store "
    "subtract sum summarise summarize take tell times total try type use visit work write".split()
)
_NOT_AFTER_COMMAND = frozenset(("you", "u", "i", "we", "not"))  # "do you know...", "do not"


def is_command(template: str) -> bool:
    """Does ``template`` start with a command verb ("compute {expr}", "echo: {text}")?"""
    head = re.findall(r"[a-z]+", template.lower().split("{", 1)[0])  # the words before a slot
    if not head or head[0] not in COMMAND_WORDS:
        return False
    return len(head) < 2 or head[1] not in _NOT_AFTER_COMMAND


@dataclass
class Style:
    """Rates of each variation (per prompt). Defaults: mostly clean text, some noise."""

    typo: float = 0.12  # chance of one typo in the template's literal text (then 25%: another)
    lower: float = 0.25  # whole prompt lowercased (literals and free slots)
    upper: float = 0.03
    capitalize: float = 0.25  # first letter capitalized
    greeting: float = 0.12
    polite: float = 0.25  # only for imperative templates ("compute ...")
    suffix: float = 0.08
    punct: float = 0.35  # change of the final punctuation
    aside: float = 0.08  # training only: a context sentence before, a remark after (asides.py)


def _parse(template: str) -> list[tuple[str, str | None]]:
    """[(literal, slot name or None), ...] in order."""
    out: list[tuple[str, str | None]] = []
    for lit, name, _spec, _conv in Formatter().parse(template):
        if lit:
            out.append((lit, None))
        if name is not None:
            out.append(("", name))
    return out


def template_slots(template: str) -> set[str]:
    return {name for _, name in _parse(template) if name}


def realize(
    template: str,
    slots: dict[str, str],
    rng: random.Random,
    split: str = "train",
    *,
    verbatim: Sequence[str] = (),
    imperative: bool = False,
    style: Style | None = None,
) -> str:
    """Fill ``template`` and vary everything except the ``verbatim`` slots.

    Free slots (city names, shape words) may change case but never get typos: a typo there would
    change what the right answer is. Fillers and trailing punctuation are only added where they
    cannot be mistaken for part of a verbatim slot (never right after one at the end).
    """
    st = style or Style()
    parts = [(lit if name is None else slots[name], name) for lit, name in _parse(template)]
    # [text, kind] kind: "lit" | "free" | "verbatim"
    segs: list[list[str]] = [
        [t, "lit" if n is None else ("verbatim" if n in verbatim else "free")] for t, n in parts
    ]
    # typos in literal text only
    if rng.random() < st.typo:
        for _ in range(2 if rng.random() < 0.25 else 1):
            lits = [
                s for s in segs if s[0] and s[1] == "lit" and sum(c.isalpha() for c in s[0]) >= 3
            ]
            if lits:
                seg = rng.choice(lits)
                seg[0] = typo(seg[0], rng)
    # case
    r = rng.random()
    if r < st.lower:
        for s in segs:
            if s[1] != "verbatim":
                s[0] = s[0].lower()
    elif r < st.lower + st.upper:
        for s in segs:
            if s[1] != "verbatim":
                s[0] = s[0].upper()
    elif r < st.lower + st.upper + st.capitalize and segs and segs[0][1] != "verbatim":
        segs[0][0] = segs[0][0][:1].upper() + segs[0][0][1:]
    ends_free = bool(segs) and segs[-1][1] != "verbatim"
    # final punctuation
    if ends_free and rng.random() < st.punct:
        s = segs[-1]
        body = s[0].rstrip("?.!")
        end = s[0][len(body) :]
        if end.startswith("?"):
            s[0] = body + rng.choice(("", "", "??", " ?", "?!", "?!?"))
        elif end:
            s[0] = body + rng.choice(("", "", "!", "..."))
        elif body and body[-1].isalnum():
            s[0] = body + rng.choice((".", "!"))
    text = "".join(s[0] for s in segs)
    starts_free = bool(segs) and segs[0][1] != "verbatim"
    prefix = ""
    if imperative and rng.random() < st.polite:
        prefix = rng.choice(held_out(POLITE_PREFIXES, split))
    if rng.random() < st.greeting:
        prefix = rng.choice(held_out(GREETING_PREFIXES, split)) + prefix
    if prefix:
        if starts_free and text[:1].isupper() and not text[:2].isupper():
            text = text[0].lower() + text[1:]
        if r >= st.lower and rng.random() < 0.5:
            prefix = prefix[:1].upper() + prefix[1:]
        text = prefix + text
    if ends_free and rng.random() < st.suffix:
        text += rng.choice(held_out(SUFFIXES, split))
    if norm_split(split) == "train":  # no extra draw for the eval
        if starts_free and rng.random() < st.aside:
            text = asides.context(rng) + text
        if ends_free and rng.random() < st.aside:
            sep = " " if text[-1:] in "?!." else rng.choice((". ", ", ", " - ", "! "))
            text += sep + asides.remark(rng)
    return text


def vary_case(text: str, rng: random.Random, odd: float = 0.1) -> str:
    """A value's own spelling variant (before it is placed verbatim): lower, Title or as is."""
    r = rng.random()
    if r < 0.3:
        return text.lower()
    if r < 0.45:
        return text.title()
    if r < 0.45 + odd:
        return text.upper()
    return text


def a_or_an(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")


def fix_articles(text: str) -> str:
    """ "a orange circle" -> "an orange circle" (template text meets a vowel-initial word)."""
    return _A_BEFORE_VOWEL.sub(lambda m: m.group(1) + "n ", text)
