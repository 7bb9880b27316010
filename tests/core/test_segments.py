"""The conversation <-> token-stream codec: exact round trips, the loss mask, and malformed input."""

from __future__ import annotations

import json
import random

import pytest

from aether_core.errors import AetherError
from aether_core.segments import (
    MAX_SEGMENT_BYTES,
    File,
    Image,
    Memory,
    Message,
    SegmentError,
    Text,
    Thought,
    ToolCall,
    ToolResult,
    canonical,
    decode,
    encode,
    encode_item,
    encode_message,
    encode_varint,
    encode_with_mask,
)
from aether_core.vocab import Tok

ROLES = ("system", "user", "assistant", "tool")
B, E = int(Tok.BOS), int(Tok.EOS)
U, A, S, T = int(Tok.USER), int(Tok.ASSISTANT), int(Tok.SYSTEM), int(Tok.TOOL)


def b(s: str) -> list[int]:
    return list(s.encode())


# ------------------------------------------------------------------------------ items / layout
def every_item() -> list:
    return [
        Text("héllo wörld\n\t".encode()),
        Thought(b"let me think {about} this"),
        ToolCall.make("calc", {"expr": "1+2", "nested": {"a": [1, 2.5, None, True]}}),
        ToolResult(True, b"3"),
        ToolResult(False, b"Traceback: boom\nline 2"),
        ToolResult(True, b""),
        Image(bytes(range(128))),
        Image(bytes(range(128, 256))),
        Memory("the user likes tea ☕".encode()),
        File("a b.bin", "application/octet-stream", bytes(range(256)) + b"\0\0\x00end\0"),
        File("empty", "text/plain", b""),
        File("", "", b"\0"),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_round_trip_every_item_every_role(role):
    # Text items are separated by segments so the list is already canonical.
    for item in every_item():
        msgs = [Message(role, (item,))]
        assert decode(encode(msgs)) == msgs
    # all items in one message, with text between segments
    items = []
    for item in every_item():
        if not isinstance(item, Text):
            items += [Text(b"x"), item]
    msg = Message(role, tuple(items))
    assert decode(encode([msg])) == [msg]


def test_round_trip_conversation_and_empty():
    convo = [Message(r, (i,)) for r in ROLES for i in every_item()]
    convo.append(Message("assistant", ()))
    toks = encode(convo)
    assert decode(toks) == convo
    assert decode(encode(convo, bos=False)) == convo
    assert decode([]) == [] and decode([B]) == []
    assert encode([Message("user", ())]) == [B, U, E]


def test_exact_layout():
    msg = Message("user", (Text(b"hi"), Image(b"\x01\xff"), Thought(b"t"), ToolCall(b"{}")))
    assert encode([msg]) == [
        B,
        U,
        *b("hi"),
        Tok.IMG_START, 2, 1, 255, Tok.IMG_END,
        Tok.THOUGHT_START, Tok.STREAM, *b("t"), Tok.THOUGHT_END,
        Tok.CALL_START, Tok.STREAM, *b("{}"), Tok.CALL_END,
        E,
    ]  # fmt: skip
    assert encode_item(ToolResult(False, b"x")) == [
        Tok.RESULT_START, 7, *b("error\nx"), Tok.RESULT_END
    ]  # fmt: skip
    assert encode_item(File("n", "k", b"\0")) == [
        Tok.FILE_START, 5, *b("n\0k\0\0"), Tok.FILE_END
    ]  # fmt: skip
    assert encode_message(Message("tool", ())) == [T, E]


def test_file_binary_payload_with_nuls():
    data = b"\0\x01\0\xff\xfe\0" * 50
    f = File("weird\tname.dat", "application/x-thing", data)
    (msg,) = decode(encode([Message("user", (f,))]))
    (got,) = msg.items
    assert isinstance(got, File)
    assert (got.name, got.kind, got.data) == (f.name, f.kind, data)


def test_file_name_with_nul_is_rejected_on_encode():
    # A NUL in name/kind would silently shift the fields on decode.
    with pytest.raises(SegmentError, match="NUL"):
        encode([Message("user", (File("a\0b", "k", b"x"),))])
    with pytest.raises(SegmentError, match="NUL"):
        encode_item(File("a", "k\0", b"x"))


def test_canonical_merges_text_and_drops_empty():
    msgs = [Message("user", (Text(b"ab"), Text(b""), Text(b"cd"), Memory(b"m"), Text(b"")))]
    assert canonical(msgs) == [Message("user", (Text(b"abcd"), Memory(b"m")))]
    assert Message.text("user", "") == Message("user", ())
    assert Message.text("user", "hé").plain_text == "hé"


def test_message_helpers():
    m = Message("assistant", (Text(b"a"), Thought(b"t"), Text(b"b"), ToolCall.make("x", {})))
    assert m.plain_text == "ab"
    assert m.of(Thought) == [Thought(b"t")]
    assert [c.parse() for c in m.of(ToolCall)] == [("x", {})]
    assert Thought(b"caf\xc3\xa9").text == "café"
    assert ToolResult.make(False, "boom").payload() == b"error\nboom"
    assert ToolResult.make(True, "ok").text == "ok\nok"


def test_unknown_role_rejected():
    with pytest.raises(SegmentError, match="unknown role"):
        Message("robot", ())


# ------------------------------------------------------------------------------ random round trips
def _rand_bytes(rng: random.Random, n_max: int) -> bytes:
    n = rng.choice([0, 1, 2, rng.randint(0, n_max)])
    return bytes(rng.randrange(256) for _ in range(n))


def _rand_segment(rng: random.Random):
    kind = rng.randrange(7)
    if kind == 0:
        return Thought(_rand_bytes(rng, 40))
    if kind == 1:
        args = {rng.choice("abc"): rng.choice([1, "s\0é", [None], {"k": 2.5}])}
        return ToolCall.make(rng.choice(["calc", "fetch", "ünï"]), args)
    if kind == 2:
        return ToolCall(_rand_bytes(rng, 30))  # the codec itself does not require valid JSON
    if kind == 3:
        return ToolResult(rng.random() < 0.5, _rand_bytes(rng, 40))
    if kind == 4:
        return Image(bytes(rng.randrange(256) for _ in range(128)))
    if kind == 5:
        return Memory(_rand_bytes(rng, 40))
    name = "".join(rng.choice("ab.é ") for _ in range(rng.randint(0, 6)))
    return File(name, rng.choice(["", "text/plain", "image/png"]), _rand_bytes(rng, 60))


def random_conversation(rng: random.Random) -> list[Message]:
    msgs = []
    for _ in range(rng.randint(0, 6)):
        items: list = []
        for _ in range(rng.randint(0, 5)):
            if rng.random() < 0.4 and not (items and isinstance(items[-1], Text)):
                data = _rand_bytes(rng, 30) or b"x"
                items.append(Text(data))
            else:
                items.append(_rand_segment(rng))
        msgs.append(Message(rng.choice(ROLES), tuple(items)))
    return msgs


def test_random_conversations_round_trip():
    rng = random.Random(1234)
    for _ in range(300):
        convo = random_conversation(rng)
        toks = encode(convo)
        assert all(0 <= t < 512 for t in toks)
        assert decode(toks) == convo
        tokens, mask = encode_with_mask(convo)
        assert tokens == toks and len(mask) == len(toks)


# ------------------------------------------------------------------------------ varint lengths
@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, [0]),
        (1, [1]),
        (127, [127]),
        (128, [0x80, 0x01]),
        (300, [0xAC, 0x02]),
        (16383, [0xFF, 0x7F]),
        (16384, [0x80, 0x80, 0x01]),
        (MAX_SEGMENT_BYTES - 1, [0xFF, 0xFF, 0x7F]),
    ],
)
def test_varint_encoding(n, expected):
    assert encode_varint(n) == expected


