from __future__ import annotations

import json
import random

import pytest
from PIL import Image

from aether_core.data.chat import ChatFormatError, ChatSource
from aether_core.segments import Image as ImageSeg
from aether_core.segments import Memory, Thought, ToolCall, ToolResult, decode
from aether_core.vocab import Tok

GOOD = {
    "messages": [
        {"role": "user", "content": "look", "images": ["pic.png"], "memories": ["my cat is Rex"]},
        {"role": "assistant", "thought": "Describe the image.", "content": "A red square."},
        {"role": "user", "content": "and 37*(12+5)?"},
        {
            "role": "assistant",
            "thought": "Arithmetic: use calc.",
            "tool_call": {"tool": "calc", "args": {"expression": "37*(12+5)"}},
        },
        {"role": "tool", "tool_result": {"ok": True, "output": "629"}},
        {"role": "assistant", "content": "629."},
    ]
}


def write(tmp_path, *objs, raw: str | None = None):
    p = tmp_path / "chat.jsonl"
    p.write_text(raw if raw is not None else "\n".join(json.dumps(o) for o in objs) + "\n")
    return p


@pytest.fixture
def pic(tmp_path):
    Image.new("RGB", (100, 80), (200, 10, 10)).save(tmp_path / "pic.png")


def test_parses_into_the_agent_stream(tmp_path, pic, fake_vq):
    src = ChatSource(write(tmp_path, GOOD), vq=fake_vq, val_fraction=0)
    ex = next(src.examples(random.Random(0)))
    msgs = decode(ex.tokens)
    assert [m.role for m in msgs] == ["system", "user", "assistant", "user", "assistant", "tool",
                                      "assistant"]  # fmt: skip
    user = msgs[1]
    assert user.of(Memory)[0].text == "my cat is Rex" and len(user.of(ImageSeg)[0].data) == 128
    assert user.plain_text == "look"
    assert msgs[4].of(ToolCall)[0].parse() == ("calc", {"expression": "37*(12+5)"})
    assert msgs[5].of(ToolResult)[0].output == b"629"
    # a missing thought is written as an empty THOUGHT: the agent's grammar always opens with one
    assert msgs[6].items[0] == Thought(b"") and msgs[6].plain_text == "629."
    assert len(ex.images) == 1 and tuple(ex.images[0].shape) == (3, 64, 64)
    assert 0.0 <= float(ex.images[0].min()) and float(ex.images[0].max()) <= 1.0


def test_loss_mask_is_exactly_the_assistant_messages(tmp_path, pic, fake_vq):
    ex = next(
        ChatSource(write(tmp_path, GOOD), vq=fake_vq, val_fraction=0).examples(random.Random(0))
    )
    role = None
    for tok, m in zip(ex.tokens, ex.mask, strict=True):
        if tok in (Tok.SYSTEM, Tok.USER, Tok.ASSISTANT, Tok.TOOL):
            role = tok
            assert not m  # role markers are written by the agent
        elif tok == Tok.BOS:
            assert not m
        else:
            assert m == (role == Tok.ASSISTANT)


def test_system_message_is_kept_or_defaulted(tmp_path):
    conv = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "thought": "Greeting, no tool.", "content": "Hi!"},
        ]
    }
    ex = next(ChatSource(write(tmp_path, conv), val_fraction=0).examples(random.Random(0)))
    assert decode(ex.tokens)[0].plain_text == "Be brief."
    conv["messages"] = conv["messages"][1:]
    ex = next(ChatSource(write(tmp_path, conv), val_fraction=0).examples(random.Random(0)))
    assert decode(ex.tokens)[0].plain_text.startswith("You are Aether")


def test_val_split_holds_the_last_lines(tmp_path):
    convs = [
        {
            "messages": [
                {"role": "user", "content": f"q{i}"},
                {"role": "assistant", "content": f"a{i}"},
            ]
        }
        for i in range(10)
    ]
    src = ChatSource(write(tmp_path, *convs), val_fraction=0.2)
    val = [decode(e.tokens)[1].plain_text for e in src.examples(random.Random(0), "val")]
    assert val == ["q8", "q9"]
    train = {
        decode(e.tokens)[1].plain_text
        for e, _ in zip(src.examples(random.Random(1)), range(200), strict=False)
    }
    assert train == {f"q{i}" for i in range(8)}


