"""A copy prior for decoding: tool arguments and answers mostly quote the conversation.

A small byte model learns *that* "repeat after me: X" calls echo long before it learns to copy X
exactly. This prior gives the copying a nudge at decode time, in the style of prompt-lookup
decoding: find the longest tail of what is being written (the current string argument, or the
answer so far) that occurs in the turn's sources (the user's words, tool results, recalled
memories), and move probability onto the bytes that follow it there, more the longer the match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

import torch

from ..segments import Memory, Message, Text, ToolResult
from ..sentences import ends_sentence

RATE = 0.12  # weight per matched byte (capped at MAX_WEIGHT); 0: off
MAX_MATCH = 64  # longest tail looked up (the weight is full by 8 bytes: the rest tells apart)
MAX_SOURCE = 16_384  # bytes of sources kept (the newest)
LONG_SOURCE = 1024  # sources longer than this (a page) offer no spans to pick
END = -1  # "the quoted span ends here" (the end of a source, or a stop byte)
MAX_WEIGHT = 0.95  # the model always keeps a say
DIGIT_EVIDENCE = 3  # a value that starts a number/word of the sources: 3 matched bytes each
PAUSE_EVIDENCE = 4  # at a pause in the sources, stop or go on: a match counts as this at most
OFF_WORD = -3.0  # log-weight of a first byte that starts no word of the sources (~1/20)
OFF_BEGIN = -30.0  # ... that begins the value nowhere the tool says it may (ArgSpec.begins)
_PUNCT, _SPACE = frozenset(b".,;:!?)"), frozenset(b" \t\r\n")  # sentence punctuation after a value
_QUOTES = frozenset(b"'\"`")  # marks that open a quoted value ("say 'hello world' back")


class CopyPrior:
    """Mixes a copy distribution into the model's: p = (1 - λ) p_model + λ p_copy, where p_copy
    is uniform over the bytes that follow the longest matching tail (k bytes) in the sources and
    λ = min(MAX_WEIGHT, rate * k): one shared byte is weak evidence, a long match is strong. A
    pointer-generator mixture at decode time, with no training needed."""

    def __init__(
        self,
        sources: Iterable[bytes],
        rate: float = RATE,
        first: bool = False,
        words: bool = False,
        pauses: bool = False,
    ) -> None:
        joined = b"\x00".join(s for s in sources if s)
        self.source = joined[-MAX_SOURCE:]
        self.lower = self.source.lower()
        self.rate = float(rate)
        self.first = first  # per source, follow only the first place the tail occurs
        self.words = words  # a tail starts at a word, where it is written and in the sources
        self.pauses = pauses  # where the sources' text pauses, the model says whether to go on
        self._begun: dict[Callable[[str], tuple[int, ...]], frozenset[int]] = {}

    def candidates(self, prefix: bytes, stop: bytes = b"") -> tuple[set[int], int]:
        """(next bytes or END, match length k) for the longest tail of ``prefix`` in the sources.
        END: the end of a source, a ``stop`` byte, or (where there are stop bytes) sentence
        punctuation followed by a space ("see https://x.org/a? thanks"). With ``first``, a source
        where the tail occurs more than once offers only what follows its first occurrence: an
        answer quotes the top result's title, not a later mention of the same words. With
        ``words``, a tail starts at a word both in ``prefix`` and in the sources: "page" of an
        answer's "The page" is one word of evidence, not the six bytes "e page" that "one page."
        of a page's text shares with it (and that would push its full stop into the answer).
        With ``pauses``, where the sources pause after the tail (" — ", the space after a
        sentence's full stop, a source's end reached from its middle), stopping is offered
        beside going on, as weak evidence (``PAUSE_EVIDENCE``): whether the answer goes on past
        a result's title or a page's first sentence is mostly the model's to say. Pushed on, an
        answer ran from the top result's title over its URL into the next results; not pushed at
        all, a model unsure how to go on wandered off into bytes of its own."""
        if not prefix or not self.source or self.rate <= 0:
            return set(), 0
        lower = prefix.lower()
        for k in range(min(MAX_MATCH, len(prefix)), 0, -1):
            tail = prefix[-k:]
            if self.words and not _word_starts(prefix, len(prefix) - k):
                continue
            nxt: set[int] = set()
            followed: set[int] = set()  # sources (by start) already followed, with ``first``
            paused = False
            at = self.source.find(tail)
            while at >= 0:
                start = self.source.rfind(b"\x00", 0, at) if self.first else at  # else: each place
                if start not in followed and (not self.words or self._word_at(at)):
                    nxt.add(self._after(at + k, stop, self._opened(at + k, lower)))
                    paused = paused or (self.pauses and self._pauses(at, k))
                    followed.add(start)
                at = self.source.find(tail, at + 1)
            if paused:  # stop, or go on as the sources do: weak evidence either way
                return nxt | {END}, min(k, PAUSE_EVIDENCE)
            if nxt:
                return nxt, k
        return set(), 0

    def _pauses(self, at: int, k: int) -> bool:
        """The sources pause after the ``k`` bytes at ``at`` (``_pause_at``), or end there having
        begun before them: an answer that quoted a result's last word ("seconds" of "86400
        seconds") has not quoted the result, and may go on."""
        end = at + k
        ended = end >= len(self.source) or self.source[end] == 0
        return _pause_at(self.source, end) or (ended and at > 0 and self.source[at - 1] != 0)

    def _after(self, end: int, stop: bytes, opened: int = 0) -> int:
        """The source byte at ``end``, or END where a quoted span stops there: also at the quote
        mark ``opened`` (the one just before the span) when it closes there ("say 'hi' back")."""
        b = self.source[end] if end < len(self.source) else 0
        after = self.source[end + 1] if end + 1 < len(self.source) else 0
        closing = stop and b in _PUNCT and (after == 0 or after in _SPACE)
        return END if b == 0 or b in stop or closing or (opened and b == opened) else b

    def _opened(self, end: int, lower: bytes) -> int:
        """The quote mark just before a value (``lower``: lowercased), where the sources hold it
        ending at ``end``."""
        begin = end - len(lower)
        if begin <= 0 or self.lower[begin:end] != lower:
            return 0
        mark = self.source[begin - 1]
        return mark if mark in _QUOTES else 0

    def mix(
        self, logits: torch.Tensor, prefix: bytes, stop: bytes = b"", end_token: int | None = None
    ) -> torch.Tensor:
        """The mixed distribution as logits (same shape); END becomes ``end_token``."""
        found, k = self.candidates(prefix, stop)
        return self._mix(logits, found, k, end_token)

    def _mix(
        self, logits: torch.Tensor, found: set[int], k: float, end_token: int | None = None
    ) -> torch.Tensor:
        """(1 - λ) p_model + λ uniform(found), λ = min(MAX_WEIGHT, rate * k), as logits; END in
        ``found`` stands for ``end_token`` (dropped without one)."""
        if END in found:
            found = (found - {END}) | ({end_token} if end_token is not None else set())
        if not found or self.rate <= 0:
            return logits
        weight = min(MAX_WEIGHT, self.rate * k)
        p = torch.softmax(logits.float(), -1) * (1.0 - weight)
        p[list(found)] += weight / len(found)
        return torch.log(p.clamp_min(1e-30)).to(logits.dtype)

    def mix_span(
        self,
        logits: torch.Tensor,
        value: bytes,
        stop: bytes = b"",
        end_token: int | None = None,
        begins: Callable[[str], tuple[int, ...]] | None = None,
    ) -> torch.Tensor:
        """A quoted argument is a span of the sources that starts at a word. Before its first
        byte, keep the model to bytes that start a word there (a soft mask: a small model drops a
        word's first letter otherwise); after, where the value so far starts a word of the
        sources (any case), move probability onto what follows it there. Where the tool says
        where the value ``begins`` (echo's text, after "repeat after me please —"), it begins
        only there: the model alone starts it at the words of the request."""
        if not self.source or self.rate <= 0:
            return logits
        begun = self.begun(begins) if begins is not None else frozenset()
        if not value:
            if begun:  # as the user wrote it: echo's text is theirs to the letter
                starts, off = {self.source[i] for i in begun}, OFF_BEGIN
            else:
                starts = {self.source[i] for i in range(len(self.source)) if self._word_at(i)}
                starts |= {ord(chr(b).swapcase()) for b in starts if b < 128}
                starts |= {end_token} if end_token is not None else set()  # "" (e.g. local time)
                off = OFF_WORD
            mask = torch.full_like(logits, off)
            mask[list(starts - {0})] = 0.0
            return logits + mask
        lower = value.lower()
        evidence = DIGIT_EVIDENCE * len(value)
        ends = list(self._anchored(self.source, value, begun.__contains__)) if begun else []
        if ends:  # on the text where the tool says it begins: copied as it stands
            evidence = max(evidence, MAX_MATCH)
        nxt = {
            self._after(end, stop, self._opened(end, lower))
            for end in ends or self._anchored(self.lower, lower, self._word_at)
        }
        return self._mix(logits, nxt, evidence, end_token)

    def begun(self, begins: Callable[[str], tuple[int, ...]]) -> frozenset[int]:
        """The offsets of the sources where ``begins`` (``ArgSpec.begins``) says a value may
        begin, each source read as a message of its own."""
        if (found := self._begun.get(begins)) is None:
            out: set[int] = set()
            at = 0
            for part in self.source.split(b"\x00"):
                text = part.decode(errors="surrogateescape")  # offsets map back byte for byte
                out.update(
                    at + len(text[:i].encode(errors="surrogateescape")) for i in begins(text)
                )
                at += len(part) + 1
            found = self._begun[begins] = frozenset(i for i in out if i < len(self.source))
        return found

    def word_ends(self, value: bytes) -> bool:
        """``value`` (a span started at a word of the sources) ends a word there: "capital of
        norway" in "google capital of norway pls". Whether the span stops is then not the
        sources' to say: they would only push it on into "pls"."""
        if not value or not self.source or not value[-1:].isalnum():
            return False
        ends = self._anchored(self.lower, value.lower(), self._word_at)
        return any(not self.source[e : e + 1].isalnum() for e in ends)

    def spans(
        self, stop: bytes, max_bytes: int, fits: Callable[[str, str, str], bool] | None = None
    ) -> list[tuple[bytes, tuple[int, ...]]]:
        """The phrases a span of the sources may be: from each word start, the text up to a stop
        byte (or a quote, backslash or control byte: a string argument never holds those raw)
        but at most ``max_bytes``, and the lengths at which a word of it ends (a span cut at
        ``max_bytes`` ends only where a word does, so it never looks complete when it is not).
        Sources over ``LONG_SOURCE`` bytes (a web page) are left out whole: too many spans to
        score. ``fits(before, span, after)`` (the text of the source around it) keeps the word ends
        where a span can be the value (``ArgSpec.fits``). Repeated text is offered once, with the
        ends that fit at any of its places."""
        bad = frozenset(stop) | frozenset(b'"\\') | frozenset(range(32))
        out: dict[bytes, set[int]] = {}
        src, at = self.source, 0
        for part in src.split(b"\x00"):
            base, at = at, at + len(part) + 1
            if len(part) > LONG_SOURCE:
                continue
            for i in range(len(part)):
                if not self._word_at(base + i):
                    continue
                mark = part[i - 1] if i and part[i - 1] in _QUOTES else -1  # 'quoted' ends
                j, limit = i, i + max_bytes
                while j < limit and not _stops(part, j, bad, mark):
                    j += 1
                text = part[i:j]
                ends = tuple(e for e in range(1, len(text)) if _word_end(text, e))
                # where the text stops, a word ends unless on a space; cut at max_bytes, if one does
                if _stops(part, j, bad, mark):
                    whole = text[-1] not in _SPACE
                else:
                    whole = _word_end(part[i : j + 1], j - i)
                if whole:
                    ends += (len(text),)
                    bare = len(text.rstrip(b".,;:!?"))  # "…/bikes/" of "…/bikes/?"
                    if 0 < bare < len(text) and bare not in ends:
                        ends = tuple(sorted((*ends, bare)))
                if fits is not None:
                    before = part[:i].decode(errors="replace")
                    ends = tuple(e for e in ends if fits(before, *_around(part, i, e)))
                out.setdefault(text, set()).update(ends)
        return [(text, tuple(sorted(ends))) for text, ends in out.items() if ends]

    @staticmethod
    def _anchored(
        haystack: bytes, needle: bytes, starts_at: Callable[[int], bool]
    ) -> Iterator[int]:
        """End offsets of the occurrences of ``needle`` that begin where ``starts_at`` holds."""
        at = haystack.find(needle)
        while at >= 0:
            if starts_at(at):
                yield at + len(needle)
            at = haystack.find(needle, at + 1)

    def _word_at(self, i: int) -> bool:
        """A word (or number, or URL) of the sources starts at ``i``."""
        return _word_starts(self.source, i)

    def _number_at(self, i: int) -> bool:
        return i == 0 or not _is_numeric(self.source[i - 1])

    def mix_digits(self, logits: torch.Tensor, prefix: bytes) -> torch.Tensor:
        """For the number ``prefix`` ends in (a calc expression, an answer): where every number in
        the sources that starts with it goes on with a digit, move probability onto those digits
        ("900" of "9000"). Where one of them ends there, it may be complete: leave the model be."""
        tail = _NUMBER_TAIL.search(prefix)
        if tail is None:
            return logits
        number = tail.group()
        nxt = {
            self.source[end] if end < len(self.source) else 0
            for end in self._anchored(self.source, number, self._number_at)
        }
        if not all(_is_numeric(b) for b in nxt):
            return logits
        return self._mix(logits, nxt, DIGIT_EVIDENCE * len(number))