@pytest.mark.parametrize("n", [-1, MAX_SEGMENT_BYTES])
def test_varint_out_of_range(n):
    with pytest.raises(SegmentError, match="out of range"):
        encode_varint(n)


@pytest.mark.parametrize("n", [0, 127, 128, 16383, 16384])
def test_varint_boundaries_round_trip(n):
    data = bytes((i * 7) % 256 for i in range(n))
    msg = Message("user", (Memory(data),))
    toks = encode([msg])
    assert toks[3 : 3 + len(encode_varint(n))] == encode_varint(n)
    assert decode(toks) == [msg]
    # one payload byte fewer than declared is caught
    short = toks[:-3] + toks[-2:]  # drop the last payload byte (keep END, EOS)
    if n:
        with pytest.raises(SegmentError):
            decode(short)


# ------------------------------------------------------------------------------ loss mask
def test_encode_with_mask():
    convo = [
        Message("system", (Text(b"be nice"),)),
        Message("user", (Text(b"hi"), Image(b"\x00\x01"))),
        Message("assistant", (Thought(b"t"), Text(b"hello"), ToolCall.make("echo", {}))),
        Message("tool", (ToolResult(True, b"done"),)),
        Message("assistant", (Text(b"ok"),)),
    ]
    tokens, mask = encode_with_mask(convo)
    assert tokens == encode(convo)
    assert len(mask) == len(tokens)
    assert mask[0] is False  # BOS
    pos = 1
    for m in convo:
        toks = encode_message(m)
        span = mask[pos : pos + len(toks)]
        assert tokens[pos] in (S, U, A, T)
        assert span[0] is False  # the role marker is never a target
        want = m.role == "assistant"
        assert span[1:] == [want] * (len(toks) - 1)  # content and the EOS
        assert tokens[pos + len(toks) - 1] == E
        pos += len(toks)
    assert pos == len(tokens)
    # the mask is exactly: inside assistant messages, after the marker
    n_targets = sum(len(encode_message(m)) - 1 for m in convo if m.role == "assistant")
    assert sum(mask) == n_targets