U = {"role": "user", "content": "hi"}
A = {"role": "assistant", "content": "hello"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"chat\.jsonl:1: invalid JSON"),
        ("[1, 2]", r'chat\.jsonl:1: expected an object with a "messages" list'),
        (json.dumps({"mesages": []}), r'expected an object with a "messages" list'),
        (json.dumps({"messages": [], "x": 1}), r"unknown key 'x'"),
        (json.dumps({"messages": []}), r'"messages" is empty'),
        (json.dumps({"messages": "hi"}), r'"messages" must be a list'),
        (json.dumps({"messages": ["hi"]}), r"message 1 is a string, not an object"),
        (
            json.dumps({"messages": [{"role": "bot", "content": "x"}]}),
            r"chat\.jsonl:1: message 1: unknown role 'bot'",
        ),
        (json.dumps({"messages": [{"content": "x"}]}), r"message 1: unknown role missing"),
        (json.dumps({"messages": [{**U, "contnet": "x"}, A]}), r"message 1: unknown key 'contnet'"),
        (
            json.dumps({"messages": [{**U, "thought": "x"}, A]}),
            r"message 1: key 'thought' is not allowed in a user message",
        ),
        (
            json.dumps({"messages": [{"role": "user", "content": 3}, A]}),
            r'message 1: "content" must be a string, not a number',
        ),
        (
            json.dumps({"messages": [{**U, "images": "a.png"}, A]}),
            r'message 1: "images" must be a list of strings',
        ),
        (
            json.dumps({"messages": [{**U, "memories": [1]}, A]}),
            r'message 1: "memories" must be a list of strings',
        ),
        (
            json.dumps({"messages": [{**U, "images": ["nope.png"]}, A]}),
            r"message 1: image not found: nope.png",
        ),
        (
            json.dumps({"messages": [U, {"role": "system", "content": "s"}, A]}),
            r"message 2: a system message must come first",
        ),
        (json.dumps({"messages": [{"role": "system"}, U, A]}), r'system message needs "content"'),
        (
            json.dumps({"messages": [{"role": "user", "content": ""}, A]}),
            r'message 1: user message needs "content" or "images"',
        ),
        (
            json.dumps({"messages": [U, {"role": "assistant", "thought": "t"}]}),
            r'message 2: assistant message needs "content", "images" or "tool_call"',
        ),
        (
            json.dumps(
                {
                    "messages": [
                        U,
                        {
                            "role": "assistant",
                            "content": "x",
                            "tool_call": {"tool": "calc", "args": {}},
                        },
                    ]
                }
            ),
            r'message 2: an assistant message has "tool_call" or "content"/"images", not both',
        ),
        (
            json.dumps({"messages": [U, {"role": "assistant", "tool_call": {"args": {}}}]}),
            r'message 2: "tool_call" must be an object with a "tool" name',
        ),
        (
            json.dumps(
                {"messages": [U, {"role": "assistant", "tool_call": {"tool": "calc", "args": []}}]}
            ),
            r'message 2: "tool_call" "args" must be an object',
        ),
        (
            json.dumps(
                {"messages": [U, {"role": "assistant", "tool_call": {"tool": "c", "arg": {}}}]}
            ),
            r'message 2: "tool_call" has unknown key\(s\) arg',
        ),
        (
            json.dumps(
                {"messages": [U, {"role": "assistant", "tool_call": {"tool": "calc"}}, U, A]}
            ),
            r"message 2: tool_call is not followed by a tool message",
        ),
        (
            json.dumps(
                {"messages": [U, {"role": "tool", "tool_result": {"ok": True, "output": "x"}}, A]}
            ),
            r"message 2: a tool message must follow an assistant tool_call",
        ),
        (
            json.dumps(
                {
                    "messages": [
                        U,
                        {"role": "assistant", "tool_call": {"tool": "calc"}},
                        {"role": "tool", "tool_result": {"ok": "yes", "output": "x"}},
                        A,
                    ]
                }
            ),
            r'message 3: "tool_result" must be',
        ),
        (json.dumps({"messages": [U]}), r"chat\.jsonl:1: no assistant message to train on"),
    ],
)
def test_validation_errors_name_file_line_and_problem(tmp_path, line, message):
    p = write(tmp_path, raw="\n" + line + "\n")  # blank first line: errors count real lines
    with pytest.raises(ChatFormatError, match=message.replace(":1:", ":2:")) as err:
        ChatSource(p)
    assert "\n" not in str(err.value)


def test_assistant_image_and_missing_vq(tmp_path, pic, fake_vq):
    conv = {"messages": [{"role": "user", "content": "draw a red square"},
                         {"role": "assistant", "thought": "Draw.", "images": ["pic.png"],
                          "content": "Here."}]}  # fmt: skip
    p = write(tmp_path, conv)
    with pytest.raises(ChatFormatError, match=r"chat\.jsonl:1: has images but no VQ"):
        ChatSource(p)
    ex = next(ChatSource(p, vq=fake_vq, val_fraction=0).examples(random.Random(0)))
    answer = decode(ex.tokens)[-1]
    assert len(answer.of(ImageSeg)) == 1 and answer.plain_text == "Here."
    assert ex.images == []  # a drawn picture is a target, never shown to the ViT


def test_empty_file_and_missing_file(tmp_path):
    with pytest.raises(ChatFormatError, match="no conversations"):
        ChatSource(write(tmp_path, raw="\n\n"))
    with pytest.raises(ChatFormatError, match="cannot read"):
        ChatSource(tmp_path / "missing.jsonl")
