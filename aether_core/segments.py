"""Typed segments and the conversation <-> token-stream codec.

A stream is ``BOS`` then messages. A message is a role marker, its items, then ``EOS``. Text items
are raw byte tokens; every other item is a segment ``START, LENGTH, payload, END``. LENGTH is a
LEB128 varint written as byte tokens, or the single ``STREAM`` token for the segments the model
writes itself (thoughts and tool calls), whose length cannot be known before they are written.
Since payload bytes are ids 0-255 and markers are 256+, framing is unambiguous either way; the
length prefix is an integrity check that catches truncation. This codec is the contract between
training data and the agent: both use it, nothing else builds streams.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import AetherError
from .vocab import N_BYTES, ROLE_BY_TOKEN, ROLE_TOKENS, Tok, token_name

MAX_SEGMENT_BYTES = 1 << 21  # three varint tokens


class SegmentError(AetherError, ValueError):
    """A token stream that does not follow the segment grammar."""


# ----------------------------------------------------------------------------------- items
@dataclass(frozen=True)
class Text:
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class _Segment:
    """Base for framed items: ``START`` + length + payload + ``END``."""

    START: ClassVar[int]
    END: ClassVar[int]
    STREAMED: ClassVar[bool] = False  # written with the STREAM length marker

    def payload(self) -> bytes:
        return self.data  # type: ignore[attr-defined]

    @classmethod
    def from_payload(cls, payload: bytes) -> _Segment:
        return cls(payload)  # type: ignore[call-arg]

    @property
    def text(self) -> str:
        return self.payload().decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Thought(_Segment):
    data: bytes
    START: ClassVar[int] = Tok.THOUGHT_START
    END: ClassVar[int] = Tok.THOUGHT_END
    STREAMED: ClassVar[bool] = True


@dataclass(frozen=True)
class ToolCall(_Segment):
    """Payload is JSON ``{"tool": name, "args": {...}}``."""

    data: bytes
    START: ClassVar[int] = Tok.CALL_START
    END: ClassVar[int] = Tok.CALL_END
    STREAMED: ClassVar[bool] = True

    @classmethod
    def make(cls, tool: str, args: dict[str, Any]) -> ToolCall:
        body = json.dumps({"tool": tool, "args": args}, ensure_ascii=False, separators=(", ", ": "))
        return cls(body.encode())

    def parse(self) -> tuple[str, dict[str, Any]]:
        """(tool, args), or SegmentError when the payload is not a well-formed call."""
        try:
            obj = json.loads(self.data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SegmentError(f"tool call is not valid JSON: {e}") from None
        except RecursionError:
            raise SegmentError("tool call is not valid JSON: nested too deeply") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("tool"), str):
            raise SegmentError('tool call must be an object with a string "tool"')
        args = obj.get("args", {})
        if not isinstance(args, dict):
            raise SegmentError('tool call "args" must be an object')
        return obj["tool"], args


@dataclass(frozen=True)
class ToolResult(_Segment):
    """Payload is ``ok\\n`` or ``error\\n`` followed by the tool's output."""

    ok: bool
    output: bytes
    START: ClassVar[int] = Tok.RESULT_START
    END: ClassVar[int] = Tok.RESULT_END

    def payload(self) -> bytes:
        return (b"ok\n" if self.ok else b"error\n") + self.output

    @classmethod
    def from_payload(cls, payload: bytes) -> ToolResult:
        head, sep, rest = payload.partition(b"\n")
        if not sep or head not in (b"ok", b"error"):
            raise SegmentError("tool result must start with 'ok' or 'error' and a newline")
        return cls(head == b"ok", rest)

    @classmethod
    def make(cls, ok: bool, output: str) -> ToolResult:
        return cls(ok, output.encode("utf-8", errors="replace"))


@dataclass(frozen=True)
class Image(_Segment):
    """An image as VQ codes, one byte each (128 for the TinyVQVAE)."""

    data: bytes
    START: ClassVar[int] = Tok.IMG_START
    END: ClassVar[int] = Tok.IMG_END


