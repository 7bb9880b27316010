"""Whether the user's words are small talk: every word one that the training data's small talk
uses ("good night", "WHO ARE U", "tell me something silly"), and no number.

A small model sends some small talk to a search ("AWESOME JOB" → web_search("AWESOME JOB")). The
words are read from the training half of the small-talk phrasings (``data/skills/templates/
chat.toml``; the eval half only recombines them), so a question with one word of anything else
("who is the president", "good morning in french") is no small talk. A tool that small talk may
not call (``Tool.for_small_talk``) is not called for it (routing.py, ``_misrouted``).
"""

from __future__ import annotations

import functools
import re

_WORD = re.compile(r"[a-z']+")


@functools.lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    from ..data.phrasing import held_out
    from ..data.skills.base import templates

    words: set[str] = set()
    for table in templates("chat").values():
        if isinstance(table, dict) and "templates" in table:
            for phrase in held_out(table["templates"], "train"):
                words.update(_WORD.findall(phrase.lower()))
    return frozenset(words)


def is_small_talk(text: str) -> bool:
    """Every word of ``text`` is a small-talk word, and it holds a word and no digit."""
    words = _WORD.findall(text.lower())
    return bool(words) and not any(c.isdigit() for c in text) and set(words) <= vocabulary()