def test_encode_with_mask_roles_and_bos():
    convo = [Message.text("user", "q"), Message.text("assistant", "a")]
    tokens, mask = encode_with_mask(convo, train_roles=("user",), bos=False)
    assert tokens == [U, ord("q"), E, A, ord("a"), E]
    assert mask == [False, True, True, False, False, False]
    tokens, mask = encode_with_mask(convo, train_roles=())
    assert not any(mask) and tokens[0] == B


# ------------------------------------------------------------------------------ malformed input
MS, ME = int(Tok.MEM_START), int(Tok.MEM_END)
TS, TE = int(Tok.THOUGHT_START), int(Tok.THOUGHT_END)
RS, RE = int(Tok.RESULT_START), int(Tok.RESULT_END)
FS, FE = int(Tok.FILE_START), int(Tok.FILE_END)
IS, IE = int(Tok.IMG_START), int(Tok.IMG_END)
STREAM = int(Tok.STREAM)

MALFORMED = {
    "truncated mid payload": ([B, U, MS, 5, *b("hel")], r"truncated: declares 5 bytes"),
    "truncated before END": ([B, U, MS, 2, *b("hi")], r"truncated"),
    "truncated before length": ([B, U, MS], r"truncated before its length"),
    "truncated varint": ([B, U, MS, 0x80], r"length truncated"),
    "truncated multi-byte varint": ([B, U, MS, 0x80, 0x80], r"length truncated"),
    "varint too long": ([B, U, MS, 0x80, 0x80, 0x80, 0x01, E], r"length too long"),
    "marker in length": ([B, U, MS, 0x80, E], r"length holds a marker"),
    "declared longer (marker inside span)": (
        [B, U, MS, 5, *b("hi"), ME, E, U, *b("abc"), E],
        r"declares 5 bytes but a marker interrupts",
    ),
    "declared shorter": ([B, U, MS, 1, *b("hi"), ME, E], r"expected MEM_END, found i"),
    "wrong END": ([B, U, MS, 2, *b("hi"), IE, E], r"expected MEM_END, found <IMG_END>"),
    "END without START": ([B, U, *b("x"), ME, E], r"END without START <MEM_END>"),
    "nested START in payload": ([B, U, MS, 3, 97, IS, 98, ME, E], r"marker interrupts"),
    "nested START in stream": (
        [B, A, TS, STREAM, 97, IS, 0, IE, TE, E],
        r"expected THOUGHT_END, found <IMG_START>",
    ),
    "missing EOS at end": ([B, U, *b("hi")], r"no EOS"),
    "missing EOS before next message": ([B, U, *b("hi"), A, *b("yo"), E], r"unexpected marker"),
    "token -1": ([B, U, -1, E], r"token id -1 out of range"),
    "token 512": ([B, U, 512, E], r"token id 512 out of range"),
    "stray marker instead of role": ([B, int(Tok.PAD), E], r"expected a role marker"),
    "bytes instead of role": ([B, *b("hi"), E], r"expected a role marker, found h"),
    "unnamed special as role": ([B, 400, E], r"expected a role marker, found <SPECIAL_400>"),
    "BOS mid stream": ([B, U, E, B, U, E], r"expected a role marker, found <BOS>"),
    "stray PAD in message": ([B, U, int(Tok.PAD), E], r"unexpected marker <PAD>"),
    "stray STREAM in message": ([B, U, STREAM, E], r"unexpected marker <STREAM>"),
    "role marker inside message": ([B, U, A, E], r"unexpected marker <ASSISTANT>"),
    "STREAM without END at end": ([B, A, TS, STREAM, *b("abc")], r"has no THOUGHT_END"),
    "STREAM closed by EOS": (
        [B, A, TS, STREAM, *b("abc"), E],
        r"expected THOUGHT_END, found <EOS>",
    ),
    "bad ToolResult prefix": ([B, T, RS, 7, *b("maybe\nx"), RE, E], r"must start with 'ok' or"),
    "ToolResult without newline": ([B, T, RS, 2, *b("ok"), RE, E], r"must start with 'ok' or"),
    "File without NULs": ([B, U, FS, 3, *b("abc"), FE, E], r"name NUL kind NUL"),
    "File with one NUL": ([B, U, FS, 4, *b("a\0bc"), FE, E], r"name NUL kind NUL"),
    "File name not UTF-8": ([B, U, FS, 4, 0xFF, 0, 0, 0, FE, E], r"not UTF-8"),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_raises_segment_error(case):
    tokens, pattern = MALFORMED[case]
    with pytest.raises(SegmentError, match=pattern) as info:
        decode(tokens)
    err = info.value
    assert isinstance(err, AetherError) and isinstance(err, ValueError)
    msg = str(err)
    assert "\n" not in msg and len(msg) < 300  # one clear line


def test_error_message_locates_the_problem():
    with pytest.raises(SegmentError, match=r"at token 5 \(near .*<MEM_END>"):
        decode([B, U, *b("abc"), ME, E])


def _mutate(rng: random.Random, toks: list[int]) -> list[int]:
    toks = list(toks)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(4)
        i = rng.randrange(len(toks) + 1)
        if op == 0:  # truncate
            toks = toks[:i]
        elif op == 1 and toks:  # delete
            del toks[min(i, len(toks) - 1)]
        elif op == 2:  # insert
            toks.insert(i, rng.choice([rng.randrange(256), rng.randrange(256, 277), -1, 512]))
        elif toks:  # replace
            toks[min(i, len(toks) - 1)] = rng.randrange(-1, 513)
    return toks


def test_fuzz_decode_only_raises_segment_error():
    rng = random.Random(99)
    outcomes = {"ok": 0, "error": 0}
    for n in range(3000):
        if n % 2:
            length = rng.randint(0, 30)
            toks = [
                rng.randrange(256, 277) if rng.random() < 0.3 else rng.randrange(256)
                for _ in range(length)
            ]
            if rng.random() < 0.5:
                toks = [B, rng.choice([S, U, A, T]), *toks]
        else:
            toks = _mutate(rng, encode(random_conversation(rng)))
        try:
            msgs = decode(toks)
        except SegmentError as e:
            assert str(e)
            outcomes["error"] += 1
            continue
        # anything accepted is a conversation that survives re-encoding unchanged
        assert all(isinstance(m, Message) for m in msgs)
        assert decode(encode(msgs)) == msgs
        outcomes["ok"] += 1
    assert outcomes["ok"] > 100 and outcomes["error"] > 100


# ------------------------------------------------------------------------------ tool calls
def test_tool_call_make_parse_round_trip():
    args = {"q": 'naïve "quotes" \n and \\ slashes', "n": 3, "list": [1, {"x": None}]}
    call = ToolCall.make("web_search", args)
    assert json.loads(call.data) == {"tool": "web_search", "args": args}
    assert call.parse() == ("web_search", args)
    assert "naïve".encode() in call.data  # not \u-escaped: the model writes raw UTF-8
    (msg,) = decode(encode([Message("assistant", (call,))]))
    assert msg.items[0].parse() == ("web_search", args)
    assert ToolCall(b'{"tool": "clock"}').parse() == ("clock", {})


@pytest.mark.parametrize(
    ("payload", "pattern"),
    [
        (b'{"tool": "calc", "args": ', r"not valid JSON"),
        (b"not json", r"not valid JSON"),
        (b"\xff\xfe", r"not valid JSON"),
        (b"", r"not valid JSON"),
        (b"[" * 100_000, r"not valid JSON"),
        (b'["calc", {}]', r'string "tool"'),
        (b'{"args": {}}', r'string "tool"'),
        (b'{"tool": 5, "args": {}}', r'string "tool"'),
        (b'{"tool": "calc", "args": [1, 2]}', r'"args" must be an object'),
        (b'{"tool": "calc", "args": "x"}', r'"args" must be an object'),
        (b'{"tool": "calc", "args": null}', r'"args" must be an object'),
    ],
)
def test_tool_call_parse_errors(payload, pattern):
    with pytest.raises(SegmentError, match=pattern):
        ToolCall(payload).parse()
