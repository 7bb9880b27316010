"""Where a step's call goes, and what answers a call's result: a call its tool makes nothing of,
or small talk may not make, or the turn has made already, is decided again (``misrouted``,
``repeated``; the step decided again names the tool it calls, ``renamed``); a tool that speaks
answers in its own words (``spoken``). Mixed into AetherAgent, as ``Media`` is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import dialogue
from ..errors import AetherError
from ..segments import Message, SegmentError, Thought, ToolCall, ToolResult
from ..tools.base import Tool
from .events import AnswerDelta, Event
from .small_talk import is_small_talk


class Routing:
    """AetherAgent's routing of calls (mixed into it). Uses the agent's ``tools``, ``config``
    and ``redactor``."""

    tools: Any
    config: Any
    redactor: Any

    def _one_result(self, turn: list[Message]) -> tuple[Tool, str, bool] | None:
        """The tool, output and whether it went well of the turn's one call, where it ran (not
        denied); else None."""
        calls = [c for m in turn if m.role == "assistant" for c in m.of(ToolCall)]
        results = [r for m in turn if m.role == "tool" for r in m.of(ToolResult)]
        if len(calls) != 1 or len(results) != 1:
            return None
        if dialogue.status_thought(turn[-1]) == dialogue.THOUGHT_DENIED:
            return None
        try:
            tool = self.tools.get(calls[0].parse()[0])
        except AetherError:
            return None
        return tool, results[0].output.decode("utf-8", errors="ignore"), results[0].ok

    def _spoken(self, turn: list[Message]) -> str | None:
        """The answer where the turn's one call went well to a tool that ``speaks``: its output,
        cut to the answer's size. Else None (the model writes the answer). The model still says
        whether the step is another call ("the time in Rome and say cheese")."""
        one = self._one_result(turn)
        if one is None or not one[2] or not one[0].speaks:
            return None
        cut = one[1].encode()[: self.config.max_answer_bytes]
        return cut.decode("utf-8", errors="ignore").strip()  # a cut character is left out

    def _say(self, text: str, turn: list[Message], answer: list[str]) -> Iterator[Event]:
        """The answer ``text`` of a step whose thought the model wrote and that is no call: the
        agent writes it (``_spoken``)."""
        shown = self.redactor.redact(text)
        answer.append(shown)
        yield AnswerDelta(shown)
        turn.append(dialogue.answer_step(dialogue.THOUGHT_OK, text))

    def _misrouted(self, msg: Message, request: str) -> str | None:
        """The tool of ``msg``'s call where that tool makes nothing of it for ``request`` (the
        user's words), or small talk may not call it; else None."""
        try:
            name, args = msg.of(ToolCall)[-1].parse()
            tool = self.tools.get(name)
        except AetherError:  # a malformed call or an unknown tool: _call_tool reports it
            return None
        if not tool.for_small_talk and is_small_talk(request):
            return name
        return None if tool.understands(args, request) else name


def repeated(msg: Message, turn: list[Message]) -> bool:
    """Whether the turn has already made ``msg``'s call (same tool, same arguments): its result
    is in the context, and a small model that calls again fills the context with copies of it
    (a page read twice left no room for the answer)."""
    try:
        call = msg.of(ToolCall)[-1].parse()
        made = [c.parse() for m in turn if m.role == "assistant" for c in m.of(ToolCall)]
    except (AetherError, SegmentError):
        return False
    return call in made


def no_answer(events: Iterator[Event]) -> Iterator[Event]:
    """``events`` without their answer text, returning what the generator returns: a step
    decoded only as far as whether it is a call, whose answer the agent writes itself."""
    while True:
        try:
            event = next(events)
        except StopIteration as end:
            return end.value
        if not isinstance(event, AnswerDelta):
            yield event


def renamed(step: Message) -> Message:
    """A tool step decided again, its thought naming the tool it calls: the model, set on the
    tool it may no longer call, still thinks "Time in Porto: use time." before a search, and
    the answer would follow that thought ("It's 1. …")."""
    thought = step.thought_text
    if dialogue.USE not in thought:
        return step
    try:
        tool = step.of(ToolCall)[-1].parse()[0]
    except SegmentError:  # a malformed call: _call_tool reports it
        return step
    need = thought.rsplit(dialogue.USE, 1)[0]
    items = tuple(
        Thought(dialogue.tool_thought(need, tool).encode()) if isinstance(i, Thought) else i
        for i in step.items
    )
    return Message(step.role, items)
