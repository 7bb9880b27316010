"""Agent events -> OpenAI chat completion objects: the JSON response, SSE chunks, and Aether's
``aether`` extension (the agent's steps as the same JSON objects ``aether ask --json`` prints)."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

from ..agent.events import AnswerDelta, Done, ErrorEvent, Event, ImageProduced, StepStarted


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def image_data_url(path: str) -> str:
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


def event_object(ev: Event) -> dict[str, Any]:
    """An event as ``aether ask --json`` writes it; a produced image also carries its data URL."""
    d = ev.to_dict()
    if isinstance(ev, ImageProduced):
        d["url"] = image_data_url(ev.path)
    return d


def visible_text(ev: Event) -> str | None:
    """What an event adds to the message content: answer text, a produced image as markdown."""
    if isinstance(ev, AnswerDelta):
        return ev.text
    if isinstance(ev, ImageProduced):
        return f"\n![image]({image_data_url(ev.path)})\n"  # read back by OWN_IMAGE
    return None


# A produced image in content a client sends back (as ``visible_text`` writes it)
OWN_IMAGE = re.compile(r"\n?!\[image\]\((data:image/png;base64,[A-Za-z0-9+/=]+)\)\n?")


def is_step_event(ev: Event) -> bool:
    """Events for clients that asked for the agent's steps (thoughts, tool calls and results)."""
    return not isinstance(ev, AnswerDelta | Done | StepStarted)


def usage(prompt_tokens: int, done: Done | None) -> dict[str, int]:
    completion = done.bytes_generated if done else 0
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
    }


class StopText:
    """Cuts the content at the first stop sequence (``stop``): streamed text goes out as it
    comes, but for a tail that could still be the start of one."""

    def __init__(self, stops: list[str]) -> None:
        self.stops = stops
        self.held = ""
        self.hit = False  # a stop sequence came: nothing more goes out

    def feed(self, text: str) -> str:
        if self.hit:
            return ""
        if not self.stops:
            return text
        self.held += text
        cuts = [i for s in self.stops if (i := self.held.find(s)) >= 0]
        if cuts:
            out, self.held, self.hit = self.held[: min(cuts)], "", True
            return out
        keep = max(
            (n for s in self.stops for n in range(1, len(s)) if self.held.endswith(s[:n])),
            default=0,
        )
        out, self.held = self.held[: len(self.held) - keep], self.held[len(self.held) - keep :]
        return out

    def flush(self) -> str:
        out, self.held = ("" if self.hit else self.held), ""
        return out


class Completion:
    """Collects a turn's events into the non-streaming response."""

    def __init__(self, model: str, prompt_tokens: int, stops: list[str]) -> None:
        self.id, self.created, self.model = completion_id(), int(time.time()), model
        self.prompt_tokens = prompt_tokens
        self.stop = StopText(stops)
        self.content: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.done: Done | None = None

    def add(self, ev: Event) -> bool:
        """Take one event; True when a stop sequence has just ended the content."""
        hit = self.stop.hit
        if (text := visible_text(ev)) is not None:
            self.content.append(self.stop.feed(text))
        if isinstance(ev, Done):
            self.done = ev
        elif isinstance(ev, ErrorEvent):
            self.errors.append(ev.message)
        if is_step_event(ev):
            self.events.append(event_object(ev))
        return self.stop.hit and not hit

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "".join(self.content) + self.stop.flush(),
                    },
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": usage(self.prompt_tokens, self.done),
            "aether": {
                "steps": self.done.steps if self.done else 0,
                "events": merge_thoughts(self.events),
                "errors": self.errors,
            },
        }


class ChunkWriter:
    """SSE chunks of one streamed completion."""

    def __init__(self, model: str) -> None:
        self.id, self.created, self.model = completion_id(), int(time.time()), model

    def chunk(
        self,
        delta: dict[str, Any] | None = None,
        finish: str | None = None,
        **extra: Any,
    ) -> bytes:
        choices = (
            [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
            if delta is not None
            else []
        )
        obj = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
        }
        return sse(obj)


def sse(obj: Any) -> bytes:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def merge_deltas(events: list[Event]) -> list[Event | str]:
    """Consecutive content (answer text, images) joined into one string; other events kept."""
    out: list[Event | str] = []
    for ev in events:
        text = visible_text(ev)
        if text is not None and out and isinstance(out[-1], str):
            out[-1] += text
        elif text is not None:
            out.append(text)
        if text is None or isinstance(ev, ImageProduced):
            out.append(ev)
    return out


def merge_thoughts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ThoughtDelta objects of one step joined into one (the response is not a stream)."""
    out: list[dict[str, Any]] = []
    for e in events:
        prev = out[-1] if out else None
        if (
            prev is not None
            and e["type"] == prev["type"] == "ThoughtDelta"
            and e["step"] == prev["step"]
        ):
            prev["text"] += e["text"]
        else:
            out.append(dict(e))
    return out
