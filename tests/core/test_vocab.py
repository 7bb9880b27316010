"""The token table: byte ids 0-255, special markers 256+, stable numbering."""

from __future__ import annotations

from aether_core import vocab
from aether_core.vocab import (
    N_BYTES,
    ROLE_BY_TOKEN,
    ROLE_TOKENS,
    SPECIAL_NAMES,
    VOCAB_SIZE,
    Tok,
    decode_bytes,
    encode_bytes,
    is_byte,
    is_special,
    token_name,
)


def test_sizes():
    assert N_BYTES == 256
    assert VOCAB_SIZE == 512


def test_stable_ids():
    # These ids are baked into checkpoints: renumbering any of them breaks every trained model.
    expected = {
        "BOS": 256,
        "EOS": 257,
        "PAD": 258,
        "SYSTEM": 259,
        "USER": 260,
        "ASSISTANT": 261,
        "IMG_START": 262,
        "IMG_END": 263,
        "TOOL": 264,
        "THOUGHT_START": 265,
        "THOUGHT_END": 266,
        "CALL_START": 267,
        "CALL_END": 268,
        "RESULT_START": 269,
        "RESULT_END": 270,
        "MEM_START": 271,
        "MEM_END": 272,
        "FILE_START": 273,
        "FILE_END": 274,
        "STREAM": 275,
    }
    assert {t.name: int(t) for t in Tok} == expected


def test_specials_unique_and_in_range():
    ids = [int(t) for t in Tok]
    assert len(ids) == len(set(ids))
    assert all(N_BYTES <= i < VOCAB_SIZE for i in ids)
    assert SPECIAL_NAMES == {int(t): t.name for t in Tok}


def test_byte_and_special_ranges():
    assert all(is_byte(i) and not is_special(i) for i in range(256))
    assert all(is_special(i) and not is_byte(i) for i in range(256, 512))
    for i in (-1, 512, 10_000):
        assert not is_byte(i) and not is_special(i)


def test_roles():
    assert ROLE_TOKENS == {
        "system": Tok.SYSTEM,
        "user": Tok.USER,
        "assistant": Tok.ASSISTANT,
        "tool": Tok.TOOL,
    }
    assert {v: k for k, v in ROLE_BY_TOKEN.items()} == ROLE_TOKENS


def test_token_name():
    assert token_name(ord("a")) == "a"
    assert token_name(0) == "\\x00"
    assert token_name(ord("\n")) == "\\n"
    assert token_name(0xFF) == "\\xff"
    assert token_name(Tok.BOS) == "<BOS>"
    assert token_name(262) == "<IMG_START>"
    assert token_name(Tok.STREAM) == "<STREAM>"
    assert token_name(400) == "<SPECIAL_400>"  # reserved, not yet named
    # every token has a distinct, non-empty name
    names = [token_name(i) for i in range(VOCAB_SIZE)]
    assert all(names) and len(set(names)) == VOCAB_SIZE


def test_bytes_helpers():
    data = bytes(range(256))
    assert encode_bytes(data) == list(range(256))
    assert decode_bytes([Tok.BOS, 104, Tok.USER, 105, Tok.EOS]) == b"hi"
    assert decode_bytes(encode_bytes(data)) == data
    assert vocab.decode_bytes([]) == b""
