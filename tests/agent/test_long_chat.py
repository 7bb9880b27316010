"""Long chats keep working: the context keeps room for the step being written (a drawing is 128
VQ codes), leaves out earlier turns' recalled memories and then the oldest turns, and the step
grammar ends a step within the room it has. A scripted 12-turn chat with the shipped model,
mixing every skill and drawing late, completes every turn."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import torch

from aether_core import dialogue
from aether_core.agent.call_grammar import tool_arg_types
from aether_core.agent.constrain import StepGrammar
from aether_core.agent.context import STEP_TEXT, fit_context, step_reserve
from aether_core.agent.events import Done, ErrorEvent, ImageProduced, ToolCallRequested
from aether_core.segments import Memory, Message, Text, encode, encode_message, encode_varint
from aether_core.tools import default_registry
from aether_core.tools.base import ToolRegistry
from aether_core.tools.browse import BrowsePageTool
from aether_core.tools.clock import TimeTool
from aether_core.vocab import Tok


def test_the_reserve_leaves_room_for_a_drawing() -> None:
    assert step_reserve(512, 960, 128) == STEP_TEXT + 128 + 4  # was 512 // 4 = 128: too little
    assert step_reserve(512, 960, 0) == 128  # no codec, no drawing: a quarter, as before
    assert step_reserve(4096, 960, 128) == 960  # a roomy context keeps the full reserve
    assert step_reserve(256, 960, 128) == 128  # never more than half the context


def _turn(i: int, memories: tuple[str, ...] = ()) -> list[Message]:
    user = dialogue.user_message(f"question number {i} " + "words " * 10, memories=list(memories))
    return [user, Message("assistant", (Text(f"answer number {i} ".encode() + b"x" * 40),))]


def test_earlier_memories_go_before_earlier_turns() -> None:
    system = [dialogue.system_message("You are Aether.")]
    facts = ("my sister is called Ada and she lives in a small town by the sea",) * 3
    old = [m for i in range(4) for m in _turn(i, facts)]
    current = _turn(9, facts)[:1]
    messages = system + old + current
    no_memories = sum(len(encode_message(m)) for m in old if m.of(Memory)) - sum(
        len(encode_message(Message(m.role, tuple(x for x in m.items if not isinstance(x, Memory)))))
        for m in old
        if m.of(Memory)
    )
    budget = len(encode(messages)) - no_memories // 2  # fits once most memories are gone
    kept, dropped = fit_context(messages, budget)
    assert dropped == 0 and len(kept) == len(messages)  # every turn stays ...
    assert kept[-1] == current[0] and kept[-1].of(Memory)  # ... the current one with its facts
    assert not kept[1].of(Memory)  # the oldest turn's recalled facts went first
    assert len(encode(kept)) <= budget
    tight, dropped = fit_context(messages, len(encode(system + current)) + 10)
    assert dropped == 4 and tight == system + current  # then whole turns, oldest first
    assert len(messages) == 1 + 8 + 1  # the conversation itself keeps every message


def _grammar(room: int) -> StepGrammar:
    g = StepGrammar(tool_arg_types(default_registry()), room=room)
    for t in (Tok.THOUGHT_START, Tok.STREAM):
        g.advance(int(t))
    return g


def test_a_step_ends_within_its_room() -> None:
    image = 1 + len(encode_varint(128)) + 128 + 1 + 1  # IMG_START, length, codes, IMG_END, EOS
    g = _grammar(room=2 + 10 + 1 + image)
    written = 0
    while Tok.THOUGHT_END not in g.allowed_set() or len(g.allowed_set()) > 1:
        g.advance(ord("a"))
        written += 1
    assert written == 10  # the thought stopped where a drawing still fits
    g.advance(int(Tok.THOUGHT_END))
    assert Tok.IMG_START in g.allowed_set()
    g.advance(int(Tok.IMG_START))
    while not g.done:
        g.advance(min(g.allowed_set()))
    assert g.written == g.room and g.ended_with == "answer"

    small = _grammar(room=2 + 4 + 1 + 40)
    for _ in range(4):
        small.advance(ord("a"))
    small.advance(int(Tok.THOUGHT_END))
    assert Tok.IMG_START not in small.allowed_set()  # no room for a drawing: not offered
    while not small.done:
        small.advance(ord("b") if ord("b") in small.allowed_set() else int(Tok.EOS))
    assert small.written == small.room  # the answer ended where the room did


# ---- the shipped model, twelve turns -------------------------------------------------------

MOMENT = datetime(2026, 3, 14, 15, 9, tzinfo=UTC)


def _search(query: str, max_results: int) -> list[dict]:
    return [
        {"title": f"All about {query}", "href": "https://example.org/a", "body": f"On {query}."},
        {"title": f"{query} explained", "href": "https://example.org/b", "body": "More of it."},
    ][:max_results]


class _Page(BrowsePageTool):
    def run(self, url: str) -> str:  # type: ignore[override]
        return f"Title: Bread at home\nURL: {url}\n\nBaking bread takes flour, water and time."


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory):
    from aether_core.agent import build_agent

    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("chat")
    tools = ToolRegistry(
        [
            _Page()
            if t.name == "browse_page"
            else TimeTool(now=lambda: MOMENT)
            if t.name == "time"
            else t
            for t in default_registry(search_backend=_search)
        ]
    )
    agent = build_agent(approve="all", memory_path=str(tmp), out_dir=str(tmp), tools=tools)
    if agent.info.random_weights:
        pytest.skip("no shipped model")
    return agent, Path(tmp)


def test_a_twelve_turn_chat_with_every_skill_completes_every_turn(shipped) -> None:
    from aether_core.data.shapes import ShapeSpec, render

    agent, tmp = shipped
    picture = tmp / "picture.png"
    render(ShapeSpec("circle", "red", "white", 32, 32, 20)).save(picture)
    turns = [
        ("hi there!", []),
        ("what is 37 times 12?", []),
        ("remember that my sister is called Ada", []),
        ("what time is it in Tokyo?", []),
        ("search the web for sourdough bread tips", []),
        ("summarise https://example.org/bread", []),
        ("repeat after me: the owls are not what they seem", []),
        ("what's in this picture?", [str(picture)]),
        ("what's 15% of 240?", []),
        ("what is my sister called?", []),
        ("thanks, that's helpful", []),
        ("draw a red circle", []),
    ]
    budget = agent.info.max_context
    for text, images in turns:
        events = list(agent.run(text, images=images))
        errors = [e.message for e in events if isinstance(e, ErrorEvent)]
        done = events[-1]
        assert isinstance(done, Done) and not done.cancelled and not errors, (text, errors)
        drawn = [e for e in events if isinstance(e, ImageProduced)]
        assert done.answer.strip() or drawn, text
    tools = {e.tool for e in events if isinstance(e, ToolCallRequested)}
    assert drawn and not tools  # the late drawing was drawn, not cut short
    assert len(encode(agent.conversation)) > 3 * budget  # the chat is far past the context


def test_a_turn_of_several_calls_gives_up_the_drawing_room_before_failing() -> None:
    """Two calls with their results can leave no room for a picture's codes in a 512-token
    context ("time in Lima please, and convert 20 miles to km" ended in "the current turn needs
    526 tokens"): the step is still written, in words."""
    from types import SimpleNamespace

    from tests.agent.test_agent import answer, call_step, make_agent

    said = ["alpha beta gamma delta epsilon zeta eta", "lambda mu nu xi omicron pi rho sigma tau"]
    steps = [call_step("echo", {"text": w}, "Echo: use echo.") for w in said]
    reply = "Said alpha beta, lambda mu."  # quotes both results, as an answer after two must
    agent = make_agent([*steps, answer(reply, "Got it.")], approve="all")
    agent.policy.info = replace(agent.policy.info, max_context=512)
    agent.vq = SimpleNamespace(cfg=SimpleNamespace(n_codes=128))  # a model that can draw
    events = list(agent.run("say " + " and ".join(said)))
    assert not [e.message for e in events if isinstance(e, ErrorEvent)]
    assert isinstance(events[-1], Done) and events[-1].answer == reply
    last = agent.policy.contexts[-1]
    assert STEP_TEXT <= 512 - len(last) - 1 < STEP_TEXT + 128 + 4  # room for words, not a picture
