"""Segment-aware context trimming: whole oldest turns go first; the system prompt and the current
turn always stay. Trimming works on messages, never on tokens, so no image, tool result or other
segment is ever cut in half."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import AetherError
from ..segments import Message, encode, encode_message


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
    if total > budget:
        raise ContextOverflow(
            f"the current turn needs {total} tokens but the model's context holds {budget}"
        )
    kept = system + [m for t in turns[dropped:] for m in t]
    return kept, dropped