_NUMBER_TAIL = re.compile(rb"[0-9][0-9.]*$")  # the number a prefix ends in


def _wordish(b: int) -> bool:
    return 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122 or b >= 0x80  # UTF-8 stays whole


def _word_end(text: bytes, e: int) -> bool:
    """A word of ``text`` ends before offset ``e`` (0 < e < len): before a space, or where
    letters and digits give way to punctuation ("bread" of "bread?", "c++" of "c++ tips")."""
    before, after = text[e - 1], text[e]
    if before in _SPACE:
        return False
    return after in _SPACE or (_wordish(before) and not _wordish(after))


_DASH = " — ".encode()


def _pause_at(source: bytes, i: int) -> bool:
    """The text of ``source`` pauses at ``i``: " — " (a result's title before its URL), or the
    space after a sentence's full stop. Not a line break: an answer that starts with a page's
    URL line is carried on into its first sentence."""
    rest = source[i : i + len(_DASH)]
    if rest == _DASH:
        return True
    window = source[max(0, i - 16) : i + 1].decode(errors="replace")
    return rest[:1] == b" " and ends_sentence(window, len(window) - 2)


def _word_starts(text: bytes, i: int) -> bool:
    """A word (letters or digits) of ``text`` starts at ``i``."""
    return text[i : i + 1].isalnum() and not text[i - 1 : i].isalnum()


