"""Two requests in one message: where it may part, which parts are two calls, and the agent's
turn of one sub-turn per part with one answer for both."""

from __future__ import annotations

from aether_core import dialogue
from aether_core.agent.events import AnswerDelta, ToolCallRequested
from aether_core.agent.requests import MAX_SPLITS, pick_split, splits, two_calls
from aether_core.segments import Text, Thought, ToolCall, ToolResult
from aether_core.tools.base import ToolRegistry
from aether_core.tools.calc import CalcTool
from aether_core.tools.clock import TimeTool
from aether_core.tools.echo import EchoTool
from tests.agent.test_agent import answer, call_step, make_agent


def test_a_message_parts_where_people_join_requests_last_place_first() -> None:
    assert splits("what's 7 times 9 and what's the time in Oslo?") == [
        ("what's 7 times 9", "what's the time in Oslo?")
    ]
    assert splits("what time is it in Nairobi? also what's 40% of 90") == [
        ("what time is it in Nairobi?", "what's 40% of 90")  # the question keeps its mark
    ]
    assert splits("google best hiking boots, then tell me the time in Denver") == [
        ("google best hiking boots", "tell me the time in Denver")
    ]
    assert splits("search for cats and dogs and tell me the time in Rome") == [
        ("search for cats and dogs", "tell me the time in Rome"),
        ("search for cats", "dogs and tell me the time in Rome"),
    ]
    assert splits("what's 2+2") == [] and splits("salt and ?") == []  # a part needs a word
    # a sentence stop alone does not part requests: what follows is often what is asked about
    assert splits("what does this article say? https://example.org/a") == []
    assert splits("say this back? The meeting is at 3pm.") == []
    # a part that points at the other is no request of its own; the "it" of a time question is
    assert splits("open example.org and summarise it") == []
    assert splits("read https://example.org/a and tell me what this says") == []
    assert splits("open example.org and give me the gist of the article") == []
    assert splits("what's 3+4 and what time is it in Rome") == [
        ("what's 3+4", "what time is it in Rome")
    ]
    many = " and ".join(["a1"] * 10)
    assert len(splits(many)) == MAX_SPLITS


def test_a_joining_word_between_two_numbers_or_after_between_joins_no_requests() -> None:
    assert splits("can u calculate 48 plus 12 multiplied by 3!") == []
    assert splits("509 plus 969 and 860") == []
    assert splits("739+115 + 687 minus 992 equals??") == []  # the sum's own "+": no join
    assert splits("What's the time difference between Lawrence and Lynchburg?") == []
    assert splits("what's seven plus sixteen and the time in Oslo") == [
        ("what's seven plus sixteen", "the time in Oslo")
    ]


def test_two_calls_are_two_tools_or_one_that_reads_twice_and_free_text_comes_first_only() -> None:
    calc, time, search = ("calc", '{"expression": "2+2"}'), ("time", "{}"), ("web_search", "{}")
    assert two_calls([calc, time])
    assert not two_calls([calc, None]) and not two_calls([None, time])
    assert two_calls([("echo", "{}"), calc])  # "repeat after me: good night moon, and 3+8?"
    assert not two_calls([calc, ("echo", "{}")])  # "…and pepper shakers" taken for words to repeat
    # one tool twice: only one that reads its arguments, and only with other arguments
    other = ("calc", '{"expression": "20% of 150"}')
    assert two_calls([calc, other], {"calc"}) and not two_calls([calc, other])
    assert not two_calls([calc, calc], {"calc"})
    assert not two_calls([search, ("web_search", '{"query": "dogs"}')], {"calc"})


