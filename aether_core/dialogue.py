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

# the thought of the step after a tool result says how the call went; the agent knows, so its
# grammar keeps the model from thinking another status (agent/constrain.py, status_blocks)
THOUGHT_OK = "Got the result."
THOUGHT_ERROR = "The tool failed."
THOUGHT_DENIED = "The call was denied."
STATUS_THOUGHTS = (THOUGHT_OK, THOUGHT_ERROR, THOUGHT_DENIED)
# a step that stores what the user tells: its answer acknowledges the user's words, and the
# answer's copy prior does not push recalled memories into it (agent/constrain.py)
THOUGHT_STORE = "A fact to remember."
# a question about the user is answered from the facts recalled into the turn, or not known; the
# agent holds "not known" to the recall where a fact scored close to the question (agent.py)
THOUGHT_RECALL = "Answer from memory."
THOUGHT_UNKNOWN = "Not in my memory."
# a tool step's thought says what is needed and names the tool ("Arithmetic: use calc."); a step
# decided again without a tool names the one it calls instead (agent/routing.py, ``renamed``)
USE = ": use "


def tool_thought(need: str, tool: str) -> str:
    return f"{need}{USE}{tool}."


# a drawing step's thought says what is drawn ("Draw a big pink square on black."); the agent
# holds it to the user's words before the picture is drawn (agent/drawing.py)
DRAW = "Draw a "


def draw_thought(shape: str, colour: str, background: str | None, size: str | None) -> str:
    sized = f"{size} " if size and size != "medium" else ""
    return f"{DRAW}{sized}{colour} {shape}{f' on {background}' if background else ''}."


# the thought of an answer about a picture the user shows says what the answer tells of it; the
# agent holds a shapes picture's caption to what the vision head reads (agent/seeing.py)
THOUGHT_DESCRIBE = "Describe the image."
THOUGHT_COLOUR = "Check the shape's colour."
THOUGHT_SHAPE = "Check the shape."
THOUGHT_BACKGROUND = "Check the background."
SHAPE_THOUGHTS = (THOUGHT_DESCRIBE, THOUGHT_COLOUR, THOUGHT_SHAPE, THOUGHT_BACKGROUND)
THOUGHT_NOT_A_SHAPE = "Not a simple shape."  # a picture unlike the shapes: an honest answer

DENIED = "denied by user"  # how a denied call's result begins
CANCELLED = "cancelled by user"


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


def good_results(messages: Sequence[Message]) -> list[bytes]:
    """The outputs of the calls in ``messages`` that went well."""
    return [r.output for m in messages if m.role == "tool" for r in m.of(ToolResult) if r.ok]


def status_thought(message: Message) -> str | None:
    """The thought that follows ``message`` when it is a tool result (None for any other)."""
    results = message.of(ToolResult) if message.role == "tool" else []
    if not results:
        return None
    result = results[0]
    if result.ok:
        return THOUGHT_OK
    return THOUGHT_DENIED if result.output.startswith(DENIED.encode()) else THOUGHT_ERROR


def answer_step(thought: str, text: str, image: bytes | None = None) -> Message:
    items: list = [Thought(thought.encode())]  # always: the agent's step grammar starts with one
    if image is not None:
        items.append(Image(image))
    if text:
        items.append(Text(text.encode()))
    return Message("assistant", tuple(items))
