"""Two requests in one message ("what's 7 times 9 and what's the time in Oslo?"): where a
message may part into two requests, and whether the model takes each part for a tool call of
its own.

A small model asked two things at once makes one call, often for the second request only; asked
one thing, it routes and copies well. So the agent tries each place the message may part, last
first (``splits``), and asks the model, quietly, what it would do with each part alone: where
both parts are two calls (``two_calls``: to different tools, or to one that reads its arguments
with other arguments), the turn runs as one sub-turn per part, and their answers are joined
into one (``TwoRequests``, which AetherAgent mixes in). Anything else runs as one turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, TypeVar

from .. import dialogue
from ..segments import Memory, Message, ToolCall
from ..tools import calc_words
from .events import AnswerDelta, Event

if TYPE_CHECKING:
    from .agent import Approver
    from .constrain import StepGrammar

T = TypeVar("T")
Routed = tuple[Message, "StepGrammar"]  # a decoded step and the grammar that wrote it
Call = tuple[str, str]  # a tool call: the tool's name and its arguments as JSON
Part = tuple[Message, Routed]  # one of two requests as its own user message, and its call step

MAX_SPLITS = 3  # places tried per message, last first: each costs the model up to two steps
# Where two requests meet: a joining word after a space, a comma or a sentence stop ("… and tell
# me…", "…, then…", "…? also what's…"), or "; ", " & ". A sentence stop alone is not one: what
# follows it is as often what the first sentence asks about ("can you say this back? The
# meeting is moved to Thursday.", "what does this article say? https://…").
_JOIN = re.compile(
    r"(?:[,;]?\s+(?:and\s+(?:then\s+|also\s+)?|also,?\s+|then\s+|plus\s+|as\s+well\s+as\s+)"
    r"|[;&+]\s+|\s+[&+]\s+|(?P<stop>[.?!]+)\s+(?:and|also|then|plus),?\s+)",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W_]{2,}")
_NUMBER = re.compile(r"[\d.,]*\d%?")
_OPERATOR = re.compile(r"[-+*/×÷^=]")  # inside a word: "739+115" is a sum
_BETWEEN = re.compile(r"\bbetween(?:\s+[^\s,;.?!]+){1,4}$", re.IGNORECASE)  # "… between Lawrence"
# words that point at the other part: a pronoun ("open example.org and summarise it", "… and
# tell me what this says"; not the "it" of "what time is it", "it's") or what a page is called
# ("… and give me the gist of the article")
_REFERS = re.compile(
    r"(?<!\bis )(?<!\bwas )\b(?:it|this|that|these|those|them)\b(?!\s*(?:is|was|'s)\b)"
    r"|\bthe\s+(?:page|article|post|site|website|story|thread|link|piece|text)\b",
    re.IGNORECASE,
)
# a tool whose argument is any text: a part routed to it may be words that only follow another
# request ("… salt and pepper shakers"), so it may only be the first part
FREE_TEXT_TOOLS = frozenset({"echo"})


def splits(text: str) -> list[tuple[str, str]]:
    """(first part, second part) at each place ``text`` may part into two requests, last first,
    at most ``MAX_SPLITS``; both parts hold a word and neither points at the other."""
    out = []
    for m in reversed(list(_JOIN.finditer(text))):
        head = text[: m.end("stop") if m["stop"] else m.start()].strip()  # keeps its "?"
        tail = text[m.end() :].strip()
        if (_number_at(head, -1) and _number_at(tail, 0)) or _BETWEEN.search(head):
            continue  # one sum ("48 plus 12 multiplied by 3"), one pair ("between A and B")
        if all(_WORDS.search(p) and not _REFERS.search(p) for p in (head, tail)):
            out.append((head, tail))
        if len(out) == MAX_SPLITS:
            break
    return out


def _number_at(text: str, at: int) -> bool:
    """The first (``at`` 0) or last (-1) word of ``text`` is a number, in digits or words."""
    words = text.split()
    if not words:
        return False
    word = words[at].strip(".,;:!?()").lower()
    word = _OPERATOR.split(word)[at]  # the number next to the join: "115" of "739+115"
    return bool(_NUMBER.fullmatch(calc_words.words_to_numbers(word)))


def two_calls(calls: Sequence[Call | None], repeatable: AbstractSet[str] = frozenset()) -> bool:
    """Whether parts the model routes to ``calls`` ((tool, arguments); None: no call) are two
    requests: each a call, the second not to a free-text tool, to different tools or to one in
    ``repeatable`` (a tool that reads its arguments, so each part is a request it can answer:
    "9 squared plus 1 and 20% of 150") with other arguments."""
    first, second = calls
    if first is None or second is None or second[0] in FREE_TEXT_TOOLS:
        return False
    return first[0] != second[0] or (first[0] in repeatable and first[1] != second[1])


def pick_split(
    text: str,
    route: Callable[[str], T | None],
    call: Callable[[T], Call],
    repeatable: AbstractSet[str] = frozenset(),
) -> tuple[T, T] | None:
    """The routes of the first place ``text`` parts into two requests (``splits`` order), or
    None. ``route(part)`` is what the model does with the part alone (None: no call), asked once
    per part; ``call(route)`` is the (tool, arguments) it calls; ``repeatable``: see
    ``two_calls``."""
    seen: dict[str, T | None] = {}

    def routed(part: str) -> T | None:
        if part not in seen:
            seen[part] = route(part)
        return seen[part]

    for head, tail in splits(text):
        first = routed(head)
        if first is None:
            continue
        second = routed(tail)
        if two_calls([call(first), call(second) if second is not None else None], repeatable):
            return first, second  # type: ignore[return-value]
    return None


class TwoRequests:
    """AetherAgent's turn of two requests (mixed into it): one sub-turn per part. Uses the
    agent's ``_step`` (one step, decoded), ``_steps`` (steps to an answer), ``tools``."""

    tools: Any
    _step: Callable[..., Iterator[Event]]
    _steps: Callable[..., Iterator[Event]]

    def _parts(self, text: str, user: Message, stats: dict) -> list[Part] | None:
        """Where ``text`` is two requests: each part as its own user message (the recalled
        memories kept) with the tool call the model makes for it alone."""
        memories = [m.data.decode("utf-8", "replace") for m in user.of(Memory)]

        def route(part: str) -> Part | None:
            message = dialogue.user_message(part, memories=memories)
            routed = self._route(message, stats)
            return None if routed is None or not self._reads(routed[0]) else (message, routed)

        def call(part: Part) -> Call:
            name, args = part[1][0].of(ToolCall)[-1].parse()
            return name, json.dumps(args, sort_keys=True)

        reading = frozenset(t.name for t in self.tools if any(a.reads for a in t.schema.values()))
        picked = pick_split(text, route, call, reading)
        return None if picked is None else list(picked)

    def _reads(self, step: Message) -> bool:
        """Whether the tool reads every argument of ``step``'s call that it can tell about
        (``Tool.reading``): a part that is no request of its own gets a call that would fail
        ("summarise it?" -> a time zone "summarise")."""
        name, args = step.of(ToolCall)[-1].parse()
        tool = self.tools.get(name)
        return all(
            tool.reading(arg, str(value)) is not None
            for arg, value in args.items()
            if (spec := tool.schema.get(arg)) is not None and spec.reads
        )

    def _route(self, message: Message, stats: dict) -> Routed | None:
        """The model's first step for ``message`` alone, decoded quietly: the step where it is a
        tool call, else None (decoding stops as soon as it is not one)."""
        steps = self._step(0, [message], stats, [], calls_only=True)
        while True:
            try:
                next(steps)
            except StopIteration as end:
                return end.value

    def _run_parts(
        self,
        parts: list[Part],
        turn: list[Message],
        stats: dict,
        answer: list[str],
        approver: Approver | None,
    ) -> Iterator[Event]:
        """One sub-turn per part, each on its part alone; the turn keeps the whole message, every
        part's calls and results, and one answer: the parts' answers joined, as the training
        data's two-request turns have it (data/two_requests.py)."""
        said: list[str] = []
        thought = ""
        for message, first in parts:
            sub: list[Message] = [message]
            words: list[str] = []
            try:
                for ev in self._steps(sub, stats, words, approver, first):
                    if isinstance(ev, AnswerDelta) and said and not words[1:]:
                        yield AnswerDelta(" ")  # between the answers, once the second starts
                    yield ev
            finally:
                ended = sub[-1].role == "assistant" and not sub[-1].of(ToolCall)
                turn.extend(sub[1:-1] if ended else sub[1:])  # whole steps only, as _run keeps
            if ended:
                thought = sub[-1].thought_text
            if text := "".join(words).strip():
                answer.append((" " if said else "") + text)
                said.append(text)
        turn.append(dialogue.answer_step(thought, " ".join(said)))
