"""Chat / SFT data from JSONL: one conversation per line, turned into the agent's exact stream.

Format (one JSON object per line; blank lines are skipped)::

    {"messages": [
      {"role": "system", "content": "You are Aether..."},
      {"role": "user", "content": "What is in this picture?", "images": ["pics/cat.png"],
       "memories": ["my cat is called Rex"]},
      {"role": "assistant", "thought": "Describe the image.", "content": "A cat on a sofa."},
      {"role": "user", "content": "and 37*(12+5)?"},
      {"role": "assistant", "thought": "Arithmetic: use calc.",
       "tool_call": {"tool": "calc", "args": {"expression": "37*(12+5)"}}},
      {"role": "tool", "tool_result": {"ok": true, "output": "629"}},
      {"role": "assistant", "thought": "Got the result.", "content": "37*(12+5) = 629."}
    ]}

Keys per role (anything else is an error, so typos do not silently drop data):

- ``system``: ``content`` (string). Optional; must come first. Without one, the agent's default
  system prompt is used (the agent always has one).
- ``user``: ``content`` (string), ``images`` (list of paths, relative to the JSONL file's folder
  or absolute), ``memories`` (list of strings: recalled memories, shown as MEM segments).
- ``assistant``: ``thought`` (string, optional: an empty thought is written, as the agent's
  grammar always opens a step with one), then either ``tool_call`` (``{"tool": name, "args":
  {...}}``) or an answer: ``content`` (string) and/or ``images`` (at most one path: a picture the
  assistant draws, written as VQ codes).
- ``tool``: ``tool_result`` (``{"ok": true|false, "output": string}``); it must follow an
  assistant ``tool_call``.

The top-level object may also carry ``id`` and ``meta`` (ignored). Each conversation needs at
least one assistant message. Loss is on assistant messages only (``train_roles``). Images are
loaded with Pillow, squashed to 64x64 RGB, encoded with the VQ given as ``vq``; user images also
go to ``Example.images`` for the ViT. Errors name the file and line, e.g.
``chat.jsonl:17: message 2: unknown role 'bot'``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .. import dialogue
from ..errors import AetherError
from ..segments import Message, Thought, encode_with_mask
from .base import Example
from .imagebank import ImageCodec, image_tensor, load_image
from .phrasing import norm_split

ROLE_KEYS: dict[str, frozenset[str]] = {
    "system": frozenset({"role", "content"}),
    "user": frozenset({"role", "content", "images", "memories"}),
    "assistant": frozenset({"role", "content", "thought", "tool_call", "images"}),
    "tool": frozenset({"role", "tool_result"}),
}
TOP_KEYS = frozenset({"messages", "id", "meta"})
ALL_KEYS = frozenset().union(*ROLE_KEYS.values())


class ChatFormatError(AetherError, ValueError):
    """A chat JSONL line that does not follow the format (message names file and line)."""


def _type_name(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(v), "a number")  # fmt: skip


def validate_conversation(obj: Any, base: Path) -> list[dict[str, Any]]:
    """Check one parsed line and return its messages (raises ValueError with a short reason;
    the caller adds file and line). Image paths come back resolved against ``base``."""
    if not isinstance(obj, dict) or "messages" not in obj:
        raise ValueError('expected an object with a "messages" list')
    for k in obj:
        if k not in TOP_KEYS:
            raise ValueError(f"unknown key {k!r} (expected messages, id, meta)")
    msgs = obj["messages"]
    if not isinstance(msgs, list):
        raise ValueError(f'"messages" must be a list, not {_type_name(msgs)}')
    if not msgs:
        raise ValueError('"messages" is empty')
    out: list[dict[str, Any]] = []
    pending_call = False
    for i, m in enumerate(msgs, 1):
        where = f"message {i}"
        if not isinstance(m, dict):
            raise ValueError(f"{where} is {_type_name(m)}, not an object")
        role = m.get("role")
        if role not in ROLE_KEYS:
            shown = (
                repr(role)
                if isinstance(role, str)
                else "missing"
                if role is None
                else _type_name(role)
            )
            raise ValueError(
                f"{where}: unknown role {shown} (expected system, user, assistant or tool)"
            )
        for k in m:
            if k not in ALL_KEYS:
                raise ValueError(f"{where}: unknown key {k!r}")
            if k not in ROLE_KEYS[role]:
                raise ValueError(f"{where}: key {k!r} is not allowed in a {role} message")
        for k in ("content", "thought"):
            if k in m and not isinstance(m[k], str):
                raise ValueError(f'{where}: "{k}" must be a string, not {_type_name(m[k])}')
        for k in ("images", "memories"):
            if k in m and (not isinstance(m[k], list) or not all(isinstance(x, str) for x in m[k])):
                raise ValueError(f'{where}: "{k}" must be a list of strings')
        if pending_call and role != "tool":
            raise ValueError(f"message {i - 1}: tool_call is not followed by a tool message")
        msg = dict(m)
        if "images" in m:
            paths = [p if Path(p).is_absolute() else str(base / p) for p in m["images"]]
            for shown, p in zip(m["images"], paths, strict=True):
                if not Path(p).is_file():
                    raise ValueError(f"{where}: image not found: {shown}")
            msg["images"] = paths
        if role == "system":
            if i != 1:
                raise ValueError(f"{where}: a system message must come first")
            if "content" not in m:
                raise ValueError(f'{where}: system message needs "content"')
        elif role == "user":
            if not m.get("content") and not m.get("images"):
                raise ValueError(f'{where}: user message needs "content" or "images"')
        elif role == "assistant":
            call = m.get("tool_call")
            if call is not None:
                if "content" in m or "images" in m:
                    raise ValueError(f'{where}: an assistant message has "tool_call" or '
                                     f'"content"/"images", not both')  # fmt: skip
                if (
                    not isinstance(call, dict)
                    or not isinstance(call.get("tool"), str)
                    or not call["tool"]
                ):
                    raise ValueError(f'{where}: "tool_call" must be an object with a "tool" name')
                if set(call) - {"tool", "args"}:
                    raise ValueError(f'{where}: "tool_call" has unknown key(s) '
                                     f"{', '.join(sorted(set(call) - {'tool', 'args'}))}")  # fmt: skip
                if not isinstance(call.get("args", {}), dict):
                    raise ValueError(f'{where}: "tool_call" "args" must be an object')
                pending_call = True
            else:
                if not m.get("content") and not m.get("images"):
                    raise ValueError(
                        f'{where}: assistant message needs "content", "images" or "tool_call"'
                    )
                if len(m.get("images", [])) > 1:
                    raise ValueError(f"{where}: an assistant message can carry at most one image")
        else:  # tool
            if not out or out[-1]["role"] != "assistant" or "tool_call" not in out[-1]:
                raise ValueError(f"{where}: a tool message must follow an assistant tool_call")
            res = m.get("tool_result")
            if (not isinstance(res, dict) or set(res) != {"ok", "output"}
                    or not isinstance(res["ok"], bool) or not isinstance(res["output"], str)):  # fmt: skip
                raise ValueError(
                    f'{where}: "tool_result" must be {{"ok": true|false, "output": "..."}}'
                )
            pending_call = False
        out.append(msg)
    if not any(m["role"] == "assistant" for m in out):
        raise ValueError("no assistant message to train on")
    return out


def assistant_answer(thought: str, text: str, image: bytes | None = None) -> Message:
    """``dialogue.answer_step``, but always with a THOUGHT segment (empty if none was given),
    because the agent's step grammar opens every assistant step with one."""
    msg = dialogue.answer_step(thought, text, image)
    if not thought:
        msg = Message("assistant", (Thought(b""), *msg.items))
    return msg


