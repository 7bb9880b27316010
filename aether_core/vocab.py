"""The one table of token ids: 0-255 are literal bytes, 256+ are special markers.

Every producer of token streams (training data, the agent, evaluation) goes through this table,
so a checkpoint trained today keeps speaking to tomorrow's agent. Never renumber an existing id:
append new markers instead.
"""

from __future__ import annotations

from enum import IntEnum

VOCAB_SIZE = 512
N_BYTES = 256


class Tok(IntEnum):
    """Special token ids (stable across releases)."""

    BOS = 256  # start of a stream
    EOS = 257  # end of a message
    PAD = 258  # padding, never attended to
    SYSTEM = 259  # role markers open a message
    USER = 260
    ASSISTANT = 261
    IMG_START = 262  # image: 128 VQ codes, one byte each
    IMG_END = 263
    TOOL = 264  # role of a tool-result message
    THOUGHT_START = 265
    THOUGHT_END = 266
    CALL_START = 267  # tool call: JSON {"tool": name, "args": {...}}
    CALL_END = 268
    RESULT_START = 269  # tool result: b"ok\n" or b"error\n" + output
    RESULT_END = 270
    MEM_START = 271  # a recalled memory snippet
    MEM_END = 272
    FILE_START = 273  # any file as bytes: name NUL kind NUL payload
    FILE_END = 274
    STREAM = 275  # length prefix of a segment the model writes itself: "until END"


SPECIAL_NAMES: dict[int, str] = {int(t): t.name for t in Tok}
ROLE_TOKENS: dict[str, int] = {
    "system": Tok.SYSTEM,
    "user": Tok.USER,
    "assistant": Tok.ASSISTANT,
    "tool": Tok.TOOL,
}
ROLE_BY_TOKEN: dict[int, str] = {v: k for k, v in ROLE_TOKENS.items()}


def is_byte(token: int) -> bool:
    return 0 <= token < N_BYTES


def is_special(token: int) -> bool:
    return N_BYTES <= token < VOCAB_SIZE


def token_name(token: int) -> str:
    """Human-readable name of a token, for debugging views and error messages."""
    if is_byte(token):
        return repr(bytes([token]))[2:-1]
    return f"<{SPECIAL_NAMES.get(token, f'SPECIAL_{token}')}>"


def encode_bytes(data: bytes) -> list[int]:
    return list(data)


def decode_bytes(tokens: list[int]) -> bytes:
    """Bytes of the byte tokens, dropping specials (for display of raw streams)."""
    return bytes(t for t in tokens if is_byte(t))
