"""Two requests in one message ("what's 7 times 9 and what's the time in Oslo?"): where a
message may part into two requests, and whether the model takes each part for a tool call of
its own.

A small model asked two things at once makes one call, often for the second request only; asked
one thing, it routes and copies well. So the agent tries each place the message may part, last
first (``splits``), and asks the model, quietly, what it would do with each part alone: where
both parts are calls to different tools (``two_calls``), the turn runs as one sub-turn per part,
and their answers are joined into one (AetherAgent._run_parts). Anything else runs as one turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_SPLITS = 3  # places tried per message, last first: each costs the model up to two steps
# Where two requests meet: a sentence stop, or a joining word after a comma or a space
# ("…? also what's…", "… and tell me…", "…, then…", "…; …", "… & …")
_JOIN = re.compile(
    r"(?:[,;]?\s+(?:and\s+(?:then\s+|also\s+)?|also,?\s+|then\s+|plus\s+|as\s+well\s+as\s+)"
    r"|[;&+]\s+|\s+[&+]\s+|(?P<stop>[.?!]+)\s+(?:(?:and|also|then|plus),?\s+)?)",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[^\W_]{2,}")
# a tool whose argument is any text: a part routed to it may be words that only follow another
# request ("… salt and pepper shakers"), so it may only be the first part
FREE_TEXT_TOOLS = frozenset({"echo"})


def splits(text: str) -> list[tuple[str, str]]:
    """(first part, second part) at each place ``text`` may part into two requests, last first,
    at most ``MAX_SPLITS``; both parts hold a word."""
    out = []
    for m in reversed(list(_JOIN.finditer(text))):
        head = text[: m.end("stop") if m["stop"] else m.start()].strip()  # keeps its "?"
        tail = text[m.end() :].strip()
        if _WORDS.search(head) and _WORDS.search(tail):
            out.append((head, tail))
        if len(out) == MAX_SPLITS:
            break
    return out


def two_calls(tools: Sequence[str | None]) -> bool:
    """Whether parts the model routes to ``tools`` (None: no call) are two requests: each a call,
    to different tools, the second not a free-text one."""
    first, second = tools
    return (
        first is not None
        and second is not None
        and first != second
        and second not in FREE_TEXT_TOOLS
    )


def pick_split(
    text: str, route: Callable[[str], T | None], tool: Callable[[T], str]
) -> tuple[T, T] | None:
    """The routes of the first place ``text`` parts into two requests (``splits`` order), or
    None. ``route(part)`` is what the model does with the part alone (None: no call), asked once
    per part; ``tool(route)`` names the tool it calls."""
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
        if two_calls([tool(first), tool(second) if second is not None else None]):
            return first, second  # type: ignore[return-value]
    return None
