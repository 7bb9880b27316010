"""Segment-aware context trimming: the memories recalled into earlier turns go first, then whole
oldest turns; the system prompt and the current turn always stay, with room left for the step
being written (``step_reserve``: a drawing is 128 VQ codes). Trimming works on messages, never
on tokens, so no segment is ever cut in half.
When the current turn alone is still too long (a long web page in a small model's context), the
longest tool results of the turn are shortened, each still a well-formed segment ending in a
"[truncated]" note; then, as a last resort, the middle of the user's longest text is left out
(" [...] "): a request is mostly at its start or end, and a view of both beats an error. Only
the model's view is cut: the conversation keeps every byte."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import AetherError
from ..segments import Item, Memory, Message, Text, ToolResult, encode, encode_message

TRUNCATED = b"\n[truncated]"
ELIDED = b" [...] "
MIN_KEPT = 32  # bytes a shortened user text keeps at least, head and tail together
STEP_TEXT = (
    96  # tokens a step's thought, short answer and delimiters take, as the model writes them
)
IMAGE_OVERHEAD = 4  # IMG_START, the varint length (1-2 tokens) and IMG_END around the codes


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


def step_reserve(budget: int, full: int, image_codes: int = 0) -> int:
    """Tokens of the context to keep free for the step being written: ``full`` (the longest
    thought and a long answer) where the context is roomy, at most a quarter of it; but never
    less than a step needs to finish: ``STEP_TEXT`` and, where the model can draw, the image's
    codes, up to half the context. A 512-token context kept 128 free, and a drawing late in a
    chat stopped short of its codes ("context full?")."""
    need = STEP_TEXT + (image_codes + IMAGE_OVERHEAD if image_codes else 0)
    return max(min(full, budget // 4), min(need, budget // 2))


def fit_context(
    messages: Sequence[Message], budget: int, reserve: int = 0
) -> tuple[list[Message], int]:
    """Make ``encode(messages)`` + ``reserve`` fit ``budget`` tokens: leave out the memories
    recalled into earlier turns (oldest first; each turn recalled what it needed, the current
    turn keeps its own), then whole oldest turns.

    Returns the kept messages and how many turns were dropped. The last turn is the current one.
    """
    system, turns = split_turns(messages)
    sizes = [sum(len(encode_message(m)) for m in t) for t in turns]
    total = len(encode(system)) + sum(sizes) + reserve
    for i in range(len(turns) - 1):
        if total <= budget:
            break
        turns[i] = [_without_memories(m) for m in turns[i]]
        size = sum(len(encode_message(m)) for m in turns[i])
        total, sizes[i] = total - sizes[i] + size, size
    dropped = 0
    while total > budget and dropped < len(turns) - 1:
        total -= sizes[dropped]
        dropped += 1
    current = [m for t in turns[dropped:] for m in t]
    for shorten in (shorten_tool_results, shorten_user_texts):
        if total > budget:
            before = sum(len(encode_message(m)) for m in current)
            current = shorten(current, total - budget)
            total -= before - sum(len(encode_message(m)) for m in current)
    if total > budget:
        raise ContextOverflow(
            f"the current turn needs {total} tokens but the model's context holds {budget}"
        )
    return system + current, dropped


def _without_memories(m: Message) -> Message:
    if not m.of(Memory):
        return m
    return Message(m.role, tuple(it for it in m.items if not isinstance(it, Memory)))


def shorten_tool_results(messages: Sequence[Message], excess: int) -> list[Message]:
    """Cut ``excess`` tokens (plus the notes) from the longest tool outputs, longest first."""

    def cut(it: Item, excess: int) -> tuple[int, Item] | None:
        if not isinstance(it, ToolResult) or len(it.output) <= len(TRUNCATED):
            return None
        keep = max(0, len(it.output) - excess - len(TRUNCATED) - 2)  # the prefix may shrink
        return len(it.output), ToolResult(it.ok, _whole(it.output[:keep]) + TRUNCATED)

    return _shorten(messages, excess, cut)


def shorten_user_texts(messages: Sequence[Message], excess: int) -> list[Message]:
    """Leave out the middle of the user's longest texts (``ELIDED`` in its place) until
    ``excess`` tokens are gone; each keeps its first and last words, ``MIN_KEPT`` bytes at least."""

    def cut(it: Item, excess: int) -> tuple[int, Item] | None:
        if not isinstance(it, Text):
            return None
        keep = max(MIN_KEPT, len(it.data) - excess - len(ELIDED) - 2)
        if len(it.data) <= keep + len(ELIDED):
            return None
        head, tail = it.data[: keep - keep // 2], it.data[len(it.data) - keep // 2 :]
        if (space := head.rfind(b" ")) > len(head) // 2:  # whole words where it can
            head = head[:space]
        if 0 <= (space := tail.find(b" ")) < len(tail) // 2:
            tail = tail[space + 1 :]
        head, tail = _whole(head), _whole(tail)
        return len(it.data), Text(head.rstrip() + ELIDED + tail.lstrip())

    return _shorten(messages, excess, cut, role="user")


def _shorten(
    messages: Sequence[Message],
    excess: int,
    cut: Callable[[Item, int], tuple[int, Item] | None],
    role: str | None = None,
) -> list[Message]:
    """Shorten items (of ``role``'s messages) by ``excess`` tokens, largest first, until that many
    are gone or none can be cut: ``cut(item, excess)`` gives (its size, the shorter item) or
    None where it cannot shorten it."""
    out = list(messages)
    done: set[tuple[int, int]] = set()
    while excess > 0:
        found = [
            (c[0], i, j, c[1])
            for i, m in enumerate(out)
            if role is None or m.role == role
            for j, it in enumerate(m.items)
            if (i, j) not in done and (c := cut(it, excess)) is not None
        ]
        if not found:
            break
        _, i, j, new = max(found, key=lambda f: f[:3])
        done.add((i, j))  # cut once each: a second cut of its own note would only grow it
        items = list(out[i].items)
        items[j] = new
        before = len(encode_message(out[i]))
        out[i] = Message(out[i].role, tuple(items))
        excess -= before - len(encode_message(out[i]))
    return out


def _whole(part: bytes) -> bytes:
    """``part`` of a text without the pieces of a UTF-8 character cut in half at its ends."""
    return part.decode("utf-8", "ignore").encode()