class ChatSource:
    """Conversations from a JSONL file; validated up front, images loaded when used."""

    def __init__(self, path: str | Path, vq: ImageCodec | None = None, val_fraction: float = 0.05,
                 train_roles: Sequence[str] = ("assistant",),
                 system_prompt: str = dialogue.SYSTEM_PROMPT, name: str | None = None) -> None:  # fmt: skip
        self.path = Path(path)
        self.label = str(path)
        self.name = name or f"chat:{self.path.name}"
        self.vq, self.train_roles, self.system_prompt = vq, tuple(train_roles), system_prompt
        if not 0.0 <= val_fraction < 1.0:
            raise ChatFormatError(f"{self.label}: val_fraction must be in [0, 1)")
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise ChatFormatError(f"{self.label}: cannot read ({e.strerror or e})") from None
        except UnicodeDecodeError as e:
            raise ChatFormatError(f"{self.label}: not UTF-8 text ({e.reason})") from None
        self.conversations: list[tuple[int, list[dict[str, Any]]]] = []
        base = self.path.parent
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ChatFormatError(
                    f"{self.label}:{n}: invalid JSON ({e.msg} at column {e.colno})"
                ) from None
            try:
                msgs = validate_conversation(obj, base)
            except ValueError as e:
                raise ChatFormatError(f"{self.label}:{n}: {e}") from None
            if vq is None and any(m.get("images") for m in msgs):
                raise ChatFormatError(
                    f"{self.label}:{n}: has images but no VQ image codec was given (set data.vq)"
                )
            self.conversations.append((n, msgs))
        if not self.conversations:
            raise ChatFormatError(f"{self.label}: no conversations")
        n_val = int(len(self.conversations) * val_fraction)
        cut = len(self.conversations) - n_val
        self._splits = {"train": self.conversations[:cut], "eval": self.conversations[cut:]}

    def __len__(self) -> int:
        return len(self.conversations)

    def _image(self, path: str, line: int) -> tuple[bytes, Any]:
        try:
            img = load_image(path)
        except (OSError, ValueError) as e:
            raise ChatFormatError(f"{self.label}:{line}: cannot read image {path} ({e})") from None
        assert self.vq is not None
        return self.vq.encode(img), image_tensor(img)

    def messages(self, line: int, msgs: list[dict[str, Any]]) -> tuple[list[Message], list[Any]]:
        """Stream messages and the pixel tensors of the user images, in stream order."""
        out: list[Message] = []
        pixels: list[Any] = []
        if msgs[0]["role"] != "system":
            out.append(dialogue.system_message(self.system_prompt))
        for m in msgs:
            role = m["role"]
            if role == "system":
                out.append(dialogue.system_message(m["content"]))
            elif role == "user":
                codes = []
                for p in m.get("images", []):
                    c, px = self._image(p, line)
                    codes.append(c)
                    pixels.append(px)
                out.append(dialogue.user_message(m.get("content", ""), memories=m.get("memories", ()),
                                                 images=codes))  # fmt: skip
            elif role == "assistant" and "tool_call" in m:
                call = m["tool_call"]
                out.append(
                    dialogue.tool_step(m.get("thought", ""), call["tool"], call.get("args", {}))
                )
            elif role == "assistant":
                image = self._image(m["images"][0], line)[0] if m.get("images") else None
                out.append(assistant_answer(m.get("thought", ""), m.get("content", ""), image))
            else:
                res = m["tool_result"]
                out.append(dialogue.tool_message(res["ok"], res["output"]))
        return out, pixels

    def example(self, index: int, split: str = "train") -> Example:
        line, msgs = self._splits[norm_split(split)][index]
        messages, pixels = self.messages(line, msgs)
        tokens, mask = encode_with_mask(messages, train_roles=self.train_roles)
        return Example(tokens, mask, pixels)

    def examples(self, rng: random.Random, split: str = "train") -> Iterator[Example]:
        """Train: conversations drawn at random, forever. Val: each held-out one once."""
        split = norm_split(split)
        convs = self._splits[split]
        if split == "train":
            if not convs:
                return
            while True:
                yield self.example(rng.randrange(len(convs)), split)
        else:
            for i in range(len(convs)):
                yield self.example(i, split)
