"""Segment-aware context trimming: whole oldest turns go first; the system prompt and the current
turn always stay. Trimming works on messages, never on tokens, so no segment is ever cut in half.
When the current turn alone is still too long (a long web page in a small model's context), the
longest tool results of the turn are shortened, each still a well-formed segment ending in a
"[truncated]" note."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import AetherError
from ..segments import Message, ToolResult, encode, encode_message

TRUNCATED = b"\n[truncated]"


class ContextOverflow(AetherError):
    """Even with every older turn dropped, the current turn does not fit the model's context."""


def split_turns(messages: Sequence[Message]) -> tuple[list[Message], list[list[Message]]]:
    """(leading system messages, turns); a turn is a user message and everything up to the next."""
    system: list[Message] = []
    turns: list[list[Message]] = []
    for m in messages:
        if m.role == "system" and not turns:
            system.append(m)
        elif m.role == "user" or not turns:
            turns.append([m])
        else:
            turns[-1].append(m)
    return system, turns


def fit_context(
    messages: Sequence[Message], budget: int, reserve: int = 0
) -> tuple[list[Message], int]:
    """Drop whole oldest turns until ``encode(messages)`` + ``reserve`` fits ``budget`` tokens.

    Returns the kept messages and how many turns were dropped. The last turn is the current one.
    """
    system, turns = split_turns(messages)
    sizes = [sum(len(encode_message(m)) for m in t) for t in turns]
    total = len(encode(system)) + sum(sizes) + reserve
    dropped = 0
    while total > budget and dropped < len(turns) - 1:
        total -= sizes[dropped]
        dropped += 1
    current = [m for t in turns[dropped:] for m in t]
    if total > budget:
        current = shorten_tool_results(current, total - budget)
        total -= sum(sizes[dropped:]) - sum(len(encode_message(m)) for m in current)
    if total > budget:
        raise ContextOverflow(
            f"the current turn needs {total} tokens but the model's context holds {budget}"
        )
    return system + current, dropped


def shorten_tool_results(messages: Sequence[Message], excess: int) -> list[Message]:
    """Cut ``excess`` tokens (plus the notes) from the longest tool outputs, longest first."""
    out = list(messages)
    while excess > 0:
        found = [
            (len(it.output), i, j)
            for i, m in enumerate(out)
            for j, it in enumerate(m.items)
            if isinstance(it, ToolResult) and len(it.output) > len(TRUNCATED)
        ]
        if not found:
            break
        size, i, j = max(found)
        keep = max(0, size - excess - len(TRUNCATED) - 2)  # the length prefix may shrink a byte
        old = out[i].items[j]
        head = old.output[:keep].decode("utf-8", "ignore").encode()  # no split characters
        new = ToolResult(old.ok, head + TRUNCATED)
        items = list(out[i].items)
        items[j] = new
        before = len(encode_message(out[i]))
        out[i] = Message(out[i].role, tuple(items))
        excess -= before - len(encode_message(out[i]))
    return out
