"""Every synthetic skill: decodable streams, grammatical steps, correct calls and answers."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from aether_core import dialogue
from aether_core.agent.call_grammar import tool_arg_types
from aether_core.agent.constrain import StepGrammar
from aether_core.data import lexicon as lx
from aether_core.data.phrasing import held_out, value_split
from aether_core.data.skills import SKILLS, SkillSample, skill_samples, to_messages
from aether_core.segments import (
    Image,
    Memory,
    Thought,
    ToolCall,
    ToolResult,
    canonical,
    decode,
    encode,
)
from aether_core.tools import default_registry
from aether_core.tools.calc import CalcError, evaluate
from aether_core.tools.clock import TimeTool, find_zone
from aether_core.vocab import Tok

N = 150
REGISTRY = default_registry(search_backend=lambda q, n: [])
ARG_TYPES = tool_arg_types(REGISTRY)


def fake_codes(spec) -> bytes:
    key = (spec.shape, spec.colour) if hasattr(spec, "shape") else (spec.style, spec.colours)
    return bytes((hash(key) + i) % 256 for i in range(128))


def samples(skill: str, split: str = "train", n: int = N, seed: int = 0) -> list[SkillSample]:
    return skill_samples(skill, n, seed=seed, split=split)


def check_grammar(msg) -> None:
    """The assistant's tokens must be exactly what the agent's constrained decoder allows."""
    toks = encode([msg], bos=False)[1:]  # drop the ASSISTANT marker: the agent writes it
    g = StepGrammar(ARG_TYPES, allow_image=True, max_thought=300, max_answer=2000)
    for t in toks:
        g.advance(t)
        if g.done:
            break
    assert g.done, f"step did not finish: {msg}"


@pytest.mark.parametrize("skill", SKILLS)
@pytest.mark.parametrize("split", ["train", "eval"])
def test_every_skill_round_trips_and_follows_the_grammar(skill, split):
    for s in samples(skill, split, n=80):
        msgs = [dialogue.system_message(), *to_messages(s, fake_codes)]
        tokens = encode(msgs)
        assert decode(tokens) == canonical(msgs)
        for m in msgs:
            if m.role == "assistant":
                assert isinstance(m.items[0], Thought) and m.items[0].data  # short, non-empty
                assert len(m.items[0].data) < 60
                check_grammar(m)
        assert s.prompt and s.prompt == decode(tokens)[1].plain_text
        last = decode(tokens)[-1]
        if s.expected_tool is not None:
            call = decode(tokens)[2].of(ToolCall)[0]
            assert call.parse() == (s.expected_tool, s.expected_args)
            REGISTRY.get(s.expected_tool).validate_args(s.expected_args)
            result = decode(tokens)[3].of(ToolResult)[0]
            assert result.ok == s.tool_ok and result.output.decode() == s.tool_output
        for needle in s.expected_answer_contains:
            assert needle in last.plain_text, (s.prompt, last.plain_text)


def test_samples_are_seeded():
    for skill in SKILLS:
        a, b = samples(skill, n=5, seed=3), samples(skill, n=5, seed=3)
        assert a == b
        assert samples(skill, n=5, seed=4) != a


def test_arithmetic_calls_compute_what_calc_prints():
    seen_words = seen_div = seen_error = 0
    for s in samples("arithmetic", n=600):
        if "phrase" in s.extra:  # everyday phrasing: test_arithmetic_phrases
            continue
        expr = s.expected_args["expression"]
        assert re.fullmatch(r"[0-9+\-*/()]+", expr)
        if s.variant == "error":
            seen_error += 1
            with pytest.raises(CalcError, match="division by zero"):
                evaluate(expr)
            continue
        if s.variant == "ok":
            assert evaluate(expr) == s.tool_output
            assert s.tool_output in s.answer
        # every number of the call is copied from the prompt
        for num in re.findall(r"\d+", expr):
            assert re.search(rf"(?<!\d){num}(?!\d)", s.prompt), (s.prompt, expr)
        seen_words += any(w in s.prompt.lower() for w in ("times", "plus", "divided", "minus"))
        seen_div += "." in s.tool_output
    assert seen_words > 60 and seen_div > 12 and seen_error > 3


def test_arithmetic_phrases():
    """Everyday math: the phrase is copied as the expression (or, for decimals, chains and unit
    counts, written from the prompt's numbers), and the output is what calc prints for it."""
    kinds: dict[str, int] = {}
    for s in samples("arithmetic", n=600):
        kind = s.extra.get("phrase")
        if kind is None:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        expr = s.expected_args["expression"]
        assert evaluate(expr) == s.extra["result"]
        if s.variant != "denied":
            assert s.tool_output == s.extra["result"] and s.tool_output in s.answer
        if kind == "count":
            assert re.fullmatch(r"[0-9*]+", expr) or (
                expr.startswith("how many") and expr in s.prompt
            )
            assert not any(w in s.prompt.lower() for w in ("time is", "clock"))
        elif kind == "written":
            assert re.fullmatch(r"[0-9.+\-*/]+", expr)
            for num in re.findall(r"[\d.]+", expr):
                assert re.search(rf"(?<![\d.]){re.escape(num)}(?![\d.])", s.prompt), (
                    s.prompt,
                    expr,
                )
        else:
            assert expr in s.prompt, (s.prompt, expr)
    assert sum(kinds.values()) > 150 and kinds.get("count", 0) > 5 and kinds.get("written", 0) > 20


def test_arithmetic_numbers_are_split_by_value():
    for split in ("train", "eval"):
        for s in samples("arithmetic", split, n=300):
            if "phrase" in s.extra:
                continue
            nums = [int(x) for x in re.findall(r"\d+", s.expected_args["expression"])]
            big = [n for n in nums if n >= 10]
            assert all(value_split(n) == split for n in big), (split, s.prompt)
            if split == "eval":
                assert big, s.prompt


def test_echo_browse_search_copy_verbatim():
    for s in samples("echo", n=300):
        text = s.expected_args["text"]
        assert text in s.prompt
        assert s.answer == text or s.variant == "denied"
    odd = [
        s
        for s in samples("echo", n=300)
        if s.expected_args["text"] != s.expected_args["text"].lower()
    ]
    assert len(odd) > 100
    bares = 0
    for s in samples("browse", n=300):
        url = s.expected_args["url"]
        assert url in s.prompt
        bare = "://" not in url  # "open example.org": the tool fetches it over https
        assert re.fullmatch(r"(https?://)?[a-z0-9.-]+\.[a-z.]+(/\S*)?", url) and (
            bare or re.fullmatch(r"https?://[^/]+/\S*", url)
        )
        bares += bare
        if s.variant == "ok":
            fetched = f"https://{url}" if bare else url
            assert s.tool_output.startswith("Title: ") and f"URL: {fetched}\n" in s.tool_output
            first = s.expected_answer_contains[0]
            assert first in s.tool_output and first in s.answer
    questions = 0
    for s in samples("search", n=300):
        q = s.expected_args["query"]
        assert q in s.prompt and q == q.strip()
        if s.variant in ("ok", "question"):
            assert s.tool_output.startswith("1. ") and " — https://" in s.tool_output
            assert s.extra["results"][0]["title"] in s.answer
        questions += s.variant == "question"
    assert bares > 50 and questions > 100


def test_time_calls_match_the_real_tool():
    kinds = set()
    for s in samples("time", n=400):
        kinds.add((s.variant, s.extra.get("where") if s.extra else None))
        if not s.expected_args:
            assert s.variant in ("time", "date", "day", "datetime", "denied")
            continue
        zone_arg = s.expected_args["timezone"]
        if s.variant == "error":
            with pytest.raises(Exception, match="unknown time zone"):
                find_zone(zone_arg)
            continue
        zone = find_zone(zone_arg)
        assert str(zone) == s.extra["zone"]
        assert zone_arg in s.prompt  # cities and zones are copied as the user wrote them
        if s.variant == "denied":
            continue
        said = re.match(r"It's (\d\d:\d\d) on \w+ (\d+ \w+ \d{4}) in ", s.tool_output)
        assert said, s.tool_output
        stamp = datetime.strptime(" ".join(said.groups()), "%H:%M %d %B %Y").replace(tzinfo=zone)
        clock = TimeTool(now=lambda st=stamp: st.astimezone(UTC))
        assert clock.run(timezone=zone_arg) == s.tool_output
    assert {("time", "local"), ("date", "city"), ("day", "zone")} <= kinds


def test_tool_errors_and_denials_are_handled():
    variants = {}
    for skill in ("arithmetic", "time", "search", "browse", "echo"):
        for s in samples(skill, n=400):
            variants.setdefault(s.variant, []).append(s)
    assert len(variants["denied"]) > 20 and len(variants["error"]) > 20
    for s in variants["denied"]:
        assert not s.tool_ok and s.tool_output.startswith("denied by user")
        assert s.answer.startswith(("Sorry", "OK, I won't")) and "Sorry" in s.answer
    for s in variants["error"]:
        assert not s.tool_ok and s.answer_thought == "The tool failed."


def test_chat_needs_no_tool():
    cats = set()
    for s in samples("chat", n=200):
        msgs = to_messages(s)
        assert len(msgs) == 2 and not msgs[1].of(ToolCall)
        cats.add(s.variant)
    assert {"greeting", "thanks", "joke", "identity", "abilities"} <= cats


def test_memory_store_and_recall():
    seen = set()
    for s in samples("memory", n=400):
        seen.add(s.variant)
        assert s.expected_tool is None
        user = to_messages(s)[0]
        mems = [m.text for m in user.of(Memory)]
        assert mems == list(s.memories) and len(mems) <= 3
        if s.variant == "store":
            assert s.extra["fact"] in s.prompt
            assert all(m.rstrip(".").lower() != s.extra["fact"].lower() for m in mems)
            assert s.answer.startswith(("OK, I'll remember", "Got it", "Noted"))
        elif s.variant == "recall":
            assert any(m.rstrip(".").lower() == s.extra["fact"].lower() for m in mems)
            value = s.expected_answer_contains[0]
            assert value in s.answer and s.answer.startswith(("Your ", "You"))
        else:
            assert "don't know" in s.answer
    assert seen == {"store", "recall", "unknown"}


def test_caption_and_draw_ground_truth():
    for s in samples("caption", n=100):
        assert s.image_spec is not None and s.draw_spec is None
        msgs = to_messages(s, fake_codes)
        assert len(msgs[0].of(Image)) == 1
        for needle in s.expected_answer_contains:
            assert needle in s.answer
    with pytest.raises(ValueError, match="VQ codes"):
        to_messages(samples("caption", n=1)[0])
    for s in samples("draw", n=100):
        spec = s.draw_spec
        assert spec is not None and spec.colour != spec.background
        word = "grey" if spec.colour == "gray" and "grey" in s.prompt.lower() else spec.colour
        assert word in s.prompt.lower() and spec.shape in s.prompt.lower()
        answer = to_messages(s, fake_codes)[1]
        assert [type(i).__name__ for i in answer.items] == ["Thought", "Image", "Text"]
        assert answer.items[1].data == fake_codes(spec)
        if s.variant == "background":
            assert spec.background in s.prompt.lower() or "grey" in s.prompt.lower()


def _templates(skill: str, split: str, n: int = 400) -> set[str]:
    return {s.template for s in samples(skill, split, n=n, seed=11)}


@pytest.mark.parametrize("skill", SKILLS)
def test_eval_templates_never_occur_in_train(skill):
    train, ev = _templates(skill, "train"), _templates(skill, "eval")
    assert ev and not (train & ev)


def test_eval_values_never_occur_in_train():
    def values(split):
        out = {"mem": set(), "hosts": set(), "zones": set(), "echo": set(), "subjects": set()}
        for s in samples("memory", split, n=400, seed=5):
            if s.variant != "unknown":
                out["mem"].add(s.expected_answer_contains[0])
        for s in samples("browse", split, n=300, seed=5):
            out["hosts"].add(s.expected_args["url"].split("://")[-1].split("/")[0])
        for s in samples("time", split, n=300, seed=5):
            if s.extra and s.extra.get("where") == "zone":
                out["zones"].add(s.extra["zone"])
        for s in samples("echo", split, n=300, seed=5):
            out["echo"].add(s.expected_args["text"])
        for s in samples("search", split, n=300, seed=5):
            out["subjects"].add(s.expected_args["query"].lower())
        return out

    train, ev = values("train"), values("eval")
    for key in train:
        assert ev[key], key
        assert not (train[key] & ev[key]), (key, train[key] & ev[key])
    # names and cities come from disjoint halves of the word lists
    assert not set(held_out(lx.FIRST_NAMES, "train")) & set(held_out(lx.FIRST_NAMES, "eval"))
    assert not set(held_out(lx.WORLD_CITIES, "train")) & set(held_out(lx.WORLD_CITIES, "eval"))


def test_zone_tables_are_real_zones():
    import zoneinfo

    known = zoneinfo.available_timezones()
    assert len(lx.CITY_ZONES) >= 40
    assert set(lx.CITY_ZONES.values()) <= known
    assert set(lx.RAW_ZONES) - {"UTC"} <= known


def test_to_messages_builds_through_dialogue_helpers():
    s = samples("arithmetic", n=1)[0]
    msgs = to_messages(s)
    assert msgs[1] == dialogue.tool_step(s.thought, "calc", s.expected_args)
    assert encode(msgs, bos=False)[0] == Tok.USER


def test_memory_value_lists_do_not_share_values():
    """A value in two lists could land in train via one and in eval via the other."""
    from aether_core.data.skills.memory import SLOT_SOURCES

    owner: dict[str, str] = {}
    for name in sorted(set(SLOT_SOURCES.values())):
        for v in getattr(lx, name):
            assert owner.setdefault(v.lower(), name) == name, (v, name, owner[v.lower()])


def test_caption_eval_pictures_are_held_out_combinations():
    from aether_core.data.skills.caption import triple_split

    for split in ("train", "eval"):
        shapes = [s for s in samples("caption", split, n=100) if s.variant != "scene"]
        assert all(triple_split(s.image_spec) == split for s in shapes)


def test_search_training_prompts_put_words_after_the_subject_and_eval_prompts_do_not_change(
    monkeypatch,
):
    from aether_core.data.skills import search as skill_search

    heads = {p.split("{a}")[0].strip() for p, _ in lx.TRAIN_SEARCH_PATTERNS}
    heads -= {p.split("{a}")[0].strip() for p, _ in lx.SEARCH_PATTERNS} | {""}

    def new_shapes(split: str) -> int:
        qs = [
            s.expected_args["query"].lower()
            for s in samples("search", split, n=300, seed=4)
            if "{q}" in s.template  # questions are their own frames (data/questions.py)
        ]
        return sum(any(q.startswith(h + " ") for h in heads) for q in qs)

    tails = 0
    for s in samples("search", n=400, seed=2):
        q = s.expected_args["query"]
        after = s.prompt[s.prompt.index(q) + len(q) :]
        tails += any(after.startswith(t) for t in skill_search.SEARCH_TAILS)
    assert 60 < tails < 250
    assert new_shapes("train") > 30 and new_shapes("eval") == 0  # training-only subject shapes
    before = [(s.prompt, s.expected_args) for s in samples("search", "eval", n=200, seed=2)]
    monkeypatch.setattr(skill_search, "TAIL_RATE", 0.0)
    monkeypatch.setattr(skill_search, "TRAIN_PATTERN_RATE", 0.0)
    after_eval = [(s.prompt, s.expected_args) for s in samples("search", "eval", n=200, seed=2)]
    assert before == after_eval  # the eval draws exactly what it drew before
    assert skill_search._with_tail("find {q} online", random.Random(0)) == "find {q} online"
    tailed = skill_search._with_tail("can you google {q}?", random.Random(0))
    assert tailed.startswith("can you google {q} ") and tailed.endswith("?")  # before the "?"


def test_training_search_subjects_draw_extra_fillers_and_eval_subjects_never_do():
    extras = {x.lower() for v in lx.TRAIN_FILLERS.values() for x in v}
    listed = {x.lower() for name in lx.TRAIN_FILLERS for x in getattr(lx, name)}
    assert not extras & listed  # an extra is never an eval (or listed) filler

    def with_extra(split: str) -> int:
        qs = [
            s.expected_args["query"].lower()
            for s in samples("search", split, n=400, seed=5)
            if "{q}" in s.template  # questions draw their own fillers (data/questions.py)
        ]
        return sum(any(e in q for e in extras) for q in qs)

    assert with_extra("train") > 40  # about half the training subjects of the {q} frames
    assert with_extra("eval") == 0
