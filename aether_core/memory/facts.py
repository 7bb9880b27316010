"""Fact extraction: the fact in "remember that ...", "please note: ...", "... remember it"."""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"""^\s*
    (?:(?:hey|hi|hello|ok|okay|so|oh|and|also|btw|alright)\b[\s,.!:;-]*)*
    (?:aether\b[\s,.!:;-]*)?
    (?P<polite>(?:please|pls|kindly)\s+|(?:can|could|would|will)\s+you\s+(?:please\s+)?)?
    (?:
        (?P<remember>remember|memori[sz]e|keep\s+in\s+mind|(?:don'?t|do\s+not|never)\s+forget)
        (?:\s+(?:this|the\s+following))?(?:\s+for\s+later)?
        (?:\s*[:,\u2013\u2014-]\s*|\s+)(?:that\b\s*)?
      |
        (?P<note>(?:make\s+a\s+|take\s+)?note(?:\s+down)?|(?:write|jot)\s+(?:this\s+)?down
            |save|store|record|log)
        (?:\s+(?:this|the\s+following|this\s+fact|this\s+for\s+later))?
        (?:\s*[:,\u2013\u2014-]\s*|\s+that\b\s*)
      |
        (?P<declare>for\s+the\s+record|fyi|just\s+so\s+you\s+know|good\s+to\s+know(?:\s+for\s+later)?
            |(?:a|one|some)\s+(?:fact|thing)\s+about\s+me|(?:i\s+want|i'?d\s+like)\s+you\s+to\s+(?:remember|know)
            |remember\s+this\s+for\s+later|for\s+later)
        (?:\s*[:,\u2013\u2014-]\s*|\s+that\b\s*|\s+)
    )
    (?P<fact>.+)$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_SUFFIX = re.compile(  # "<fact>. remember that", "<fact>, remember it", "<fact> - please remember"
    r"""^\s*(?P<fact>[^?]+?)[\s,.;:!\u2013\u2014-]+(?P<remember>(?P<polite>please\s+)?
        (?:remember|memori[sz]e|don'?t\s+forget|keep\s+(?:it|that|this)\s+in\s+mind|note\s+(?:it|that|this)
        |make\s+a\s+note(?:\s+of\s+(?:it|that|this))?)(?:\s+(?:it|that|this))?)
        (?:[\s,]+(?:please|thanks|thank\s+you|ok))*[\s.!]*$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
_NOT_A_FACT = re.compile(
    r"(?:to|when|how|what|why|where|who|whom|which|if|whether|the\s+time)\b", re.IGNORECASE
)
_TRAILING = re.compile(
    r"(?:[\s,;:]*\b(?:please|pls|thanks|thank\s+you|thx|ok|okay)\b)*[\s.!?,;:\u2026]*$",
    re.IGNORECASE,
)
_ABBREV = re.compile(
    r"(?:\b(?:mr|mrs|ms|dr|st|jr|sr|vs|etc|prof|mt|no|e\.g|i\.e)|\b[A-Z])\.$", re.I
)
_LOWER_FIRST = frozenset(
    "my our the a an his her their its it we they there this that these those some".split()
)
MAX_FACT_CHARS = 500


def _first_sentence(text: str) -> str:
    text = text.split("\n", 1)[0]
    for m in re.finditer(r"[.!?](?=\s+\S)", text):
        if not _ABBREV.search(text[: m.end()]):
            return text[: m.end()]  # with its end mark: "?" tells a question
    return text


def extract_fact(user_text: str) -> str | None:
    """The fact in "remember that ...", "please remember: ...", "don't forget that ...",
    "note that ..."; None when the message is not such a request.

    The fact is the first sentence after the request, trimmed of "please"/"thanks" and end
    punctuation, with a leading "My"/"The"... lower-cased ("my sister lives in Lyon"); the
    user's own first-person wording ("I", "my") is kept as is. "Remember to ..." (a reminder)
    and "remember when/what ..." (a question) are not facts.
    """
    if not user_text:
        return None
    text = user_text.replace("\u2019", "'").replace("\u2018", "'").strip()
    m = _PREFIX.match(text)
    if not m:
        m = _SUFFIX.match(text)
        if not m:
            return None
    fact = m.group("fact").strip()
    if m.group("remember") and _NOT_A_FACT.match(fact):
        return None
    fact = _first_sentence(fact).strip()
    if fact.endswith("?") and not m.group("polite"):
        return None  # "remember that time we ...?" is a question
    fact = fact.strip("\"'\u201c\u201d ")
    fact = _TRAILING.sub("", fact).strip().strip("\"'\u201c\u201d ")
    if len(fact.split()) < 2:
        return None
    first = fact.split(maxsplit=1)[0]
    if first.lower() in _LOWER_FIRST and not first.isupper():
        fact = first.lower() + fact[len(first) :]
    if len(fact) > MAX_FACT_CHARS:
        fact = fact[:MAX_FACT_CHARS].rsplit(" ", 1)[0]
    return fact
