"""Where a tool's argument sits in a message: the words around it are addressed to the
assistant ("can you google", "tell me", "for me", "pls"); the argument is what the tool reads
(a search query, a place for the clock).

The agent picks such an argument as a whole span of the user's words, by the model's
likelihood (agent/constrain.py, ``choices``); a ``Bounds`` says which spans can be it at all, so
that a small model choosing among them never sends "company to work for" for "is Hill-Harris a
good company to work for? google it", "THE SILK ROAD for me" or the place "Tell me beijing". It
only bounds the choice: within the bounds the model decides (a subject after "look up", or the
whole question after "do you know").

A phrase
- starts where a clause starts (the message's start, after punctuation or a joining word),
  after a word that asks for it ("google", "look up", "in"), or at a question word where the
  argument may be a question ("who", "is", "what's"); never with a word addressed to the
  assistant;
- ends where its clause ends, or before words that trail a request ("for me", "right now",
  "thanks"), and never with one of those;
- does not run across a sentence or a colon ("I've always wondered: who…"; a title's "2001:
  a space odyssey" is one, neither starting nor ending at its colon), nor into a new clause
  addressed to the assistant ("I forget, tell me where is Rancharia"), and does not hold the
  request itself ("what can you find online about X");
- keeps the news asked for ("latest news about X", not "X").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aether_core.sentences import ends_sentence

_OF = frozenset("about on of".split())  # what a kept word is of ("search the news for X": X)
_JOINING = frozenset("and then also but so or".split())  # a new request or clause begins
# punctuation that ends a clause before a phrase, or after one ("Hill-Harris", "what's": no)
# a colon after a number: the middle of a title ("2001: a space odyssey"), unless the number
# follows a word that labels what comes next ("question 3: who wrote Dracula?")
_NUMBER_COLON = re.compile(r"(?:(\S+)\s*)?#?\d+:$")
_LABELS = frozenset("question q no number step part item problem task exercise".split())


def _in_title(head: str) -> bool:
    """``head`` ends in a colon after a number that labels nothing (``_NUMBER_COLON``)."""
    title = _NUMBER_COLON.search(head)
    return title is not None and (title[1] or "").lower() not in _LABELS


_OPENED = re.compile(r"(?:[.,;:!?(]|(?:^|\s)[-'\"])\s*$")
_CLOSED = re.compile(r"\s*(?:$|[.,;:!?)]|[-'\"](?:\s|$))")
_WORD = re.compile(r"[\w']+")
_HALF_BETWEEN = re.compile(r"\bbetween\b(?!.*\band\b)", re.I)  # "between" awaiting its "and"
_AND = re.compile(r"\s*and\b", re.I)
_PRONOUNS = frozenset("it this that them up".split())  # "look it up": no subject of its own
_POLITE = ("please", "pls", "plz", "thanks", "thank you", "thx", "ty", "tia", "cheers", "asap")
_TO_YOU = frozenset("please pls plz kindly ok okay hey hi tell show me you u".split())
_TO_YOU_PAIRS = frozenset({"can you", "could you", "would you", "will you", "can u", "could u"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _alternatives(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in phrases)


@dataclass(frozen=True)
class Bounds:
    """Where one kind of argument starts and ends in a message (the module's docstring)."""

    asking: frozenset[str]  # it may start right after these words
    not_first: frozenset[str]  # never its first word (besides the words to the assistant)
    trailing: tuple[str, ...]  # it never ends with these, and may end before them
    soft: tuple[str, ...] = ()  # it may end before these, or with them ("apocalypse now")
    question: frozenset[str] = frozenset()  # it may start at these, whatever precedes them
    asked: re.Pattern[str] | None = None  # nowhere in it: the request itself
    remark: re.Pattern[str] | None = None  # never how it starts: why the user asks
    # words that stay in it: it never starts right after one and its preposition ("latest news
    # about X" is searched whole: the news is what is asked for)
    kept: frozenset[str] = frozenset()
    _not_last: re.Pattern[str] = field(init=False, repr=False)
    _trail: re.Pattern[str] = field(init=False, repr=False)
    _pairs: tuple[str, ...] = field(init=False, repr=False)  # the two-word asking phrases

    def __post_init__(self) -> None:
        last = _alternatives(self.trailing)
        object.__setattr__(self, "_not_last", re.compile(rf"(?:^|\s)(?:{last})$", re.I))
        trail = _alternatives(self.trailing + self.soft)
        object.__setattr__(self, "_trail", re.compile(rf"\s*(?:{trail})\b", re.I))
        object.__setattr__(self, "_pairs", tuple(a for a in self.asking if " " in a))

    def fits(self, before: str, phrase: str, after: str) -> bool:
        """Whether ``phrase``, with ``before`` and ``after`` it in the same message, can be
        the argument."""
        words = _WORD.findall(phrase.lower())
        if not words or set(words) <= _PRONOUNS or not self._starts(before, words[0]):
            return False
        if self._addressed(words):
            return False
        if self._not_last.search(phrase.rstrip(" .,;:")) or not self._ends(after):
            return False
        if self.asked is not None and self.asked.search(phrase.lower()):
            return False
        if self.remark is not None and self.remark.match(" ".join(words)):
            return False
        if after.startswith(".") and not ends_sentence(phrase + after[:2], len(phrase)):
            return False  # "St" of "St. Louis"
        if after.startswith(":") and _in_title(phrase + ":"):
            return False  # "what's the plot of 2001" of "… of 2001: a space odyssey"
        if _HALF_BETWEEN.search(phrase) and _AND.match(after):
            return False  # "between Korogwe" of "between Korogwe and Kanzaki"
        return not any(self._crosses(phrase, m.end()) for m in re.finditer(r"[.,;:] +", phrase))

    def _addressed(self, words: list[str]) -> bool:
        """``words`` start with words to the assistant, not of the argument."""
        first = words[0]
        return first in _TO_YOU or first in self.not_first or " ".join(words[:2]) in _TO_YOU_PAIRS

    def _starts(self, before: str, first: str) -> bool:
        if not before.strip() or first in self.question:
            return True
        if _OPENED.search(before):
            head = before.rstrip()
            if _in_title(head):
                return False  # "a space odyssey" of "2001: a space odyssey", not "question 3: …"
            return not head.endswith(".") or ends_sentence(head, len(head) - 1)
        last = _WORD.findall(before.lower()[-40:])
        if len(last) > 1 and last[-2] in self.kept and last[-1] in _OF:
            return False
        return bool(last) and (self._asks(last[-2:]) or last[-1] in _JOINING)

    def _asks(self, last: list[str]) -> bool:
        """The ``last`` words before a phrase ask for it: a word typed right or one letter off
        ("abkut": "about"), or two ("search for": "for" alone is also "safe for tourists"; "online
        fo", a letter off, too)."""
        word, pair = last[-1], " ".join(last)
        return (
            word in self.asking
            or pair in self.asking
            or (len(word) >= 4 and any(one_off(word, a) for a in self.asking))
            or (len(last) == 2 and any(one_off(pair, a) for a in self._pairs))
        )

    def _ends(self, after: str) -> bool:
        rest = after
        while m := self._trail.match(rest):
            rest = rest[m.end() :]
        if _CLOSED.match(rest):
            return True
        word = _WORD.match(rest.lstrip().lower())
        return word is not None and word[0] in _JOINING

    def _crosses(self, phrase: str, at: int) -> bool:
        """The punctuation ending at ``at`` in ``phrase`` starts a sentence, or a clause that
        speaks to the assistant: the phrase would run over into it."""
        head = phrase[:at].rstrip()
        if head[-1] == ";" or (head[-1] == "." and ends_sentence(phrase, len(head) - 1)):
            return True
        if head[-1] == ":" and not head[:-1].rstrip()[-1:].isdigit():  # "2001: a space odyssey"
            return True
        words = _WORD.findall(phrase[at:].lower())
        return bool(words) and self._addressed(words)


def one_off(a: str, b: str) -> bool:
    """``a`` and ``b`` are one edit apart (a letter changed, added or dropped)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def swapped(a: str, b: str) -> bool:
    """``a`` is ``b`` with two neighbouring letters swapped ("mintues")."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    return (
        len(a) == len(b) and len(diff) == 2 and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    )  # fmt: skip


