"""`aether eval skills --prompts FILE`: written prompts become samples the runner and score take."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from aether_core.agent.policy import ScriptedPolicy
from aether_core.data.shapes import render
from aether_core.data.skills import SKILLS, to_messages
from aether_core.eval.human import (
    HUMAN_PROMPTS,
    PromptsError,
    load_prompts,
    prompt_samples,
    resolve_prompts,
)
from aether_core.eval.photos import photograph
from aether_core.eval.skills import Failure, Transcript, evaluate_skills, format_failure, score
from aether_core.model.vq import TinyVQVAE, VQConfig
from aether_core.segments import Image, Text, Thought, ToolCall
from aether_core.tools import default_registry

NO_DRAW = tuple(s for s in SKILLS if s != "draw")
GOOD = {"skill": "chat", "prompt": "hiya"}


@pytest.fixture(scope="module")
def vq():
    torch.manual_seed(0)
    return TinyVQVAE(VQConfig()).eval()


def few(per_skill: int, skills=NO_DRAW):
    """The first ``per_skill`` shipped lines of each skill."""
    seen: Counter = Counter()
    out = []
    for s in prompt_samples(HUMAN_PROMPTS):
        if s.skill in skills and seen[s.skill] < per_skill:
            seen[s.skill] += 1
            out.append(s)
    return out


def oracle(samples, vq, told: list[str]):
    """Answers each sample as its ground truth says; any other user turn is a fact to store."""
    by_prompt = {s.prompt: s for s in samples}
    codes = lambda spec: vq.encode(render(spec))  # noqa: E731

    def script(conv):
        user = [m for m in conv if m.role == "user"][-1]
        sample = by_prompt.get(user.plain_text)
        if sample is None:  # the memory line's store prompt, in an earlier conversation
            told.append(user.plain_text)
            return [Thought(b"A fact to remember."), Text(b"OK, I'll remember that.")]
        steps = [m for m in to_messages(sample, codes) if m.role == "assistant"]
        done = sum(1 for m in conv[conv.index(user) :] if m.role == "assistant")
        return list(steps[min(done, len(steps) - 1)].items)

    return script


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---- the shipped file ----------------------------------------------------------------------


def test_shipped_file_parses_and_every_line_builds_a_sample() -> None:
    assert resolve_prompts("human") == HUMAN_PROMPTS and HUMAN_PROMPTS.is_file()
    lines = load_prompts(HUMAN_PROMPTS)
    samples = prompt_samples(HUMAN_PROMPTS)
    assert 230 <= len(samples) == len(lines) <= 300
    counts = Counter(s.skill for s in samples)
    assert set(counts) == {*SKILLS, "multi", "photo"}, counts
    assert min(counts[k] for k in SKILLS) >= 15 and min(counts["multi"], counts["photo"]) >= 6
    halves = Counter((s.skill, s.extra["half"]) for s in samples)
    for skill in counts:  # every line is in one half; each skill is split down the middle
        assert halves[skill, "dev"] + halves[skill, "heldout"] == counts[skill]
        assert abs(halves[skill, "dev"] - halves[skill, "heldout"]) <= 1, skill
    dev = prompt_samples(HUMAN_PROMPTS, split="dev")
    heldout = prompt_samples(HUMAN_PROMPTS, split="heldout")
    assert {s.prompt for s in dev} | {s.prompt for s in heldout} == {s.prompt for s in samples}
    assert not {s.prompt for s in dev} & {s.prompt for s in heldout}
    assert len({s.prompt for s in samples}) == len(samples)  # distinct prompts
    for s in samples:
        assert s.split == "human" and s.thought and (s.answer or s.tool_output)
        if s.expected_tool:
            assert s.tool_output and s.expected_args is not None
    for s in samples:  # what each tool call copies is in the prompt, verbatim
        for call in s.extra.get("calls", ()):
            for key in ("query", "url", "text", "timezone"):
                value = call["args"].get(key)
                assert value is None or value in s.prompt, (s.prompt, value)
    # random parts follow the seed: same seed, same pictures; another seed, other ones
    captions = [s.image_spec for s in prompt_samples(HUMAN_PROMPTS, skills=["caption"])]
    assert captions == [s.image_spec for s in samples if s.skill == "caption"]
    other = [s.image_spec for s in prompt_samples(HUMAN_PROMPTS, seed=1, skills=["caption"])]
    assert other != captions


def test_samples_take_their_ground_truth_from_the_line(tmp_path: Path) -> None:
    lines = [
        {"skill": "arithmetic", "prompt": "hey can u work out 48 times 12", "expression": "48*12"},
        {"skill": "time", "prompt": "whats the time in tokyo rn", "timezone": "tokyo"},
        {"skill": "time", "prompt": "what time is it", "timezone": None},
        {"skill": "search", "prompt": "google the tallest tower", "query": "the tallest tower"},
        {
            "skill": "browse",
            "prompt": "tl;dr https://ex.org/blog/bread-baking",
            "url": "https://ex.org/blog/bread-baking",
        },  # fmt: skip
        {
            "skill": "draw",
            "prompt": "a tiny grey square on a pink background pls",
            "colour": "gray",
            "shape": "square",
            "background": "pink",
        },  # fmt: skip
        {
            "skill": "memory",
            "store": "remember that my dog is called Biscuit",
            "prompt": "what is my dog called?",
            "fact": "my dog is called Biscuit",
            "answer": "Biscuit",
        },  # fmt: skip
    ]
    path = write(tmp_path, *(json.dumps(x) for x in lines))
    arith, tokyo, local, search, browse, draw, memory = prompt_samples(path)
    assert arith.tool_output == "576" and arith.extra["result"] == "576"
    assert tokyo.expected_args == {"timezone": "tokyo"}
    assert tokyo.tool_output == "It's 00:09 on Sunday 15 March 2026 in Tokyo, Japan."
    assert tokyo.expected_answer_contains == ("00:09",)
    assert local.expected_args == {}
    assert search.extra["results"] and search.extra["results"][0]["title"] in search.tool_output
    assert "bread baking" in browse.tool_output.lower() and browse.tool_output.count("URL: ") == 1
    assert (draw.draw_spec.colour, draw.draw_spec.shape) == ("gray", "square")
    assert (draw.draw_spec.background, draw.draw_spec.size) == ("pink", 24)  # "tiny": small
    assert memory.extra["store_prompt"] == "remember that my dog is called Biscuit"
    assert memory.expected_answer_contains == ("Biscuit",)


# ---- bad lines -----------------------------------------------------------------------------

BAD = [
    ("{not json", "not JSON"),
    ('["chat", "hi"]', "expected a JSON object"),
    ('{"skill": "juggle", "prompt": "juggle for me"}', "unknown skill 'juggle'"),
    ('{"skill": "echo", "prompt": "say hi"}', "missing or empty field 'text'"),
    ('{"skill": "chat"}', "missing or empty field 'prompt'"),
    ('{"skill": "chat", "prompt": "hi", "colour": "red"}', "unknown field(s) 'colour'"),
    ('{"skill": "arithmetic", "prompt": "2 to the 8", "expression": "2**8"}', "bad expression"),
    (
        '{"skill": "arithmetic", "prompt": "what is 5 over 0", "expression": "5/0"}',
        "bad expression",
    ),
    ('{"skill": "arithmetic", "prompt": "12 minus 5", "expression": "5-12"}', "numbers in order"),
    ('{"skill": "search", "prompt": "google cats", "query": "dogs"}', "not copied verbatim"),
    ('{"skill": "time", "prompt": "time in Narnia?", "timezone": "Narnia"}', "unknown time zone"),
    ('{"skill": "browse", "prompt": "read example", "url": "example"}', "bad url"),
    (
        '{"skill": "arithmetic", "prompt": "what is 10% of 50", "phrase": "10% of 50", "result": "6"}',
        "not '6'",
    ),
    (
        '{"skill": "arithmetic", "prompt": "hmm what", "phrase": "hmm what", "result": "1"}',
        "cannot read",
    ),
    ('{"skill": "arithmetic", "prompt": "2 plus 2"}', "give an 'expression'"),
    ('{"skill": "chat", "prompt": "hi", "split": "train"}', "split must be one of"),
    (
        '{"skill": "multi", "prompt": "what is 2+2", "calls": [{"tool": "calc", "phrase": "2+2", '
        '"result": "4"}]}',
        "two or more",
    ),
    (
        '{"skill": "multi", "prompt": "2+2 and time in Oslo", "calls": [{"tool": "calc", '
        '"phrase": "2+2", "result": "4"}, {"tool": "time", "timezone": "Bergen"}]}',
        "not copied verbatim",
    ),
    (
        '{"skill": "draw", "prompt": "draw a teal circle", "colour": "teal", "shape": "circle"}',
        "unknown colour 'teal'",
    ),  # fmt: skip
    (
        '{"skill": "draw", "prompt": "draw a red thing", "colour": "red", "shape": "circle"}',
        "does not say the shape",
    ),  # fmt: skip
    (
        '{"skill": "draw", "prompt": "red circle, blue background", "colour": "red", '
        '"shape": "circle"}',
        "give 'background'",
    ),  # fmt: skip
    (
        '{"skill": "memory", "store": "remember that my cat is Tom", "prompt": "my cat?", '
        '"fact": "my cat is Tom", "answer": "Jerry"}',
        "not in the fact",
    ),  # fmt: skip
    (
        '{"skill": "memory", "store": "my cat is Tom", "prompt": "what is my cat called?", '
        '"fact": "my cat is Tom", "answer": "Tom"}',
        "reads no fact",
    ),  # fmt: skip
    (
        '{"skill": "memory", "store": "remember that my cat is Tom", "prompt": "weather?", '
        '"fact": "my cat is Tom", "answer": "Tom"}',
        "memory search does not find",
    ),  # fmt: skip
    (json.dumps(GOOD), "duplicate prompt (first on line 1)"),
]


@pytest.mark.parametrize(("line", "why"), BAD, ids=[w for _, w in BAD])
def test_bad_lines_give_one_line_errors_naming_file_and_line(
    tmp_path: Path, line: str, why: str
) -> None:
    path = write(tmp_path, json.dumps(GOOD), "", "# a comment", line)
    with pytest.raises(PromptsError) as e:
        load_prompts(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:4: ") and "\n" not in msg and why in msg, msg


def test_missing_and_empty_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(PromptsError, match="cannot read"):
        load_prompts(tmp_path / "nope.jsonl")
    with pytest.raises(PromptsError, match="no prompts"):
        load_prompts(write(tmp_path, "# only a comment"))


# ---- scoring -------------------------------------------------------------------------------


def test_right_policy_scores_high_and_wrong_policy_low_on_written_prompts(vq) -> None:
    samples = few(2)
    told: list[str] = []
    right = evaluate_skills(
        ScriptedPolicy(oracle(samples, vq, told)), vq, default_registry(), samples=samples
    )
    calls = right.pop("call")
    assert set(right) == {*NO_DRAW, "skills_mean"}, right
    assert all(v == 1.0 for v in right.values()) and set(calls.values()) == {1.0}, (right, calls)
    # the memory lines' own store prompts were told first (not generated ones)
    assert told == [s.extra["store_prompt"] for s in samples if s.skill == "memory"]

    failures: list[Failure] = []
    wrong = ScriptedPolicy(lambda conv: [Thought(b"hmm"), Text(b"I don't know.")])
    low = evaluate_skills(wrong, vq, default_registry(), samples=samples, failures=failures)
    low.pop("call")
    assert low["chat"] == 1.0  # answering without a tool is what chat asks for
    assert all(v == 0.0 for k, v in low.items() if k not in ("chat", "skills_mean")), low
    assert [f.sample for f in failures] == [s for s in samples if s.skill != "chat"]


def test_skills_filter_and_draw_lines_are_judged_by_geometry() -> None:
    draws = prompt_samples(HUMAN_PROMPTS, skills=["draw"])
    assert {s.skill for s in draws} == {"draw"} and len(draws) >= 15
    for s in draws:
        good = Transcript(images=[render(s.draw_spec)])
        assert score(s, good) == {"draw_colour": True, "draw_shape": True}, s.prompt
        assert score(s, Transcript()) == {"draw_colour": False, "draw_shape": False}


# ---- --show-failures -----------------------------------------------------------------------


def test_format_failure_shows_skill_prompt_calls_and_answer_start() -> None:
    [s] = few(1, ("search",))
    t = Transcript(calls=[("web_search", {"query": "cats"})], answer="blah " * 60)
    text = format_failure(Failure(s, t, ("search",)))
    first, second, third = text.split("\n")
    assert first == f"FAIL search: {s.prompt!r}"
    assert second.startswith('  calls: web_search({"query": "cats"}) | answer: \'blah blah')
    assert len(second.split("answer: ", 1)[1]) <= 122  # 120 characters and the quotes
    want = json.dumps({"query": s.expected_args["query"]}, ensure_ascii=False)
    assert third.startswith(f"  wanted: web_search({want})")
    [d] = few(1, ("draw",))
    drew = format_failure(Failure(d, Transcript(images=[object()]), ("draw_shape",)))
    assert drew.startswith("FAIL draw_shape: ") and "calls: no call" in drew
    assert drew.split("\n")[1].endswith("[+1 image(s)]")
    assert drew.endswith(f"wanted: a drawing of a {d.draw_spec.colour} {d.draw_spec.shape}")


def test_cli_scores_a_prompts_file_and_shows_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from aether_core import agent as agent_pkg
    from aether_core.cli import main

    wrong = ScriptedPolicy(lambda conv: [Thought(b"hmm"), Text(b"I don't know.")])
    fake = SimpleNamespace(policy=wrong, vq=None, tools=default_registry(),
                           info=SimpleNamespace(name="fake"))  # fmt: skip
    monkeypatch.setattr(agent_pkg, "build_agent", lambda *a, **k: fake)
    path = write(
        tmp_path,
        json.dumps({"skill": "echo", "prompt": "parrot: Hello there!", "text": "Hello there!"}),
        json.dumps({"skill": "chat", "prompt": "good morning!"}),
        json.dumps({"skill": "chat", "prompt": "yo"}),
    )
    argv = ["eval", "skills", "--prompts", str(path), "--skills", "chat,echo", "--show-failures"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"prompts: {path} (3 written prompts, split all)\n")
    assert "end to end" in out and "call" in out
    assert "written prompts: prompts.jsonl" in " ".join(out.split())
    assert out.strip().splitlines()[-1] == "skills_mean: 0.5000"
    assert "1 failed prompt(s):" in err and "FAIL echo: 'parrot: Hello there!'" in err
    assert 'calls: no call | answer: "I don\'t know."' in err

    assert main([*argv[:-1], "--n", "1", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["prompts"] == str(path) and row["n_prompts"] == 2
    assert (row["chat"], row["echo"], row["skills_mean"]) == (1.0, 0.0, 0.5)
    assert (row["call_chat"], row["call_echo"], row["call_mean"]) == (1.0, 0.0, 0.5)
    assert row["split"] == "all"

    halves = write(
        tmp_path,
        json.dumps({"skill": "chat", "prompt": "hello!", "split": "dev"}),
        json.dumps({"skill": "chat", "prompt": "hey you", "split": "heldout"}),
        json.dumps({"skill": "chat", "prompt": "howdy", "split": "heldout"}),
    )
    for split, count in (("dev", 1), ("heldout", 2), ("all", 3)):
        assert main(["eval", "skills", "--prompts", str(halves), "--split", split, "--json"]) == 0
        row = json.loads(capsys.readouterr().out)
        assert (row["split"], row["n_prompts"]) == (split, count)

    assert main(["eval", "skills", "--skills", "multi,photo"]) == 2  # no generator for them
    assert "written prompts only" in capsys.readouterr().err

    bad = write(tmp_path, '{"skill": "chat"}')
    assert main(["eval", "skills", "--prompts", str(bad)]) == 1
    assert f"{bad}:1: chat: missing or empty field 'prompt'" in capsys.readouterr().err


# ---- two requests in one message; photographs ----------------------------------------------


def _two_steps(calls: list[tuple[str, dict]], answer: str):
    """A policy that makes ``calls`` one step each, then answers ``answer``."""

    def script(conv):
        user = [m for m in conv if m.role == "user"][-1]
        done = sum(1 for m in conv[conv.index(user) :] if m.role == "assistant")
        if done < len(calls):
            return [Thought(b"use a tool"), ToolCall.make(*calls[done])]
        return [Thought(b"answer"), Text(answer.encode())]

    return ScriptedPolicy(script)


def test_two_requests_need_both_calls_and_both_answers(vq) -> None:
    [s] = [x for x in prompt_samples(HUMAN_PROMPTS, skills=["multi"]) if "Madrid" in x.prompt]
    first, second = s.extra["calls"]
    both = [(first["tool"], first["args"]), (second["tool"], second["args"])]
    runs = {
        "right": _two_steps(both, f"{first['want']}, and it's {second['want']} in Madrid."),
        "one call": _two_steps(both[:1], f"{first['want']}."),
        "no place": _two_steps(both, f"{first['want']}, and it's {second['want']}."),
    }
    got = {}
    for name, policy in runs.items():
        table = evaluate_skills(policy, vq, default_registry(), samples=[s])
        got[name] = (table["call"]["multi"], table["multi"])
    assert got == {"right": (1.0, 1.0), "one call": (0.0, 0.0), "no place": (1.0, 0.0)}


def test_a_photo_is_attached_and_judged_for_honesty(vq) -> None:
    photos = prompt_samples(HUMAN_PROMPTS, skills=["photo"])
    assert len(photos) >= 6 and all("photo_seed" in s.extra for s in photos)
    seen: list[int] = []

    def answer(text: str):
        def script(conv):
            user = [m for m in conv if m.role == "user"][-1]
            seen.append(sum(isinstance(i, Image) for i in user.items))
            return [Thought(b"look"), Text(text.encode())]

        return ScriptedPolicy(script)

    honest = "It looks like a photo; I can only recognize simple shapes. Mostly blue and green."
    table = evaluate_skills(answer(honest), vq, default_registry(), samples=photos)
    assert (table["photo"], table["call"]["photo"]) == (1.0, 1.0) and set(seen) == {1}
    table = evaluate_skills(answer("A red circle."), vq, default_registry(), samples=photos)
    assert (table["photo"], table["call"]["photo"]) == (0.0, 1.0)
    assert photograph(3).size == (128, 128) and photograph(3).tobytes() == photograph(3).tobytes()