def test_the_first_place_whose_parts_are_two_calls_is_picked_and_each_part_asked_once() -> None:
    routes = {
        "what's 2+2 and search for salt": "calc",
        "pepper shakers": "echo",
        "what's 2+2": "calc",
        "search for salt and pepper shakers": "web_search",
    }
    asked: list[str] = []

    def route(part: str) -> str | None:
        asked.append(part)
        return routes.get(part)

    text = "what's 2+2 and search for salt and pepper shakers"
    assert pick_split(text, route, lambda t: (t, "")) == ("calc", "web_search")
    assert len(asked) == len(set(asked))
    one_tool = pick_split("search for cats and dogs", lambda p: ("web_search", p), lambda r: r)
    assert one_tool is None  # a tool that does not read its arguments is asked once


def _script(conv):
    """A model that routes each request alone and answers from the last result."""
    last = conv[-1]
    if last.role == "user":
        said = last.of(Text)[-1].data.decode()
        if said in ("what's 2+2", "what's 3*4"):
            return call_step("calc", {"expression": said[7:]}, "Arithmetic: use calc.")
        if said.startswith("what time is it in Rome"):
            return call_step("time", {"timezone": "Rome"}, "Time in Rome: use time.")
        if said.startswith("summarise it"):  # no request of its own: a place no one knows
            return call_step("time", {"timezone": "summarise"}, "Time in summarise: use time.")
        if said.startswith("repeat after me"):
            return call_step("echo", {"text": "hi"}, "Repeat it: use echo.")
        return answer("Hello!", "Greeting, no tool.")
    result = last.of(ToolResult)[-1].output.decode()
    return answer(f"That's {result}." if result.isdigit() else result, dialogue.THOUGHT_OK)


def _agent():
    tools = ToolRegistry([CalcTool(), TimeTool(), EchoTool()])
    return make_agent(_script, approve="all", tools=tools)


def test_two_requests_run_as_a_sub_turn_each_with_one_answer() -> None:
    agent = _agent()
    events = list(agent.run("what's 2+2 and what time is it in Rome?"))
    calls = [(e.tool, e.args) for e in events if isinstance(e, ToolCallRequested)]
    assert calls == [("calc", {"expression": "2+2"}), ("time", {"timezone": "Rome"})]
    said = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert said.startswith("That's 4. It's ") and "in Rome, Italy." in said
    assert events[-1].answer == said
    # the turn as the training data has it: the whole message, both calls, one answer
    turn = agent.conversation[1:]
    assert [m.role for m in turn] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert turn[0].of(Text)[-1].data == b"what's 2+2 and what time is it in Rome?"
    assert [len(m.of(ToolCall)) for m in turn if m.role == "assistant"] == [1, 1, 0]
    assert turn[-1].of(Text)[-1].data.decode() == said
    assert turn[-1].of(Thought)[-1].data == dialogue.THOUGHT_OK.encode()


def test_a_message_that_is_one_request_runs_as_one_turn() -> None:
    agent = _agent()
    events = list(agent.run("hello and welcome"))  # neither part is a call
    assert not [e for e in events if isinstance(e, ToolCallRequested)]
    assert events[-1].answer == "Hello!"
    assert [m.role for m in agent.conversation[1:]] == ["user", "assistant"]
    # a free-text tool second: the words after "and" are not taken for a second request
    events = list(agent.run("what's 2+2 and repeat after me"))
    assert [e.tool for e in events if isinstance(e, ToolCallRequested)] == []


def test_a_part_whose_call_the_tool_would_not_read_is_no_request() -> None:
    agent = _agent()
    events = list(agent.run("what's 2+2 and summarise it"))  # time would not know "summarise"
    assert [e.tool for e in events if isinstance(e, ToolCallRequested)] == []
    assert [m.role for m in agent.conversation[1:]] == ["user", "assistant"]


def test_one_tool_that_reads_its_arguments_may_be_asked_twice() -> None:
    agent = _agent()
    events = list(agent.run("what's 2+2 and what's 3*4"))
    calls = [(e.tool, e.args) for e in events if isinstance(e, ToolCallRequested)]
    assert calls == [("calc", {"expression": "2+2"}), ("calc", {"expression": "3*4"})]
    assert events[-1].answer == "That's 4. That's 12."