# "search for", "info on": a lone "for" or "on" is also "safe for tourists", "a book on cats"
_LOOKING = _words(
    "search searching look looking google check up info information results facts anything "
    "something more news web internet online net"
)

# A search query: the subject after a search word, or the question the user asks.
QUERY = Bounds(
    asking=_words("google googling search searching look lookup find up about me")
    | frozenset(f"{word} {on}" for word in _LOOKING for on in ("for", "on")),
    not_first=_words(
        "google googling search searching web lookup look find up about online for info"
    ),
    trailing=(
        *_POLITE,
        "online",
        "on the internet",
        "on the web",
        "on the net",
        "on google",
        "from the web",
        "from the internet",
        "for me",
    ),  # fmt: skip
    soft=("up", "now", "right now", "quickly", "real quick", "if you can", "lol"),
    question=_words(
        "who whom whose what which when where why how is are was were do does did can could "
        "should would will has have what's whats who's where's how's when's"
    ),
    asked=re.compile(r"\b(?:you|u) (?:google|googling|search|searching|look|lookup|find|check)\b"),
    remark=re.compile(
        r"(?:asking for|i need (?:it|this|to know)|need (?:it|this) for|it's for|its for|this is for"
        r"|just (?:wondering|curious|asking)|no rush|no hurry|thanks in advance|i saw it|for (?:a|my) "
        r"(?:friend|quiz|class|school|homework|bet))\b"
    ),
    kept=_words("news headlines updates"),
)