def _around(part: bytes, i: int, e: int) -> tuple[str, str]:
    """The span of ``part`` from ``i``, ``e`` bytes long, and the text after it."""
    return part[i : i + e].decode(errors="replace"), part[i + e :].decode(errors="replace")


def _stops(part: bytes, j: int, bad: frozenset[int], mark: int) -> bool:
    """A span of ``part`` cannot go on at ``j``: its end, a ``bad`` byte, or the quote ``mark``
    that opened it. A "!" right after a digit is a factorial sign, not the end of a clause ("6!"
    is a math phrase whole; "!=" is not one)."""
    if j == len(part) or part[j] == mark:
        return True
    if part[j] == _BANG and j and 48 <= part[j - 1] <= 57 and part[j + 1 : j + 2] != b"=":
        return False
    return part[j] in bad


_BANG = ord("!")


def _is_numeric(b: int) -> bool:
    return 48 <= b <= 57 or b == 46  # a digit or "."


def copy_sources(messages: Iterable[Message], user: bool = True) -> list[bytes]:
    """What the step may quote: the user's words (for tool arguments; ``user=False`` for answers,
    which otherwise parrot the question), tool outputs, recalled memories. A failed tool's output
    is not for an answer to quote: the prior splices its error text into the apology
    (MODEL_CARD.md, Decoding)."""
    out: list[bytes] = []
    for m in messages:
        for item in m.items:
            if isinstance(item, Text) and m.role == "user" and user:
                out.append(item.data)
            elif isinstance(item, ToolResult) and (user or item.ok):
                out.append(item.output)
            elif isinstance(item, Memory):
                out.append(item.data)
    return out
