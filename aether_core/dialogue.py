"""How a turn looks in the stream: the one place both the agent and the training data build it.

    BOS
    SYSTEM  system prompt                                       EOS
    USER    [MEM ...] [IMG codes]... [FILE ...]... text         EOS
    ASSISTANT THOUGHT(why) CALL({"tool": .., "args": {..}})     EOS    <- a tool step
    TOOL    RESULT(ok/error + output)                           EOS
    ASSISTANT THOUGHT(why) [IMG codes] answer text              EOS    <- the final step

The model writes everything after an ASSISTANT marker; the agent writes the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .segments import File, Image, Memory, Message, Text, Thought, ToolCall, ToolResult

SYSTEM_PROMPT = (
    "You are Aether, a helpful local assistant."  # short: every training dialogue carries it
)


def system_message(prompt: str = SYSTEM_PROMPT) -> Message:
    return Message.text("system", prompt)


def user_message(
    text: str,
    *,
    memories: Sequence[str] = (),
    images: Sequence[bytes] = (),
    files: Sequence[File] = (),
) -> Message:
    items: list = [Memory(m.encode()) for m in memories]
    items += [Image(codes) for codes in images]
    items += list(files)
    if text:
        items.append(Text(text.encode()))
    return Message("user", tuple(items))


def tool_step(thought: str, tool: str, args: dict[str, Any]) -> Message:
    return Message("assistant", (Thought(thought.encode()), ToolCall.make(tool, args)))


def tool_message(ok: bool, output: str) -> Message:
    return Message("tool", (ToolResult.make(ok, output),))


def answer_step(thought: str, text: str, image: bytes | None = None) -> Message:
    items: list = [Thought(thought.encode())]  # always: the agent's step grammar starts with one
    if image is not None:
        items.append(Image(image))
    if text:
        items.append(Text(text.encode()))
    return Message("assistant", tuple(items))