# A place for the clock: after "in", "time", "date" ("time Queen Creek", "Tell me beijing
# time"), never the words of the question around it.
PLACE = Bounds(
    asking=_words("in at for of from time times date day weekday week clock hour hours me is"),
    not_first=_words(
        "what what's whats time date day weekday week clock hour now right current currently "
        "local in at it is the and which of difference between there here google googling "
        "search best visit"
    ),
    trailing=(
        *_POLITE,
        "time",
        "date",
        "day",
        "weekday",
        "now",
        "right now",
        "right",
        "today",
        "tonight",
        "currently",
        "local time",
        "time zone",
        "timezone",
        "zone",
        "rn",
    ),  # fmt: skip
)


# Where echoed text begins: right after the request to repeat it and the words that qualify
# the request ("repeat after me please — X", "can you say this back word for word? X"). A
# pronoun qualifies the request only before a separator or another such word ("say it back: X";
# in "say it is raining" it is the text).
_ECHO_VERBS = (
    "repeat repeating say saying echo echoing parrot parroting type typing copy copying mirror "
    "mirroring write recite"
)
_ECHO_WORDS = (
    "after me",
    "back to me",
    "back",
    "to me",
    "for me",
    "exactly what i (?:type|typed|write|wrote|say|said)",
    "what i (?:type|typed|write|wrote|say|said)",
    "exactly",
    "precisely",
    "word for word",
    "verbatim",
    "again",
    "aloud",
    "out loud",
    "just",
    "and nothing else",
    "nothing else",
    "caps and all",
    "(?:the )?following(?: (?:sentence|phrase|text|words?|line))?",
    "(?:the|this|these|my|that) (?:sentence|phrase|text|words?(?! for)|line|message)",
    *_POLITE,
)
_ECHO_PRONOUNS = "this|that|it|these"
_ECHO_PAST = 3  # words after an unmarked request's qualifiers where its text may begin
_ECHO_SEP = r"(?:[:?!.,;]|\s[-—–]+)"  # "repeat this - X", never the hyphen of "ABC-123"
_ECHO_STEP = rf"(?:\s*,?\s+(?:{'|'.join(_ECHO_WORDS)})\b)"
_ECHO_REQUEST = re.compile(
    rf"\b(?:{'|'.join(_ECHO_VERBS.split())})\b(?P<words>"
    rf"(?:{_ECHO_STEP}|\s+(?:{_ECHO_PRONOUNS})\b(?={_ECHO_STEP}|\s*{_ECHO_SEP}))*)"
    rf"(?P<sep>\s*{_ECHO_SEP}+)?\s*(?P<quote>[\"'“‘])?\s*",
    re.I,
)
# ... with a few words that qualify nothing we know of before a colon, dash or quote mark: a
# typo ("repeat word fro word: X", "say bac 'X'") or a qualifier of the user's own
_ECHO_LOOSE = re.compile(
    rf"\b(?:{'|'.join(_ECHO_VERBS.split())})\b(?:\s+[^\s:\"'“‘—–-]+){{1,5}}?"
    r"(?:\s*:|\s[-—–]+|\s[\"'“‘])\s*(?=[^\W_]|[\"'“‘])",  # not ":)", "-_-", "Let's"
    re.I,
)


def echoed(message: str) -> tuple[int, ...]:
    """Where the text to echo may begin in ``message`` (character offsets; none where no
    request to repeat it is followed by text). The first request set off by a separator or
    quote mark wins, and the text begins after it ("be a parrot and say: X"; in "repeat after
    me: I say no" the text's "say" is no request); then one set off after words we do not know
    ("repeat word fro word: X"). Without one, the first request's qualifying words may already
    be the text ("echo back in five minutes"): it begins at any word after the verb up to the
    third after the first that qualifies nothing (which may be a typo'd one: "repeat baack
    X")."""
    found = [m for m in _ECHO_REQUEST.finditer(message) if m.end() < len(message)]
    marked = [m for m in found if m["sep"] or m["quote"]]
    marked += [m for m in _ECHO_LOOSE.finditer(message) if m.end() < len(message)]
    if marked:
        return (marked[0].end(),)
    if not found:
        return ()
    request = found[0]
    words = [w.start() for w in _WORD.finditer(message, request.start("words"))]
    past = [i for i in words if i >= request.end()][:_ECHO_PAST]
    return (*(i for i in words if i < request.end()), *past)
