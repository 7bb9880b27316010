"""Turns without a server: the deadline cancels a turn that runs too long, the gate bounds
what runs and waits, and an OpenAI messages list maps onto Aether's dialogue."""

from __future__ import annotations

import asyncio
import threading

import pytest

from aether_core import dialogue
from aether_core.agent.events import AnswerDelta, Done
from aether_core.segments import Image, Text, Thought, ToolCall
from aether_core.serve.config import ServeConfig
from aether_core.serve.convert import Prompt, image_bytes, to_prompt
from aether_core.serve.schema import ApiError, parse_request
from aether_core.serve.turns import Gate, Turn


class SlowAgent:
    """Streams one delta, then blocks until cancelled (as a generating agent would)."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def load_conversation(self, messages) -> None:
        self.history = messages

    def cancel(self) -> None:
        self.cancelled.set()

    def run(self, text, images=()):
        yield AnswerDelta("partial")
        self.cancelled.wait(10)
        yield Done(1, 7, 0.0, 0.0, "partial", cancelled=True)


def test_the_deadline_cancels_a_long_turn() -> None:
    async def go():
        import time

        agent, gate = SlowAgent(), Gate(ServeConfig(timeout_s=0.3))
        gate.enter()
        turn = Turn(agent, lambda: Prompt([], "hi", [], 3), gate, time.monotonic() + 0.3)
        turn.start()
        assert (await turn.get())[0] == "ready"
        assert (await turn.get()) == ("event", AnswerDelta("partial"))
        kind, err = await turn.get()
        assert kind == "error" and err.status == 504 and err.code == "timeout"
        assert agent.cancelled.is_set()
        while (await turn.queue.get())[0] != "end":
            pass
        return gate

    gate = asyncio.run(asyncio.wait_for(go(), 10))
    assert gate.inside == 0 and gate.cancelled == 1


def test_the_gate_admits_batch_plus_queue_then_429() -> None:
    gate = Gate(ServeConfig(batch=2, max_queue=1, retry_after_s=5))
    for _ in range(3):
        gate.enter()
    with pytest.raises(ApiError) as e:
        gate.enter()
    assert e.value.status == 429 and e.value.headers == {"Retry-After": "5"}
    gate.leave()
    gate.enter()


def test_stop_text_holds_back_only_what_could_start_a_stop() -> None:
    from aether_core.serve.responses import StopText

    st = StopText(["END", "xy"])
    assert st.feed("hello E") == "hello "  # "E" may begin END
    assert st.feed("N") == ""
    assert st.feed("Dafter") == "" and st.hit
    assert st.feed("more") == "" and st.flush() == ""
    free = StopText(["END"])
    assert free.feed("ab") + free.feed("E") + free.flush() == "abE"
    assert StopText([]).feed("anything") == "anything"


def test_messages_map_onto_the_dialogue() -> None:
    req = parse_request(
        {
            "model": "aether",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "what is 2+2?"}]},
                {
                    "role": "assistant",
                    "content": "use calc",
                    "tool_calls": [
                        {
                            "type": "function",
                            "function": {"name": "calc", "arguments": '{"expression": "2+2"}'},
                        }
                    ],
                },
                {"role": "tool", "content": "4"},
                {"role": "assistant", "content": "4."},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "and this?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    ],
                },
            ],
        }
    )
    p = to_prompt(req.messages, ServeConfig(), lambda data: b"\x07" * 128, lambda url: b"")
    roles = [m.role for m in p.history]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert p.history[0] == dialogue.system_message("Be brief.")
    assert p.history[2].of(ToolCall)[0].parse() == ("calc", {"expression": "2+2"})
    assert p.history[2].of(Thought)[0].text == "use calc"
    assert p.history[4].of(Text)[0].data == b"4."
    assert p.text == "and this?" and p.images == [b"\x00\x00\x00"]
    assert p.prompt_tokens > 128
    assert not p.history[1].of(Image)


def test_an_image_the_server_drew_comes_back_as_the_models_own() -> None:
    drawn = "data:image/png;base64," + "iVBORw0KGgo="
    req = parse_request(
        {
            "model": "aether",
            "messages": [
                {"role": "user", "content": "draw a cat"},
                {"role": "assistant", "content": f"Here it is.\n![image]({drawn})\n"},
                {"role": "user", "content": "thanks"},
            ],
        }
    )
    seen = []
    p = to_prompt(req.messages, ServeConfig(), lambda f: seen.append(f) or b"\x05" * 128, None)
    assert seen == [b"\x89PNG\r\n\x1a\n"]
    assert p.history[1] == dialogue.answer_step("", "Here it is.", b"\x05" * 128)
    with pytest.raises(ApiError, match="too many images"):  # drawn images count too
        more = [*req.messages[:2], req.messages[1]]
        to_prompt([*more, req.messages[2]], ServeConfig(max_images=1), lambda f: b"", None)


@pytest.mark.parametrize(
    "url", ["data:text/plain;base64,AAAA", "data:image/png,raw", "ftp://x/y.png", "/etc/passwd"]
)
def test_image_urls_that_are_refused(url) -> None:
    with pytest.raises(ValueError):
        image_bytes(url, lambda u: b"")


def test_server_agent_batches_flat_models_and_refuses_what_would_ask() -> None:
    from aether_core.agent.policy import ModelPolicy
    from aether_core.serve.batcher import BatchedPolicy
    from aether_core.serve.server import build_server_agent, close
    from tests.core.helpers import tiny_config

    flat = build_server_agent(ServeConfig(batch=3), model_config=tiny_config())
    try:
        assert isinstance(flat.policy, BatchedPolicy) and len(flat.policy.batch.sessions) == 3
        assert flat.memory is None  # clients are strangers: no shared memory store
        modes = {t: flat.approval.mode_for(t) for t in flat.tools.names()}
        assert modes == {
            "calc": "auto",
            "time": "auto",
            "echo": "auto",
            "web_search": "deny",
            "browse_page": "deny",
        }
    finally:
        close(flat)
    hier = build_server_agent(
        ServeConfig(approve="all"), model_config=tiny_config(arch="hierarchical")
    )
    assert type(hier.policy) is ModelPolicy  # one conversation at a time
    assert hier.approval.mode_for("web_search") == "auto"