@dataclass(frozen=True)
class Memory(_Segment):
    data: bytes
    START: ClassVar[int] = Tok.MEM_START
    END: ClassVar[int] = Tok.MEM_END


@dataclass(frozen=True)
class File(_Segment):
    """Any file as raw bytes, with its name and detected kind."""

    name: str
    kind: str
    data: bytes = field(repr=False)
    START: ClassVar[int] = Tok.FILE_START
    END: ClassVar[int] = Tok.FILE_END

    def payload(self) -> bytes:
        if "\0" in self.name or "\0" in self.kind:
            raise SegmentError(f"file name/kind must not contain NUL: {self.name!r}, {self.kind!r}")
        return self.name.encode() + b"\0" + self.kind.encode() + b"\0" + self.data

    @classmethod
    def from_payload(cls, payload: bytes) -> File:
        parts = payload.split(b"\0", 2)
        if len(parts) != 3:
            raise SegmentError("file segment must hold name NUL kind NUL bytes")
        try:
            return cls(parts[0].decode(), parts[1].decode(), parts[2])
        except UnicodeDecodeError:
            raise SegmentError("file segment name or kind is not UTF-8") from None


Item = Text | Thought | ToolCall | ToolResult | Image | Memory | File
SEGMENT_TYPES: tuple[type[_Segment], ...] = (Thought, ToolCall, ToolResult, Image, Memory, File)
_BY_START = {t.START: t for t in SEGMENT_TYPES}
_END_TOKENS = {t.END for t in SEGMENT_TYPES}


