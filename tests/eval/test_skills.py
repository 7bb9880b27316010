"""The skills evaluation scores a policy that is right high and one that is wrong low."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
import torch

from aether_core.agent.policy import ScriptedPolicy
from aether_core.data.shapes import render
from aether_core.data.skills import to_messages
from aether_core.eval.chat import SKILLS as CHAT_SKILLS
from aether_core.eval.chat import TURNS, chat_samples
from aether_core.eval.judge import has_number, honest_about_photo, score_calls
from aether_core.eval.skills import (
    GENERATED_ONLY,
    ROWS,
    WRITTEN_ONLY,
    Transcript,
    eval_samples,
    evaluate_skills,
    score,
)
from aether_core.model.vq import TinyVQVAE, VQConfig
from aether_core.segments import Text, Thought, ToolCall
from aether_core.tools import default_registry

SKILLS_NO_DRAW = ("arithmetic", "time", "search", "browse", "echo", "chat", "caption", "memory")


def oracle(vq, samples=None):
    """Answers every eval prompt (of ``samples``: prompt -> sample) the way its ground truth
    says (found by the user's text)."""
    if samples is None:
        samples = {s.prompt: s for skill in SKILLS_NO_DRAW for s in eval_samples(skill, 4, 0)}
    codes = lambda spec: vq.encode(render(spec))  # noqa: E731

    def script(conv):
        user = [m for m in conv if m.role == "user"][-1]
        sample = samples.get(user.plain_text)
        if sample is None:  # the memory skill's earlier "remember that ..." turn
            return [Thought(b"A fact to remember."), Text(b"OK, I'll remember that.")]
        steps = [m for m in to_messages(sample, codes) if m.role == "assistant"]
        done = sum(1 for m in conv[conv.index(user) :] if m.role == "assistant")
        return list(steps[min(done, len(steps) - 1)].items)

    return script


@pytest.fixture(scope="module")
def vq():
    torch.manual_seed(0)
    return TinyVQVAE(VQConfig()).eval()


def test_right_policy_scores_high_and_wrong_policy_low(vq) -> None:
    registry = default_registry()
    right = evaluate_skills(
        ScriptedPolicy(oracle(vq)), vq, registry, n=4, seed=0, skills=SKILLS_NO_DRAW
    )
    calls = right.pop("call")
    rows = set(ROWS) - {"draw_colour", "draw_shape", *WRITTEN_ONLY, *GENERATED_ONLY}
    assert set(right) - {"skills_mean"} == rows
    assert set(calls) == set(right) - {"skills_mean"} | {"mean"}
    assert all(v == 1.0 for v in right.values()) and all(v == 1.0 for v in calls.values()), right
    wrong = ScriptedPolicy(lambda conv: [Thought(b"hmm"), Text(b"I don't know.")])
    low = evaluate_skills(wrong, vq, registry, n=4, seed=0, skills=SKILLS_NO_DRAW)
    low_calls = low.pop("call")
    assert low["chat"] == 1.0  # answering without a tool is what chat asks for
    assert all(v == 0.0 for k, v in low.items() if k not in ("chat", "skills_mean")), low
    assert low["skills_mean"] < 0.2
    # no tool is the right call for chat, caption and memory: the answer is what fails them
    assert low_calls["chat"] == low_calls["caption"] == low_calls["memory"] == 1.0
    assert all(low_calls[k] == 0.0 for k in ("arithmetic", "time", "search", "browse", "echo"))


def test_a_long_chat_mixes_the_tool_skills_and_is_judged_turn_by_turn(vq) -> None:
    chats = chat_samples(14, 0)
    assert [len(c) for c in chats] == [TURNS, 2]
    assert tuple(s.skill for s in chats[0][: len(CHAT_SKILLS)]) == CHAT_SKILLS
    single = {s.prompt for skill in CHAT_SKILLS for s in eval_samples(skill, 3, 0)}
    turns = {s.prompt: s for chat in chats for s in chat}
    assert not single & set(turns)  # not the single-turn rows' prompts
    registry, only = default_registry(), ("long_chat",)
    right = evaluate_skills(ScriptedPolicy(oracle(vq, turns)), vq, registry, n=14, skills=only)
    assert right["long_chat"] == 1.0 and right["call"]["long_chat"] == 1.0
    fifth = chats[0][4].prompt  # one turn answered without its tool: that turn alone is wrong
    script = oracle(vq, turns)

    said: list[int] = []

    def one_wrong(conv):
        users = [m.plain_text for m in conv if m.role == "user"]
        said.append(len(users))
        return [Thought(b"hmm"), Text(b"I don't know.")] if users[-1] == fifth else script(conv)

    got = evaluate_skills(ScriptedPolicy(one_wrong), vq, registry, n=14, skills=only)
    assert got["long_chat"] == pytest.approx(13 / 14) and got["call"]["long_chat"] == 13 / 14
    assert max(said) > TURNS // 2  # a chat is one conversation (its oldest turns trimmed)


def test_eval_prompts_are_held_out_and_plain() -> None:
    from aether_core.data.skills import skill_samples

    train = {s.prompt for sk in SKILLS_NO_DRAW for s in skill_samples(sk, 300, 1, "train")}
    for skill in SKILLS_NO_DRAW:
        for s in eval_samples(skill, 20, 3):
            assert s.split == "eval" and s.prompt not in train
            assert s.variant not in ("error", "denied", "store", "unknown")


def test_draw_is_judged_by_geometry() -> None:
    [sample] = eval_samples("draw", 1, 0)
    good = Transcript(images=[render(sample.draw_spec)])
    assert score(sample, good) == {"draw_colour": True, "draw_shape": True}
    assert score(sample, Transcript()) == {"draw_colour": False, "draw_shape": False}


def test_arithmetic_call_and_answer_are_judged_apart() -> None:
    [s] = eval_samples("arithmetic", 1, 0)
    result = s.extra["result"]
    ok = Transcript(calls=[("calc", s.expected_args)], answer=f"it is {result}")
    assert score(s, ok)["arithmetic"] and score_calls(s, ok)["arithmetic"]
    wrong_expr = Transcript(calls=[("calc", {"expression": "1+1"})], answer=f"it is {result}")
    assert not score_calls(s, wrong_expr)["arithmetic"]  # the call is wrong ...
    assert score(s, wrong_expr)["arithmetic"]  # ... though the user read the right number
    no_result = Transcript(calls=[("calc", s.expected_args)], answer="done")
    assert score_calls(s, no_result)["arithmetic"] and not score(s, no_result)["arithmetic"]
    phrase = Transcript(calls=[("calc", {"expression": "what's " + s.prompt})], answer="")
    assert score_calls(s, phrase)["arithmetic"] == (
        _reads(s.prompt) == result
    )  # the user's own words count when calc reads them to the same value


def test_a_calc_call_is_judged_by_its_number_with_or_without_a_unit() -> None:
    [s] = eval_samples("arithmetic", 1, 0)
    s = replace(s, extra={**s.extra, "result": "43200"})
    assert score_calls(s, Transcript(calls=[("calc", {"expression": "seconds in 12 hours"})]))[
        "arithmetic"
    ]  # "43200 seconds": the number the user asked for
    assert not score_calls(s, Transcript(calls=[("calc", {"expression": "12 hours in minutes"})]))[
        "arithmetic"
    ]


def _reads(text: str) -> str | None:
    from aether_core.tools.calc import evaluate

    try:
        return evaluate("what's " + text)
    except Exception:  # noqa: BLE001
        return None


def test_a_good_page_answered_as_a_failure_is_wrong_whatever_it_quotes() -> None:
    [s] = eval_samples("browse", 1, 0)
    first = s.expected_answer_contains[0]
    call = [("browse_page", s.expected_args)]
    assert score(s, Transcript(calls=call, answer=f"The page says: {first}"))["browse"]
    said_failed = Transcript(calls=call, answer=f"Sorry, I couldn't open that page: {first}")
    assert not score(s, said_failed)["browse"]


def test_an_echo_that_repeats_more_than_the_text_is_wrong() -> None:
    [s] = eval_samples("echo", 1, 0)
    text = s.expected_args["text"]
    assert score(s, Transcript(calls=[("echo", {"text": text})], answer=text))["echo"]
    more = "after me please: " + text  # the answer holds the text, and the words before it
    assert not score(s, Transcript(calls=[("echo", {"text": more})], answer=more))["echo"]


def test_numbers_stand_alone_in_the_answer() -> None:
    assert has_number("It's 12.", "12") and has_number("that makes 1,250 in all", "1250")
    assert not has_number("128 apples", "12") and not has_number("1.12", "12")
    assert has_number("8.04672 kilometers", "8.04672") and not has_number("8.046721", "8.04672")
    assert has_number("about 8.67 on average", "8.66666666667")  # rounded, as people read it
    assert not has_number("about 8.7", "8.66666666667") and not has_number("8.66", "8.66666666667")


def test_time_is_right_end_to_end_with_the_time_and_the_place() -> None:
    [s] = [x for x in eval_samples("time", 30, 0) if (x.expected_args or {}).get("timezone")][:1]
    hhmm = (
        next(c for c in s.expected_answer_contains if ":" in c)
        if any(":" in c for c in s.expected_answer_contains)
        else None
    )
    typed = s.expected_args["timezone"]
    said = " ".join(s.expected_answer_contains)
    call = [("time", {"timezone": typed})]
    assert score(s, Transcript(calls=call, answer=f"In {typed}: {said}."))["time"]
    assert not score(s, Transcript(calls=call, answer=f"It's {said}."))["time"]  # where?
    if hhmm:
        assert not score(s, Transcript(calls=call, answer=f"In {typed}, UTC+09:00)"))["time"]


def test_a_date_counts_as_the_clock_says_it() -> None:
    [s] = [x for x in eval_samples("time", 60, 0) if x.variant == "date" and x.expected_args][:1]
    typed = s.expected_args["timezone"]
    want = s.expected_answer_contains[0]  # as the clock's sentence says it: "17 April 2025"
    day = datetime.strptime(want, "%d %B %Y" if " " in want else "%Y-%m-%d")
    call = [("time", {"timezone": typed})]
    for said in (f"{day:%Y-%m-%d}", f"{day.day} {day:%B %Y}", f"{day:%B} {day.day}"):
        assert score(s, Transcript(calls=call, answer=f"In {typed} it's {said}."))["time"], said
    assert not score(
        s,
        Transcript(
            calls=call, answer=f"In {typed} it's {day.day + 1 if day.day < 28 else 1} {day:%B}."
        ),
    )["time"]


def test_a_photo_answer_is_honest_or_wrong() -> None:
    assert honest_about_photo("I'm not sure; I can only recognize simple shapes. It's mostly blue.")
    assert honest_about_photo("Mostly green and brown colours.")
    assert not honest_about_photo("I see a magenta square on a black background.")
    assert not honest_about_photo("")


def test_a_tool_the_sample_does_not_ask_for_returns_nothing_of_its_answer(vq) -> None:
    """Replayed outputs belong to the tool that was asked for: a wrong tool finds nothing (or,
    for the clock, tells the time), so parroting its result cannot pass a row end to end."""
    [s] = eval_samples("arithmetic", 1, 0)

    def parrot(tool: str, args: dict):
        def script(conv):
            last = conv[-1]
            if last.role == "tool":
                return [Thought(b"say it"), Text(b"Result: " + last.items[-1].output)]
            return [Thought(b"call"), ToolCall.make(tool, args)]

        return ScriptedPolicy(script)

    for tool, args in (("web_search", {"query": "numbers"}), ("browse_page", {"url": "x.org"})):
        table = evaluate_skills(parrot(tool, args), vq, default_registry(), samples=[s])
        assert (table["arithmetic"], table["call"]["arithmetic"]) == (0.0, 0.0), tool
    right = evaluate_skills(parrot("calc", s.expected_args), vq, default_registry(), samples=[s])
    assert (right["arithmetic"], right["call"]["arithmetic"]) == (1.0, 1.0)
