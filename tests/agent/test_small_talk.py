"""Small talk read from the training half of the small-talk phrasings, and the tools it may not
call."""

from __future__ import annotations

import pytest

from aether_core.agent.events import ToolCallRequested
from aether_core.agent.small_talk import _WORD as WORD
from aether_core.agent.small_talk import is_small_talk, vocabulary
from aether_core.data.phrasing import held_out
from aether_core.data.skills.base import templates
from aether_core.tools.base import ToolRegistry
from aether_core.tools.echo import EchoTool
from aether_core.tools.web_search import WebSearchTool
from tests.agent.test_agent import answer, call_step, make_agent


@pytest.mark.parametrize(
    ("text", "small"),
    [
        ("Off to bed, good night", True),
        ("WHO ARE U", True),
        ("tell me something silly", True),
        ("who is the president of France", False),  # one word of anything else: a question
        ("good morning in french", False),
        ("what is 2 plus 2", False),  # a number
        ("", False),
    ],
)
def test_small_talk_is_only_small_talk_words(text: str, small: bool) -> None:
    assert is_small_talk(text) is small


def _words(split: str) -> set[str]:
    tables = [t for t in templates("chat").values() if isinstance(t, dict)]
    return {
        w for t in tables for p in held_out(t["templates"], split) for w in WORD.findall(p.lower())
    }


def test_the_words_come_from_the_training_half_only() -> None:
    assert vocabulary() == _words("train")
    assert not (_words("eval") - _words("train")) & vocabulary()


def test_search_and_echo_are_no_answer_to_small_talk() -> None:
    assert not WebSearchTool(backend=lambda q, n: []).for_small_talk
    assert not EchoTool().for_small_talk


def test_small_talk_sent_to_a_search_is_answered_instead() -> None:
    look = call_step("web_search", {"query": "good night"}, "Look it up: use web_search.")
    tools = ToolRegistry([WebSearchTool(backend=lambda q, n: []), EchoTool()])  # offline
    script = [look, answer("Good night!", "Saying bye, no tool.")]
    agent = make_agent(script, approve="all", tools=tools)
    events = list(agent.run("off to bed, good night"))
    assert events[-1].answer == "Good night!"
    assert not any(isinstance(e, ToolCallRequested) for e in events)
