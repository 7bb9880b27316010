"""Training data for what people actually type: package-drawn names and places, questions for
web_search, two requests in one message, and pictures unlike the shapes world."""

from __future__ import annotations

import random
import re

import pytest

from aether_core.data import corpora
from aether_core.data.phrasing import value_split
from aether_core.data.questions import ASKERS, CONTEXTS, QUESTIONS, knowledge_question
from aether_core.data.scenes import SceneSpec, main_colours, render_scene
from aether_core.data.skills import skill_samples, to_messages
from aether_core.data.synthetic import SyntheticError, SyntheticSource
from aether_core.data.two_requests import two_requests
from aether_core.segments import ToolCall, ToolResult, decode


def test_corpora_are_large_deterministic_and_split_by_value():
    for name, least in (("people", 10000), ("titles", 5000), ("cities", 10000),
                        ("domains", 3000), ("companies", 3000), ("countries", 150)):  # fmt: skip
        train, ev = corpora._split_of(name, "train"), corpora._split_of(name, "eval")
        assert len(train) >= least and len(ev) >= least // 8, name
        assert not set(train) & set(ev)
        key = (lambda v: v[0]) if name == "cities" else (lambda v: v)
        assert all(value_split(key(v)) == "eval" for v in ev[:200])
    a, b = random.Random(3), random.Random(3)
    assert [corpora.pick("people", a, "train") for _ in range(5)] == [
        corpora.pick("people", b, "train") for _ in range(5)
    ]


def test_questions_copy_the_question_and_leave_its_frame_out():
    rng = random.Random(0)
    askers = {a.strip().lower() for a in ASKERS}
    for _ in range(400):
        prompt, query, subject, template = knowledge_question(rng, "train")
        assert query in prompt and query == query.strip() and not query.endswith("?")
        assert subject.lower() in query.lower() or "{x}" not in template
        lowered = query.lower()
        assert not any(lowered.startswith(a + " ") for a in askers if a)
        assert not any(lowered.startswith(c.strip().lower()) for c in CONTEXTS)
        after = prompt[prompt.index(query) + len(query) :]
        assert not re.match(r"[A-Za-z0-9]", after)  # the query runs to the end of the question


def test_question_frames_and_names_of_eval_are_never_trained():
    def draws(split):
        out = [knowledge_question(random.Random(f"{split}{i}"), split) for i in range(300)]
        return {t for *_, t in out}, {s for _, _, s, _ in out}

    (t_train, s_train), (t_eval, s_eval) = draws("train"), draws("eval")
    assert t_eval and not t_train & t_eval
    assert not {s.lower() for s in s_train} & {s.lower() for s in s_eval}
    assert len({t for t, _ in QUESTIONS}) > 60


def test_search_questions_answer_from_the_top_result():
    qs = [s for s in skill_samples("search", 300, seed=2, split="eval") if s.variant == "question"]
    assert len(qs) > 100
    for s in qs:
        top = s.extra["results"][0]["title"]
        assert top in s.answer and s.expected_args["query"] in s.prompt


def test_two_requests_make_two_tool_steps_and_one_answer():
    rng = random.Random(1)
    pairs = set()
    for _ in range(200):
        s = two_requests(rng, "train")
        assert (
            s.then is not None
            and s.then.expected_tool != s.expected_tool
            or (s.then.expected_tool == s.expected_tool == "calc")
        )
        pairs.add((s.expected_tool, s.then.expected_tool))
        for part in (s, s.then):
            if part.expected_tool == "calc":  # may be written from the prompt's numbers
                continue
            for value in part.expected_args.values():
                assert str(value) in s.prompt
        msgs = to_messages(s)
        calls = [i for m in msgs for i in m.items if isinstance(i, ToolCall)]
        results = [i for m in msgs for i in m.items if isinstance(i, ToolResult)]
        assert len(calls) == 2 and len(results) == 2 and msgs[-1].role == "assistant"
        for c in s.expected_answer_contains:
            assert c in s.answer
    assert len(pairs) >= 10


def test_synthetic_source_mixes_in_two_requests():
    src = SyntheticSource(["arithmetic", "time", "echo"], multi_turn=0, two_requests=0.5)
    exs = [next(src.examples(random.Random(i))) for i in range(60)]
    doubles = [e for e in exs if sum(m.role == "tool" for m in decode(e.tokens)) == 2]
    assert 10 < len(doubles) < 50
    with pytest.raises(SyntheticError, match="two_requests"):
        SyntheticSource(["echo"], two_requests=1.5)


