"""Constrained decoding: whatever the weights, a step is well formed and a call valid."""

from __future__ import annotations

import json

import pytest
import torch

from aether_core import dialogue
from aether_core.agent.call_grammar import CallGrammar, GrammarError, tool_arg_types
from aether_core.agent.constrain import StepGrammar
from aether_core.agent.copying import CopyPrior
from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.sampling import DecodeSession, SamplingConfig, make_generator
from aether_core.segments import ToolCall, decode, encode
from aether_core.tools import default_registry
from aether_core.vocab import Tok

REGISTRY = default_registry()
TYPES = tool_arg_types(REGISTRY)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    cfg = ModelConfig(dim=32, n_layers=1, n_heads=2, max_seq_len=2048, cross_attn=False)
    return build_model(cfg).eval()


def sampled(grammar: StepGrammar) -> StepGrammar:
    """The grammar with its calls sampled too (the agent writes them greedily): random weights
    at a temperature then write many different calls, every one of which must be valid."""
    grammar.greedy = lambda: False  # type: ignore[method-assign]
    return grammar


def _feed(grammar, data: bytes) -> None:
    for b in data:
        grammar.advance(b)


@pytest.mark.parametrize(
    "tool,args",
    [
        ("calc", {"expression": "37*(12+5)"}),
        ("time", {}),
        ("time", {"timezone": "Europe/Paris"}),
        ("web_search", {"query": 'tallest tree "redwood"'}),
        ("web_search", {"query": "café", "max_results": 3}),
        ("browse_page", {"url": "https://example.org/a?b=c"}),
        ("echo", {"text": "Hello, World!\n"}),
    ],
)
def test_canonical_calls_are_accepted(tool, args) -> None:
    g = CallGrammar(TYPES)
    _feed(g, ToolCall.make(tool, args).data)
    assert g.done


@pytest.mark.parametrize(
    "bad",
    [
        b'{"tool": "rm", ',  # unknown tool
        b'{"tool": "calc", "args": {}',  # required expression missing: '}' refused
        b'{"tool": "calc", "args": {"expression": 12',  # wrong type
        b'{"tool": "calc", "args": {"expr": ',  # unknown argument
        b'{"tool": "web_search", "args": {"query": ""',  # empty string
        b'{"tool":"calc"',  # non-canonical spacing
        b'{"tool": "calc", "args": {"expression": "1\x01',  # control char in a string
    ],
)
def test_malformed_calls_are_refused(bad) -> None:
    g = CallGrammar(TYPES)
    with pytest.raises(GrammarError):
        _feed(g, bad)


def _context() -> list[int]:
    return encode([dialogue.system_message(), dialogue.user_message("what is 2+2?")]) + [
        Tok.ASSISTANT
    ]


def test_random_weights_always_write_valid_calls(model) -> None:
    session = DecodeSession(model, 2048)
    cfg = SamplingConfig(temperature=1.5)
    tools_seen = set()
    for seed in range(24):
        g = sampled(StepGrammar(TYPES, force_call=True, max_thought=20))
        toks = list(
            session.generate(
                _context(),
                cfg,
                1800,
                stop_tokens=(Tok.EOS, Tok.CALL_END),
                constraint=g,
                generator=make_generator(seed),
            )
        )
        assert g.done and g.ended_with == "call", seed
        [msg] = decode([Tok.ASSISTANT, *toks, Tok.EOS])
        name, args = msg.of(ToolCall)[0].parse()
        json.loads(msg.of(ToolCall)[0].data)
        REGISTRY.get(name).validate_args(args)  # right names and types
        tools_seen.add(name)
    assert len(tools_seen) >= 3  # not a degenerate grammar that always writes the same call


