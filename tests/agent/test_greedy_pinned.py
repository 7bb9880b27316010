"""Greedy outputs of the shipped model, pinned byte for byte.

Computed for the weights shipped with leg 20 (the 20 mean) through the reference path (the general forward at
every step, no prompt-lookup drafts), then checked through the default numpy step
(model/numpy_decode.py), the eager torch step (fast_decode.py) and the compiled one
(compiled_decode.py): decoding faster must not change a single byte of what the model says. Seeded, offline tools
(a fixed clock, a fake search backend)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest
import torch

from aether_core.agent.events import AnswerDelta, ThoughtDelta, ToolCallRequested
from aether_core.sampling import SamplingConfig, generate
from aether_core.tools import ToolRegistry, default_registry
from aether_core.tools.clock import TimeTool

MOMENT = datetime(2026, 3, 14, 15, 9, tzinfo=UTC)

TURNS = [
    ("hi there!", "Greeting, no tool.", "Hey! How can I help?", []),
    (
        "what is 37 times 12?",
        "Arithmetic: use calc.Got the result.",
        "That's 444.",
        [("calc", {"expression": "37 times 12"})],  # the phrase calc reads
    ),
    (
        "repeat after me: purple elephants dance",
        "Repeat it: use echo.Got the result.",
        "purple elephants dance",
        [("echo", {"text": "purple elephants dance"})],
    ),
    (
        "what time is it?",
        "Current time: use time.Got the result.",
        "It's 15:09 on Saturday 14 March 2026 here (UTC+00:00).",
        [("time", {})],
    ),
    (  # one search result, cut short by the context: still a result (leg 15's data)
        "search the web for sourdough starter tips",
        "Look it up: use web_search.Got the result.",
        "Top result: All about sourdough starter tips.",  # as the training answers quote it
        [("web_search", {"query": "sourdough starter tips"})],
    ),
]

TEXT = [  # 64 greedy tokens after each prompt, no stop token
    (
        b"First Citizen:\nBefore we proceed",
        b" and the people is a prisoner.\n\nCORIOLANUS:\nWhat is the prince?\n",
    ),
    (
        b"To be, or not to be",
        b" a subject,\nAnd then to be a subject to the crown.\n\nKING RICHARD",
    ),
    (b"ROMEO:\n", b"What says the truth of me? the more we say.\n\nROMEO:\nI will not s"),
]


def _search(query: str, max_results: int) -> list[dict]:
    return [
        {"title": f"All about {query}", "href": "https://example.org/a", "body": f"On {query}."}
    ][:max_results]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory):
    from aether_core.agent import build_agent

    torch.set_num_threads(1)
    tmp = tmp_path_factory.mktemp("pinned")
    tools = ToolRegistry(
        [
            TimeTool(now=lambda: MOMENT) if t.name == "time" else t
            for t in default_registry(search_backend=_search)
        ]
    )
    a = build_agent(
        approve="all", memory_path=str(tmp), out_dir=str(tmp), tools=tools, seed=0, use_memory=False
    )
    if a.info.random_weights:
        pytest.skip("no shipped model")
    return a


@pytest.mark.parametrize("prompt,thought,answer,calls", TURNS, ids=[t[0][:20] for t in TURNS])
def test_agent_greedy_turn_is_pinned(agent, prompt, thought, answer, calls) -> None:
    agent.reset()
    th, an, got = [], [], []
    for ev in agent.run(prompt):
        if isinstance(ev, ThoughtDelta):
            th.append(ev.text)
        elif isinstance(ev, AnswerDelta):
            an.append(ev.text)
        elif isinstance(ev, ToolCallRequested):
            got.append((ev.tool, ev.args))
    assert ("".join(th), "".join(an), got) == (thought, answer, calls)


@pytest.mark.parametrize("prompt,expected", TEXT, ids=[p[:10].decode() for p, _ in TEXT])
def test_model_greedy_text_is_pinned(agent, prompt, expected) -> None:
    model = agent.policy.model
    out = generate(model, list(prompt), SamplingConfig(temperature=0.0), 64, stop_tokens=())
    assert len(out) == 64
    assert bytes(out) == expected


@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("c++") is None, reason="no C++")
def test_compiled_step_writes_the_same_greedy_text(agent) -> None:
    from aether_core.sampling import DecodeSession

    session = DecodeSession(agent.policy.model, 512, compile=True)
    for prompt, expected in TEXT:
        out = list(
            session.generate(list(prompt), SamplingConfig(temperature=0.0), 64, stop_tokens=())
        )
        assert session.fast.failed is None
        assert bytes(out) == expected


def test_eager_torch_step_with_drafts_writes_the_same_greedy_text(agent) -> None:
    from aether_core.model.fast_decode import FastStep
    from aether_core.sampling import DecodeSession

    session = DecodeSession(agent.policy.model, 512)
    session.fast = FastStep(agent.policy.model)  # where prompt-lookup drafts are on
    assert session.drafts
    for prompt, expected in TEXT:
        out = list(
            session.generate(list(prompt), SamplingConfig(temperature=0.0), 64, stop_tokens=())
        )
        assert bytes(out) == expected