def test_scenes_are_not_shapes_and_their_answer_names_measured_colours():
    spec = SceneSpec("landscape", ("blue", "green"), 7)
    a, b = render_scene(spec), render_scene(spec)
    assert a.tobytes() == b.tobytes() and a.size == (64, 64)
    assert set(main_colours(a)) == {"blue", "green"}
    scenes = [
        s for s in skill_samples("caption", 200, seed=1, split="train") if s.variant == "scene"
    ]
    assert len(scenes) > 8
    for s in scenes:
        assert "simple shape" in s.answer
        assert all(c in s.answer for c in main_colours(s.image_spec.render()))


def test_shape_bank_keeps_scenes_apart(monkeypatch):
    from aether_core.data.imagebank import ShapeBank

    class FakeVQ:
        def encode(self, image):
            return bytes(128)

    bank = ShapeBank(FakeVQ(), size=8)
    scene = SceneSpec("stripes", ("red", "white"), 3)
    assert len(bank.codes(scene)) == 128 and bank.pixels(scene).shape == (3, 64, 64)
    for _ in range(50):  # a shape request never gets the scene
        assert not isinstance(bank.pick(random.Random(_)), SceneSpec)


def test_training_results_come_cut_short_or_single_and_answers_quote_only_what_is_there():
    from aether_core.agent.context import TRUNCATED

    note = TRUNCATED.decode()
    for skill, least in (("search", 20), ("browse", 15)):
        train = [s for s in skill_samples(skill, 200, seed=5, split="train") if s.tool_ok]
        cut = [s for s in train if s.tool_output.endswith(note)]
        assert len(cut) >= least, skill  # about a quarter of the ok results
        for s in cut:  # still an ok result, answered from what is left of it
            assert s.answer_thought == "Got the result."
            assert all(x in s.tool_output for x in s.expected_answer_contains)
            snippet = s.extra["results"][0]["body"] if skill == "search" else ""
            if snippet not in s.tool_output:  # cut before the snippet: the title alone
                assert s.answer.startswith("Top result: ") and snippet not in s.answer
        if skill == "search":
            assert any("\n2. " not in s.tool_output and not s.tool_output.endswith(note)
                       for s in train)  # fmt: skip
    for skill in ("search", "browse"):  # the eval's results are as they were
        ev = skill_samples(skill, 200, seed=5, split="eval")
        assert not any((s.tool_output or "").endswith(note) for s in ev)


def test_composed_search_subjects_are_copied_whole_in_training_only():
    from aether_core.data.calc_phrases import calc_phrase
    from aether_core.data.subjects import PREFIXES, SUFFIXES, composed_subject

    rng = random.Random(4)
    subjects = [composed_subject(rng, "train") for _ in range(300)]
    assert len(set(subjects)) > 290 and sum(len(s.split()) >= 3 for s in subjects) > 240
    wrapped = [s for s in subjects if s.startswith(PREFIXES) or s.endswith(SUFFIXES)]
    assert len(wrapped) > 200 and not any("{" in s for s in subjects)
    train = [s for s in skill_samples("search", 300, seed=2, split="train") if s.tool_ok]
    queries = [s.expected_args["query"] for s in train]
    assert sum(q.startswith(PREFIXES) for q in queries) > 30  # 17 without the composed ones
    assert all(q in s.prompt for q, s in zip(queries, train, strict=True))
    ev = [s.expected_args["query"] for s in skill_samples("search", 300, seed=2, split="eval")]
    assert not any(q.startswith(PREFIXES[:3]) for q in ev)  # the eval's subjects are as they were

    tails = contexts = 0
    for i in range(400):  # calc: the math phrase is copied, not the words around it
        template, prompt, phrase, _ = calc_phrase(random.Random(i), "train")
        if phrase.expression == phrase.text:
            assert phrase.text in prompt
            after = prompt[prompt.index(phrase.text) + len(phrase.text) :]
            tails += bool(after.strip(" ?"))
            contexts += prompt.count(phrase.text.split()[0]) > 1
    assert tails > 30 and contexts > 10