def test_random_weights_pick_a_query_that_is_a_phrase_of_the_users_words(model) -> None:
    from aether_core.agent.copying import CopyPrior

    words = "hey, could you look up the tallest trees in Oregon and Washington? thanks"
    session = DecodeSession(model, 2048)
    queries = set()
    for seed in range(6):
        g = sampled(StepGrammar(TYPES, force_call=True, max_thought=10))
        g.copy = CopyPrior([words.encode()])
        prefix = [Tok.THOUGHT_START, Tok.STREAM, *b"ok", Tok.THOUGHT_END, Tok.CALL_START,
                  Tok.STREAM, *b'{"tool": "web_search", "args": {"query": "']  # fmt: skip
        for t in prefix:
            g.advance(int(t))
        context = encode([dialogue.system_message(), dialogue.user_message(words)])
        toks = session.generate([*context, Tok.ASSISTANT, *prefix], SamplingConfig(1.5), 400,
                                stop_tokens=(Tok.CALL_END,), constraint=g,
                                generator=make_generator(seed))  # fmt: skip
        body = bytes(prefix[7:]) + bytes(t for t in toks if t < 256)
        query = json.loads(body)["args"]["query"]
        start = words.find(query)
        assert query and start >= 0, query  # a span of the words, whatever the weights
        end = start + len(query)
        assert (start == 0 or not words[start - 1].isalnum()) and words[start].isalnum()
        assert end == len(words) or not (words[end - 1].isalnum() and words[end].isalnum())
        assert "thanks" not in query and "look" not in query  # within the query's bounds
        queries.add(query)
    assert len(queries) > 1  # sampled at a temperature: not always the same span


def test_random_weights_always_write_a_decodable_step(model) -> None:
    session = DecodeSession(model, 1024)
    endings = set()
    for seed in range(25):
        g = StepGrammar(TYPES, max_thought=30, max_answer=60)
        toks = list(
            session.generate(
                _context(),
                SamplingConfig(temperature=1.0),
                400,
                stop_tokens=(Tok.EOS, Tok.CALL_END),
                constraint=g,
                generator=make_generator(seed),
            )
        )
        assert g.done
        tail = [] if toks[-1] == Tok.EOS else [Tok.EOS]
        [msg] = decode([Tok.ASSISTANT, *toks, *tail])
        assert msg.items and type(msg.items[0]).__name__ == "Thought"
        endings.add(g.ended_with)
    assert "answer" in endings


def test_image_in_answer_has_exactly_128_codes() -> None:
    g = StepGrammar(TYPES)
    for t in [Tok.THOUGHT_START, Tok.STREAM, ord("x"), Tok.THOUGHT_END, Tok.IMG_START, 0x80, 0x01]:
        g.advance(t)
    for _ in range(128):
        assert Tok.IMG_END not in g.allowed_set()
        g.advance(7)
    assert g.allowed_set() == {Tok.IMG_END}


def test_a_tool_call_and_only_the_call_is_written_greedily() -> None:
    g = StepGrammar(TYPES)
    seen = []
    for t in [Tok.THOUGHT_START, Tok.STREAM, ord("x"), Tok.THOUGHT_END, Tok.CALL_START]:
        g.advance(t)
        seen.append(g.greedy())
    g.advance(Tok.STREAM)
    assert not any(seen) and g.greedy()  # the thought is prose; the call's bytes are an action
    _feed(g, b'{"tool": "echo", "args": {"text": "hi"}}')
    assert g.phase == "call_end" and not g.greedy()


def _thinking(status: str | None) -> StepGrammar:
    g = StepGrammar(TYPES, status=status)
    _feed(g, [Tok.THOUGHT_START, Tok.STREAM])
    return g


def test_the_thought_after_a_result_may_not_say_another_status() -> None:
    ok = _thinking(dialogue.THOUGHT_OK)
    assert ord("T") not in ok.allowed_set() and ord("G") in ok.allowed_set()
    _feed(ok, dialogue.THOUGHT_OK.encode())  # the right status, and anything else, still goes
    assert _thinking(dialogue.THOUGHT_OK).allows(ord("R"))  # "Read the page: use browse_page."
    failed = _thinking(dialogue.THOUGHT_ERROR)
    assert ord("G") not in failed.allowed_set()
    _feed(failed, b"The ")
    assert ord("t") in failed.allowed_set() and ord("c") not in failed.allowed_set()
    denied = _thinking(dialogue.THOUGHT_DENIED)
    _feed(denied, b"The ")
    assert ord("c") in denied.allowed_set() and ord("t") not in denied.allowed_set()
    first = _thinking(None)  # a step after the user's words: nothing to disagree with
    assert {ord("G"), ord("T")} <= first.allowed_set()