@dataclass(frozen=True)
class Message:
    role: str
    items: tuple[Item, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLE_TOKENS:
            raise SegmentError(f"unknown role {self.role!r}")

    @classmethod
    def text(cls, role: str, text: str) -> Message:
        return cls(role, (Text(text.encode()),) if text else ())

    def of(self, kind: type) -> list:
        return [i for i in self.items if isinstance(i, kind)]

    @property
    def plain_text(self) -> str:
        return self._joined(Text)

    @property
    def thought_text(self) -> str:
        return self._joined(Thought)

    def _joined(self, kind: type) -> str:
        return b"".join(i.data for i in self.of(kind)).decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------------- encoding
def leb128(n: int) -> bytes:
    """Unsigned LEB128: 7 bits per byte, low first, high bit set on all but the last."""
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def encode_varint(n: int) -> list[int]:
    if n < 0 or n >= MAX_SEGMENT_BYTES:
        raise SegmentError(f"segment length {n} out of range (max {MAX_SEGMENT_BYTES - 1})")
    return list(leb128(n))


def encode_item(item: Item) -> list[int]:
    if isinstance(item, Text):
        return list(item.data)
    payload = item.payload()
    length = [int(Tok.STREAM)] if item.STREAMED else encode_varint(len(payload))
    return [int(item.START), *length, *payload, int(item.END)]


def encode_message(msg: Message) -> list[int]:
    out = [ROLE_TOKENS[msg.role]]
    for item in msg.items:
        out.extend(encode_item(item))
    out.append(int(Tok.EOS))
    return out


def encode(messages: Iterable[Message], bos: bool = True) -> list[int]:
    out = [int(Tok.BOS)] if bos else []
    for m in messages:
        out.extend(encode_message(m))
    return out


def encode_with_mask(
    messages: Iterable[Message], train_roles: Sequence[str] = ("assistant",), bos: bool = True
) -> tuple[list[int], list[bool]]:
    """Tokens plus a loss mask: True where the token is a target the model should learn to write.

    Role markers are written by the agent, not the model, so they are never targets; everything
    after the marker up to and including EOS is.
    """
    tokens = [int(Tok.BOS)] if bos else []
    mask = [False] * len(tokens)
    for m in messages:
        toks = encode_message(m)
        train = m.role in train_roles
        tokens.extend(toks)
        mask.extend([False] + [train] * (len(toks) - 1))
    return tokens, mask


# ----------------------------------------------------------------------------------- decoding
def _where(tokens: Sequence[int], i: int) -> str:
    near = " ".join(token_name(t) for t in tokens[max(0, i - 3) : i + 3])
    return f"at token {i} (near {near})"


def _read_segment(tokens: Sequence[int], i: int) -> tuple[_Segment, int]:
    """Parse the segment whose START is at ``i``; return it and the index after its END."""
    kind = _BY_START[tokens[i]]
    name = Tok(kind.START).name
    j = i + 1
    if j >= len(tokens):
        raise SegmentError(f"{name} segment truncated before its length {_where(tokens, i)}")
    if tokens[j] == Tok.STREAM:
        j += 1
        end = j
        while end < len(tokens) and tokens[end] < N_BYTES:
            end += 1
        if end >= len(tokens):
            raise SegmentError(f"{name} segment has no {Tok(kind.END).name} {_where(tokens, i)}")
    else:
        n, shift = 0, 0
        while True:
            if j >= len(tokens):
                raise SegmentError(f"{name} segment length truncated {_where(tokens, i)}")
            b = tokens[j]
            if b >= N_BYTES:
                raise SegmentError(f"{name} segment length holds a marker {_where(tokens, j)}")
            n |= (b & 0x7F) << shift
            j += 1
            if not b & 0x80:
                break
            shift += 7
            if shift > 14:
                raise SegmentError(f"{name} segment length too long {_where(tokens, i)}")
        end = j + n
        if end >= len(tokens):
            raise SegmentError(
                f"{name} segment truncated: declares {n} bytes, stream ends {_where(tokens, i)}"
            )
        bad = next((k for k in range(j, end) if tokens[k] >= N_BYTES), None)
        if bad is not None:
            raise SegmentError(
                f"{name} segment declares {n} bytes but a marker interrupts it {_where(tokens, bad)}"
            )
    if tokens[end] != kind.END:
        raise SegmentError(
            f"{name} segment: expected {Tok(kind.END).name}, found {token_name(tokens[end])} "
            f"{_where(tokens, end)}"
        )
    return kind.from_payload(bytes(tokens[j:end])), end + 1


def decode(tokens: Sequence[int]) -> list[Message]:
    """Inverse of :func:`encode`. Raises :class:`SegmentError` on any malformed input."""
    tokens = [int(t) for t in tokens]
    for k, t in enumerate(tokens):
        if not 0 <= t < 512:
            raise SegmentError(f"token id {t} out of range {_where(tokens, k)}")
    i = 1 if tokens and tokens[0] == Tok.BOS else 0
    messages: list[Message] = []
    while i < len(tokens):
        role = ROLE_BY_TOKEN.get(tokens[i])
        if role is None:
            raise SegmentError(
                f"expected a role marker, found {token_name(tokens[i])} {_where(tokens, i)}"
            )
        i += 1
        items: list[Item] = []
        text = bytearray()
        while True:
            if i >= len(tokens):
                raise SegmentError(f"{role} message truncated: no EOS {_where(tokens, i)}")
            t = tokens[i]
            if t < N_BYTES:
                text.append(t)
                i += 1
                continue
            if text:
                items.append(Text(bytes(text)))
                text = bytearray()
            if t == Tok.EOS:
                i += 1
                break
            if t in _BY_START:
                seg, i = _read_segment(tokens, i)
                items.append(seg)  # type: ignore[arg-type]
                continue
            what = "segment END without START" if t in _END_TOKENS else "unexpected marker"
            raise SegmentError(f"{what} {token_name(t)} in {role} message {_where(tokens, i)}")
        messages.append(Message(role, tuple(items)))
    return messages


def canonical(messages: Iterable[Message]) -> list[Message]:
    """Merge adjacent text items and drop empty ones: the form decode(encode(x)) returns."""
    return decode(encode(messages))
