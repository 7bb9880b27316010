"""Where a search query sits in a message: the words around it are addressed to the assistant
("can you google", "for me", "pls"), the query is what a search engine should read.

The agent picks the query as a whole span of the user's words, by the model's likelihood
(agent/constrain.py, ``choices``); ``fits`` says which spans can be a query at all, so that a
small model choosing among them never sends "company to work for" for "is Hill-Harris a good
company to work for? google it", "THE SILK ROAD for me" or "Web search capybara facts". It only
bounds the choice: the whole clause is always a candidate, and within the bounds the model
decides (a subject after "look up", or the whole question after "do you know").

A query
- starts where a clause starts (the message's start, after punctuation or a joining word),
  after a word that asks for a search ("google", "look up", "about", "for"), or at a question
  word ("who", "is", "what's"), and never with a word addressed to the assistant;
- ends where its clause ends, or before words that trail a request ("for me", "online",
  "thanks"), and never with one of those;
- does not run across a sentence or a colon ("I've always wondered: who…"; a title's "2001:
  a space odyssey" is one), nor into a new clause addressed to the assistant
  ("I forget, tell me where is Rancharia"), and does not hold the request itself ("what can
  you find online about X").
"""

from __future__ import annotations

import re

from aether_core.sentences import ends_sentence

# A query may start right after these words: they ask for a search of what follows.
_ASKING = frozenset("google googling search searching look lookup find up for about on me".split())
# ... or at a question word, whatever precedes it ("do you know who wrote Dracula").
_QUESTION = frozenset(
    "who whom whose what which when where why how is are was were do does did can could "
    "should would will has have what's whats who's where's how's when's".split()
)
# ... or after one of these: a new request or clause begins.
_JOINING = frozenset("and then also plus but so or".split())
# Never a query's first word (or first two words): they speak to the assistant.
_NOT_FIRST = frozenset(
    "please pls plz kindly ok okay hey hi google googling search searching web lookup look "
    "find tell show me you u up about online".split()
)
_NOT_FIRST_PAIRS = frozenset({"can you", "could you", "would you", "will you", "can u", "could u"})
# Nowhere in a query: the assistant asked to search ("what can you find online about X").
_ASKED = re.compile(r"\b(?:you|u) (?:google|googling|search|searching|look|lookup|find|check)\b")
# Words that trail a request: a query never ends with them (ONLINE, POLITE), and may end
# before any of these (SOFT too, which may also end a query: "apocalypse now").
_POLITE = ("please", "pls", "plz", "thanks", "thank you", "thx", "ty", "tia", "cheers", "asap")
_ONLINE = (
    "online", "on the internet", "on the web", "on the net", "on google", "from the web",
    "from the internet", "for me",
)  # fmt: skip
_SOFT = ("up", "now", "right now", "quickly", "real quick", "if you can", "lol")
_NOT_LAST = re.compile(r"(?:^|\s)(?:" + "|".join(_POLITE + _ONLINE) + r")$", re.I)
_TRAILING = re.compile(r"\s*(?:" + "|".join(_POLITE + _ONLINE + _SOFT) + r")\b", re.I)
# punctuation that ends a clause before a query, or after one ("Hill-Harris", "what's": no)
_OPENED = re.compile(r"(?:[.,;:!?(]|(?:^|\s)[-'\"])\s*$")
_CLOSED = re.compile(r"\s*(?:$|[.,;:!?)]|[-'\"](?:\s|$))")
_WORD = re.compile(r"[\w']+")
_PRONOUNS = frozenset("it this that them up".split())  # "look it up": no subject of its own


def fits(before: str, phrase: str, after: str) -> bool:
    """Whether ``phrase``, with ``before`` and ``after`` it in the same message, can be the
    query (see the module's docstring)."""
    words = _WORD.findall(phrase.lower())
    if not words or set(words) <= _PRONOUNS or not _starts(before, words[0]):
        return False
    if words[0] in _NOT_FIRST or " ".join(words[:2]) in _NOT_FIRST_PAIRS:
        return False
    if (
        _NOT_LAST.search(phrase.rstrip(" .,;:"))
        or _ASKED.search(phrase.lower())
        or not _ends(after)
    ):
        return False
    if after.startswith(".") and not ends_sentence(phrase + after[:2], len(phrase)):
        return False  # "St" of "St. Louis"
    return not any(_crosses(phrase, m.end()) for m in re.finditer(r"[.,;:] +", phrase))


def _starts(before: str, first: str) -> bool:
    last = _WORD.findall(before.lower()[-40:])
    if not before.strip() or first in _QUESTION:
        return True
    if _OPENED.search(before):
        head = before.rstrip()
        return not head.endswith(".") or ends_sentence(head, len(head) - 1)
    return bool(last) and (_asks(last[-1]) or last[-1] in _JOINING)


def _asks(word: str) -> bool:
    """``word`` asks for a search, typed right or one letter off ("abkut" for "about")."""
    return word in _ASKING or (len(word) >= 4 and any(_one_off(word, a) for a in _ASKING))


def _one_off(a: str, b: str) -> bool:
    """``a`` and ``b`` are one edit apart (a letter changed, added or dropped)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def _ends(after: str) -> bool:
    rest = after
    while m := _TRAILING.match(rest):
        rest = rest[m.end() :]
    if _CLOSED.match(rest):
        return True
    word = _WORD.match(rest.lstrip().lower())
    return word is not None and word[0] in _JOINING


def _crosses(phrase: str, at: int) -> bool:
    """The punctuation ending at ``at`` in ``phrase`` starts a sentence, or a clause that speaks
    to the assistant: the phrase would run over into it."""
    head = phrase[:at].rstrip()
    if head[-1] == ";" or (head[-1] == "." and ends_sentence(phrase, len(head) - 1)):
        return True
    if head[-1] == ":" and not head[:-1].rstrip()[-1:].isdigit():  # "2001: a space odyssey"
        return True
    words = _WORD.findall(phrase[at:].lower())
    return bool(words) and (words[0] in _NOT_FIRST or " ".join(words[:2]) in _NOT_FIRST_PAIRS)