def test_an_answer_after_two_results_ends_only_once_it_quotes_both() -> None:
    g = StepGrammar(TYPES, cover=[b"4282", b"lemon ZEBRA PURPLE"])
    _feed(g, [Tok.THOUGHT_START, Tok.STREAM, *b"Got the result.", Tok.THOUGHT_END])
    assert Tok.EOS not in g.allowed_set()  # no empty answer either
    _feed(g, b"That's 4282.")
    assert Tok.EOS not in g.allowed_set()  # the first request alone is half an answer
    _feed(g, b" You said lemo")
    assert Tok.EOS not in g.allowed_set()
    _feed(g, b"n ")  # six bytes in a row of the second result: "lemon "
    assert Tok.EOS in g.allowed_set()
    g.advance(Tok.EOS)
    assert g.done and g.ended_with == "answer"


def test_an_answer_begins_with_one_of_its_openings_then_goes_on_freely() -> None:
    g = StepGrammar(TYPES)
    g.openings = (b"Top result: Dracula.", b"Dracula: ")
    _feed(g, [Tok.THOUGHT_START, Tok.STREAM, *b"Got the result.", Tok.THOUGHT_END])
    assert {ord("T"), ord("D"), Tok.CALL_START} <= g.allowed_set()  # another call may follow
    assert ord("I") not in g.allowed_set() and Tok.EOS not in g.allowed_set()  # "It's 7…"
    _feed(g, b"Top result: Dra")
    assert g.allowed_set() == {ord("c")}
    _feed(g, b"cula.")
    assert {ord(" "), Tok.EOS} <= g.allowed_set()  # begun: the rest is the model's
    g.advance(Tok.EOS)
    assert g.done and bytes(g.answer) == b"Top result: Dracula."


def test_a_step_with_no_tool_left_answers() -> None:
    g = StepGrammar({})
    _feed(g, [Tok.THOUGHT_START, Tok.STREAM, *b"Got the result.", Tok.THOUGHT_END])
    assert Tok.CALL_START not in g.allowed_set() and ord("O") in g.allowed_set()


def test_an_answer_that_cannot_quote_its_results_still_ends_where_the_room_does() -> None:
    g = StepGrammar(TYPES, cover=[b"4282", b"kiwi"], max_answer=8)
    _feed(g, [Tok.THOUGHT_START, Tok.STREAM, ord("x"), Tok.THOUGHT_END, *b"no idea!"])
    assert g.allowed_set() == {Tok.EOS}


def test_an_answer_that_repeats_itself_may_end_without_quoting_the_rest() -> None:
    g = StepGrammar(TYPES, cover=[b"60", b"It's 16:18 in Madrid."])
    said = b"It's 16:18 in Madrid. "
    _feed(g, [Tok.THOUGHT_START, Tok.STREAM, ord("x"), Tok.THOUGHT_END, *said])
    assert Tok.EOS not in g.allowed_set()  # "60" is not quoted yet
    _feed(g, said[:11])
    assert Tok.EOS not in g.allowed_set()
    _feed(g, said[11:12])  # twelve bytes written again: it will not get to "60"
    assert Tok.EOS in g.allowed_set()


@pytest.mark.parametrize(
    ("words", "place_asked"),
    [
        ("Dhaka - what date is it there?", True),  # a place the words hold, where it fits
        ("day of the week beijing", True),
        ("what time is it right now?", False),  # the local time: the place may be left out
        ("what's the time, mate?", False),
    ],
)
def test_a_place_in_the_words_is_not_left_out_of_the_clocks_call(words, place_asked) -> None:
    g = StepGrammar(TYPES)
    g.copy = CopyPrior([words.encode()])
    prefix = [Tok.THOUGHT_START, Tok.STREAM, *b"ok", Tok.THOUGHT_END, Tok.CALL_START,
              Tok.STREAM, *b'{"tool": "time", "args": {']  # fmt: skip
    for t in prefix:
        g.advance(int(t))
    assert (ord("}") not in g.allowed_set()) is place_asked
