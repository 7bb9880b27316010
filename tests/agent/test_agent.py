"""AetherAgent: multi-step turns, limits, cancellation, tools failing, approval, trimming."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from aether_core import dialogue
from aether_core.agent.agent import AetherAgent, AgentConfig
from aether_core.agent.approval import ApprovalPolicy
from aether_core.agent.context import ELIDED, ContextOverflow, fit_context, split_turns
from aether_core.agent.events import (
    AnswerDelta,
    ApprovalDecision,
    ApprovalNeeded,
    Done,
    ErrorEvent,
    StepStarted,
    ThoughtDelta,
    ToolCallRequested,
    ToolResultEvent,
)
from aether_core.agent.policy import ScriptedPolicy
from aether_core.segments import Image, Message, Text, Thought, ToolCall, ToolResult, decode, encode
from aether_core.tools import default_registry
from aether_core.tools.base import ArgSpec, Tool, ToolRegistry
from aether_core.tools.sandbox import ToolSandbox


class SlowTool(Tool):
    name = "slow"
    description = "sleeps"
    schema = {"seconds": ArgSpec("number")}

    def __init__(self) -> None:
        self.started = threading.Event()

    def run(self, seconds: float) -> str:
        self.started.set()
        time.sleep(seconds)
        return "woke up"


class CountTool(Tool):
    name = "count"
    description = "says its number"
    schema = {"n": ArgSpec("number")}

    def run(self, n: float) -> str:
        return str(n)


class CrashTool(Tool):
    name = "crash"
    description = "raises"
    schema: dict[str, ArgSpec] = {}

    def run(self) -> str:
        raise RuntimeError("boom")


def call_step(tool: str, args: dict[str, Any], thought: str = "need a tool") -> list:
    return [Thought(thought.encode()), ToolCall.make(tool, args)]


def answer(text: str, thought: str = "done") -> list:
    return [Thought(thought.encode()), Text(text.encode())]


def make_agent(
    script: Any,
    *,
    approve: str = "ask",
    tools: ToolRegistry | None = None,
    delay_s: float = 0.0,
    **cfg: Any,
) -> AetherAgent:
    registry = tools or default_registry()
    return AetherAgent(
        ScriptedPolicy(script, delay_s=delay_s),
        registry,
        approval=ApprovalPolicy.from_spec(approve, known_tools=registry.names()),
        sandbox=ToolSandbox(timeout_s=cfg.pop("tool_timeout", 5.0)),
        # a list script plays its steps in order: a part's quiet route would take one
        config=AgentConfig(**{"split_requests": callable(script), **cfg}),
    )


def kinds(events: list) -> list[str]:
    out: list[str] = []
    for e in events:
        name = type(e).__name__
        if not out or out[-1] != name or name not in ("ThoughtDelta", "AnswerDelta"):
            out.append(name)
    return out


def test_multi_step_turn_event_sequence() -> None:
    agent = make_agent([call_step("calc", {"expression": "12*(3+4)"}), answer("It is 84.")])
    events = list(agent.run("what is 12*(3+4)?"))
    assert kinds(events) == [
        "StepStarted",
        "ThoughtDelta",
        "ToolCallRequested",
        "ToolStarted",
        "ToolResultEvent",
        "StepStarted",
        "ThoughtDelta",
        "AnswerDelta",
        "Done",
    ]
    result = next(e for e in events if isinstance(e, ToolResultEvent))
    assert (result.tool, result.ok, result.output, result.status) == ("calc", True, "84", "ok")
    thought = "".join(e.text for e in events if isinstance(e, ThoughtDelta) and e.step == 1)
    assert thought == "need a tool"
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "It is 84."
    done = events[-1]
    assert isinstance(done, Done) and done.steps == 2 and done.answer == "It is 84."
    assert done.bytes_generated > 0 and not done.cancelled
    # the conversation holds the whole turn, and the tool result reached the model's context
    roles = [m.role for m in agent.conversation]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert agent.conversation[3].items == (ToolResult(True, b"84"),)
    second_context = agent.policy.contexts[1]
    assert second_context[-1] == 261 and bytes(t for t in second_context if t < 256).count(b"84")


def test_step_limit() -> None:
    # each call new: a call made again is not made (the step answers)
    agent = make_agent(
        lambda conv: call_step("count", {"n": len(conv)}),
        tools=ToolRegistry([CountTool()]),
        approve="all",
        max_steps=3,
    )
    events = list(agent.run("loop forever"))
    assert sum(isinstance(e, StepStarted) for e in events) == 3
    assert any(isinstance(e, ErrorEvent) and "step limit (3)" in e.message for e in events)
    assert isinstance(events[-1], Done) and events[-1].steps == 3


def test_hanging_tool_times_out() -> None:
    tools = ToolRegistry([SlowTool()])
    agent = make_agent(
        [call_step("slow", {"seconds": 5}), answer("gave up")],
        approve="all",
        tools=tools,
        tool_timeout=0.2,
    )
    t = time.perf_counter()
    events = list(agent.run("sleep"))
    assert time.perf_counter() - t < 3
    res = next(e for e in events if isinstance(e, ToolResultEvent))
    assert res.status == "timeout" and not res.ok
    assert events[-1].answer == "gave up"


def test_crashing_tool_is_an_error_result() -> None:
    agent = make_agent(
        [call_step("crash", {}), answer("sorry")], approve="all", tools=ToolRegistry([CrashTool()])
    )
    events = list(agent.run("crash please"))
    res = next(e for e in events if isinstance(e, ToolResultEvent))
    assert res.status == "error" and "boom" in res.output
    assert agent.conversation[-2].items[0].ok is False
    assert isinstance(events[-1], Done) and events[-1].answer == "sorry"


def test_cancel_mid_tool_keeps_conversation_consistent() -> None:
    slow = SlowTool()
    agent = make_agent(
        [call_step("slow", {"seconds": 10})],
        approve="all",
        tools=ToolRegistry([slow]),
        tool_timeout=30,
    )
    threading.Thread(target=lambda: (slow.started.wait(5), agent.cancel()), daemon=True).start()
    t = time.perf_counter()
    events = list(agent.run("sleep long"))
    assert time.perf_counter() - t < 3
    assert isinstance(events[-1], Done) and events[-1].cancelled
    res = [e for e in events if isinstance(e, ToolResultEvent)]
    assert res and res[-1].status == "cancelled"
    conv = agent.conversation
    assert [m.role for m in conv] == ["system", "user", "assistant", "tool"]
    assert conv[-1].items[0].ok is False  # the dangling call got a result: stream stays valid
    encode(conv)


def test_cancel_mid_generation() -> None:
    agent = make_agent([answer("x" * 400)], delay_s=0.002)
    events: list = []
    for ev in agent.run("talk a lot"):
        events.append(ev)
        if isinstance(ev, AnswerDelta):
            agent.cancel()
    assert events[-1].cancelled
    assert [m.role for m in agent.conversation] == ["system", "user"]


def test_approval_once_always_deny() -> None:
    def script(conv):
        return (
            call_step("web_search", {"query": "cats"})
            if conv[-1].role == "user"
            else answer("Cats: meow")  # how an answer quotes a search (Tool.openings)
        )

    from aether_core.tools.web_search import WebSearchTool

    fake = WebSearchTool(
        backend=lambda q, n: [{"title": "Cats", "href": "https://c.example", "body": "meow"}]
    )
    tools = ToolRegistry([fake])
    asked: list = []

    def approver(decision: ApprovalDecision):
        def ask(req):
            asked.append(req)
            return decision

        return ask

    agent = make_agent(script, tools=tools)
    events = list(agent.run("search cats", approver=approver(ApprovalDecision(True))))
    assert any(isinstance(e, ApprovalNeeded) for e in events)
    assert next(e for e in events if isinstance(e, ToolResultEvent)).ok
    assert asked[-1].reason == "need a tool" and asked[-1].args == {"query": "cats"}
    # deny once, with a message that reaches the model
    events = list(
        agent.run("cats again", approver=approver(ApprovalDecision(False, message="use memory")))
    )
    res = next(e for e in events if isinstance(e, ToolResultEvent))
    assert res.status == "denied" and "use memory" in res.output
    assert agent.conversation[-2].items[0].output == b"denied by user: use memory"
    # always approve: asked once, then never again
    n = len(asked)
    list(agent.run("third", approver=approver(ApprovalDecision(True, remember=True))))
    events = list(agent.run("fourth", approver=approver(ApprovalDecision(False))))
    assert len(asked) == n + 1
    assert not any(isinstance(e, ApprovalNeeded) for e in events)
    assert next(e for e in events if isinstance(e, ToolResultEvent)).ok
    # no approver: denied
    agent2 = make_agent(script, tools=tools)
    events = list(agent2.run("search"))
    assert next(e for e in events if isinstance(e, ToolResultEvent)).status == "denied"
    # edited arguments are what runs
    agent3 = make_agent(script, tools=tools)
    list(agent3.run("s", approver=approver(ApprovalDecision(True, args={"query": "dogs"}))))
    assert b"Cats" in agent3.conversation[-2].items[0].output


def test_a_call_the_tool_cannot_carry_out_is_an_error_result() -> None:
    agent = make_agent([call_step("calc", {"expression": "1/0"}), answer("no")])
    events = list(agent.run("what's 1/0?"))
    res = next(e for e in events if isinstance(e, ToolResultEvent))
    assert res.status == "error" and not res.ok and "zero" in res.output


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("calc", {"expression": "2018 world cup"}),
        ("calc", {"expression": "__import__('os')"}),
        ("browse_page", {"url": "2018"}),
        ("time", {"timezone": "2020"}),
    ],
)
def test_a_call_its_tool_makes_nothing_of_is_decided_again_without_it(tool, args) -> None:
    script = [call_step(tool, args), call_step("web_search", {"query": "who won"}), answer("ok")]
    offline = default_registry(search_backend=lambda q, n: [{"title": q, "href": "", "body": ""}])
    agent = make_agent(script, tools=offline)
    events = list(agent.run("who won the 2018 world cup?"))
    assert [e.tool for e in events if isinstance(e, ToolCallRequested)] == ["web_search"]
    assert [e.step for e in events if isinstance(e, StepStarted)] == [1, 2, 3]
    calls = [m.of(ToolCall)[-1].parse()[0] for m in agent.conversation if m.of(ToolCall)]
    assert calls == ["web_search"]  # the call not made is not in the conversation either


def test_a_step_decided_again_names_the_tool_it_calls_in_its_thought() -> None:
    script = [
        call_step("time", {"timezone": "Porto"}, "Time in Porto: use time."),
        call_step("web_search", {"query": "best time to visit Porto"}, "Time in Porto: use time."),
        answer("ok", dialogue.THOUGHT_OK),
    ]
    offline = default_registry(search_backend=lambda q, n: [{"title": q, "href": "", "body": ""}])
    agent = make_agent(script, approve="all", tools=offline)
    list(agent.run("what's the best time to visit Porto?"))
    steps = [m for m in agent.conversation if m.role == "assistant" and m.of(ToolCall)]
    assert [m.thought_text for m in steps] == ["Time in Porto: use web_search."]


def test_a_tool_that_speaks_answers_in_its_own_words() -> None:
    script = [call_step("echo", {"text": "Hi THERE"}), answer("hi there!", dialogue.THOUGHT_OK)]
    agent = make_agent(script, approve="all")
    events = list(agent.run("say Hi THERE"))
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == "Hi THERE"
    thought = "".join(e.text for e in events if isinstance(e, ThoughtDelta) and e.step == 2)
    assert thought == dialogue.THOUGHT_OK  # the model still wrote the step's thought
    assert agent.conversation[-1].items == (Thought(b"Got the result."), Text(b"Hi THERE"))
    assert events[-1].answer == "Hi THERE" and events[-1].steps == 2


def test_after_a_tool_that_speaks_the_model_may_still_call_another() -> None:
    script = [
        call_step("echo", {"text": "hi"}),
        call_step("calc", {"expression": "2+2"}, dialogue.THOUGHT_OK),
        answer("hi 4", dialogue.THOUGHT_OK),
    ]
    events = list(make_agent(script, approve="all").run("say hi and what's 2+2"))
    assert [e.tool for e in events if isinstance(e, ToolCallRequested)] == ["echo", "calc"]
    assert events[-1].answer == "hi 4"  # two results: the model's answer covers both


def test_bad_image_is_an_error_event(tmp_path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    from aether_core.model.vq import TinyVQVAE, VQConfig

    agent = make_agent([answer("hi")])
    agent.vq = TinyVQVAE(VQConfig()).eval()
    events = list(agent.run("look", images=[str(bad)]))
    assert isinstance(events[0], ErrorEvent) and "bad.png" in events[0].message
    assert isinstance(events[-1], Done)
    assert [m.role for m in agent.conversation] == ["system"]  # nothing half-added


def test_step_grammar_rejects_malformed_script() -> None:
    agent = make_agent([[Text(b"answer without thought")]])
    events = list(agent.run("hi"))
    assert any(isinstance(e, ErrorEvent) for e in events)
    assert isinstance(events[-1], Done)


# ------------------------------------------------------------------ context trimming
def _turn(i: int, pad: int = 50) -> list[Message]:
    return [
        dialogue.user_message(f"q{i} " + "x" * pad, images=[bytes(range(128))]),
        dialogue.tool_step("t", "calc", {"expression": f"{i}+1"}),
        dialogue.tool_message(True, "y" * pad),
        dialogue.answer_step("t", f"a{i}"),
    ]


def test_fit_context_drops_whole_oldest_turns() -> None:
    msgs = [dialogue.system_message()] + [m for i in range(6) for m in _turn(i)]
    full = len(encode(msgs))
    kept, dropped = fit_context(msgs, budget=full - 10)
    assert dropped == 1
    assert kept[0].role == "system" and kept[1].plain_text.startswith("q1")
    assert kept[-4:] == msgs[-4:]
    # what is kept is exactly whole messages: no segment cut
    assert all(m in msgs for m in kept)
    _, turns = split_turns(kept)
    assert all(t[0].role == "user" for t in turns)
    kept, dropped = fit_context(msgs, budget=len(encode([msgs[0]] + msgs[-4:])))
    assert dropped == 5
    with pytest.raises(ContextOverflow):
        fit_context(msgs, budget=50)


def test_a_long_tool_result_is_shortened_to_fit() -> None:
    """A web page longer than a small model's whole context: the result is cut, still a valid
    segment that says so, and everything else of the turn is kept as it was."""
    page = ("Lyon is a city in France. " * 40 + "é" * 30).strip()
    msgs = [
        dialogue.system_message(),
        *_turn(0),
        dialogue.user_message("read https://example.org"),
        dialogue.tool_step("read it", "browse_page", {"url": "https://example.org"}),
        dialogue.tool_message(True, page),
    ]
    budget = 300
    kept, dropped = fit_context(msgs, budget=budget, reserve=40)
    assert dropped == 1 and len(encode(kept)) + 40 <= budget
    assert kept[:-1] == [msgs[0], *msgs[-3:-1]]
    out = kept[-1].items[0].output
    assert out.endswith(b"[truncated]") and page.encode().startswith(out[: -len(b"\n[truncated]")])
    out.decode("utf-8")  # no character cut in half
    assert decode(encode(kept)) == kept  # segments still well formed
    assert len(encode(kept)) + 40 > budget - 8  # it keeps as much of the page as fits
    long_ask = dialogue.user_message("please " * 12 + "read https://example.org")
    kept, _ = fit_context([msgs[0], long_ask, *msgs[-2:]], budget=budget, reserve=40)
    assert kept[1] == long_ask  # a tool result is cut before the user's words


def test_the_middle_of_a_long_message_is_left_out_as_a_last_resort() -> None:
    """A message longer than the model's context: the model sees its start and its end, cut at
    words, with a mark where the middle was; the conversation itself keeps every byte."""
    words = " ".join(f"word{i}" for i in range(120))
    ask = dialogue.user_message(f"Hello there. {words} Could you look up the tides in Brest?")
    msgs = [dialogue.system_message(), ask]
    budget, reserve = 300, 40
    kept, dropped = fit_context(msgs, budget=budget, reserve=reserve)
    assert dropped == 0 and msgs[1] == ask and len(ask.plain_text) > budget
    assert budget - 12 < len(encode(kept)) + reserve <= budget  # as much as fits
    text = kept[1].plain_text
    head, tail = text.split(ELIDED.decode())
    assert text.startswith("Hello there. word0 ") and text.endswith("tides in Brest?")
    assert ask.plain_text.startswith(head) and ask.plain_text.endswith(tail)
    assert not head.endswith("word") and tail.split()[0] in words.split()  # whole words
    assert abs(len(head) - len(tail)) < 16  # both ends get about the same room
    assert decode(encode(kept)) == kept
    with pytest.raises(ContextOverflow):  # a context with no room even for the ends
        fit_context(msgs, budget=60)


def test_agent_trims_context_for_small_models() -> None:
    agent = make_agent(lambda conv: answer("a" * 20))
    agent.policy.info = type(agent.policy.info)(
        **{**agent.policy.info.__dict__, "max_context": 1200}
    )
    for i in range(12):
        list(agent.run(f"question {i} " + "z" * 100))
    last = agent.policy.contexts[-1]
    assert len(last) <= 1200
    text = bytes(t for t in last if t < 256)
    assert b"question 11" in text and b"question 0 " not in text
    assert text.startswith(dialogue.SYSTEM_PROMPT.encode())


def test_image_segment_in_context_carries_pixels() -> None:
    agent = make_agent([answer("a red circle")])
    from aether_core.model.vq import TinyVQVAE, VQConfig

    agent.vq = TinyVQVAE(VQConfig()).eval()
    agent.load_conversation(
        [
            dialogue.system_message(),
            dialogue.user_message("see", images=[bytes(128)]),
            dialogue.answer_step("t", "ok"),
        ]
    )
    assert len(agent._images_for(agent.conversation)) == 1
    assert agent.conversation[1].of(Image)


def _errors(script: list, text: str = "say hi there, yo again") -> list[str]:
    events = list(make_agent(script, approve="all").run(text))
    return [e.message for e in events if isinstance(e, ErrorEvent)]


def test_the_agent_holds_each_step_to_the_results_it_has() -> None:
    hi = call_step("echo", {"text": "hi there"}, "Repeat it: use echo.")
    yo = call_step("echo", {"text": "yo again"}, "Repeat it: use echo.")
    assert not _errors([hi, answer("hi there", dialogue.THOUGHT_OK)])
    assert _errors([hi, answer("hi there", dialogue.THOUGHT_ERROR)])  # the call went well
    assert _errors([hi, yo, answer("hi there", dialogue.THOUGHT_OK)])  # half of two requests
    assert not _errors([hi, yo, answer("hi there, yo again", dialogue.THOUGHT_OK)])


def test_a_drawing_is_drawn_after_a_thought_held_to_the_users_words() -> None:
    from aether_core.model.vq import TinyVQVAE, VQConfig

    codes = bytes(VQConfig().n_codes)
    said = [Thought(b"Draw a black background."), Image(codes), Text(b"Here's black.")]
    script = [said, [Image(codes), Text(b"Here's a pink square.")]]
    agent = make_agent(script)
    agent.vq = TinyVQVAE(VQConfig()).eval()
    events = list(agent.run("sketch a pink square over a black background"))
    thought = "".join(e.text for e in events if isinstance(e, ThoughtDelta))
    assert thought == "Draw a black background.\n→ Draw a pink square."  # shown as it went
    assert agent.conversation[-1].thought_text == "Draw a pink square."
    assert events[-1].answer == "Here's a pink square."  # the first try's answer never shows
    assert bytes(t for t in agent.policy.contexts[-1] if t < 256).endswith(b"a pink square.")
    agreed = make_agent([[Thought(b"Draw a pink square."), Image(codes), Text(b"Here.")]])
    agreed.vq = TinyVQVAE(VQConfig()).eval()
    list(agreed.run("sketch a pink square over a black background"))
    assert agreed.policy.calls == 1  # a thought that says what was asked is left alone


def test_a_call_the_turn_has_made_is_not_made_again_the_step_answers() -> None:
    sum_ = call_step("calc", {"expression": "2+2"}, "Arithmetic: use calc.")
    script = [sum_, sum_, [Text(b"That's 4.")]]  # the answer goes on from the held status
    agent = make_agent(script, approve="all")
    events = list(agent.run("what's 2+2?"))
    assert [e.tool for e in events if isinstance(e, ToolCallRequested)] == ["calc"]  # once
    assert events[-1].answer == "That's 4."
    assert agent.conversation[-1].thought_text == dialogue.THOUGHT_OK
    shown = [e.text for e in events if isinstance(e, ThoughtDelta)]
    assert shown[-1] == dialogue.THOUGHT_OK  # the thought the answer was held to
    assert not any(isinstance(e, ErrorEvent) for e in events)


def test_an_answer_after_a_search_opens_with_its_top_result() -> None:
    class Search(Tool):
        name, description = "web_search", "finds"
        schema = {"query": ArgSpec("string")}

        def run(self, query: str) -> str:
            return "1. Dracula - Wikipedia — https://en.wikipedia.org/wiki/Dracula\n   A novel."

        def openings(self, output: str, ok: bool = True) -> tuple[str, ...]:
            return ("Top result: Dracula - Wikipedia.",)

    look = call_step("web_search", {"query": "who wrote dracula"}, "Look it up: use web_search.")
    said = answer("It's 7 truncated.", dialogue.THOUGHT_OK)  # what a confused model writes
    agent = make_agent([look, said], approve="all", tools=ToolRegistry([Search()]))
    events = list(agent.run("who wrote dracula?"))
    assert any("not allowed" in e.message for e in events if isinstance(e, ErrorEvent))
    good = answer("Top result: Dracula - Wikipedia.", dialogue.THOUGHT_OK)
    agent = make_agent([look, good], approve="all", tools=ToolRegistry([Search()]))
    assert list(agent.run("who wrote dracula?"))[-1].answer == "Top result: Dracula - Wikipedia."


def test_a_fact_recalled_close_to_the_question_is_answered_from() -> None:
    from aether_core.memory import VectorMemory

    unknown = [Thought(dialogue.THOUGHT_UNKNOWN.encode()), Text(b"I don't know that.")]
    memory = VectorMemory(path=None)
    memory.add("my fav food is sushi", kind="fact")
    agent = make_agent([unknown, [Text(b"Your fav food is sushi.")]])
    agent.memory = memory
    events = list(agent.run("what's my fave food"))
    assert events[-1].answer == "Your fav food is sushi."
    assert agent.conversation[-1].thought_text == dialogue.THOUGHT_RECALL
    far = VectorMemory(path=None)
    far.add("my sister lives in Oslo", kind="fact")  # about something else: not known stands
    agent = make_agent([unknown])
    agent.memory = far
    assert list(agent.run("what's my fave food"))[-1].answer == "I don't know that."
