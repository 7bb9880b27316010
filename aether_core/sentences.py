"""Where a sentence ends in text people write: the one rule shared by the agent's copy prior
(an answer may stop after a page's first sentence) and a search query's bounds (a query never
runs over into the next sentence)."""

from __future__ import annotations

import re

# Words a full stop follows without ending the sentence ("St. Louis", "Dr. Who").
ABBREVIATIONS = frozenset("st dr mr mrs ms mt ft jr sr vs etc approx no".split())
_WORD_BEFORE = re.compile(r"(\w+)$")


def ends_sentence(text: str, i: int) -> bool:
    """``text[i]`` is a full stop, question or exclamation mark that ends a sentence: a space
    (or the end) follows, and a full stop is not one of an abbreviation or an initial ("U.S.",
    "J. K. Rowling")."""
    if i < 0 or i >= len(text) or text[i] not in ".!?" or text[i + 1 : i + 2] not in ("", " "):
        return False
    if text[i] != ".":
        return True
    word = _WORD_BEFORE.search(text[max(0, i - 12) : i])
    return not (word and (len(word[1]) == 1 or word[1].lower() in ABBREVIATIONS))
