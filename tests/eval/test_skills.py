"""The skills evaluation scores a policy that is right high and one that is wrong low."""

from __future__ import annotations

import pytest
import torch

from aether_core.agent.policy import ScriptedPolicy
from aether_core.data.shapes import render
from aether_core.data.skills import to_messages
from aether_core.eval.skills import ROWS, Transcript, eval_samples, evaluate_skills, score
from aether_core.model.vq import TinyVQVAE, VQConfig
from aether_core.segments import Text, Thought
from aether_core.tools import default_registry

SKILLS_NO_DRAW = ("arithmetic", "time", "search", "browse", "echo", "chat", "caption", "memory")


def oracle(vq):
    """Answers every eval prompt the way its ground truth says (found by the user's text)."""
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
    assert {r for r in right if r != "skills_mean"} == set(ROWS) - {"draw_colour", "draw_shape"}
    assert all(v == 1.0 for v in right.values()), right
    wrong = ScriptedPolicy(lambda conv: [Thought(b"hmm"), Text(b"I don't know.")])
    low = evaluate_skills(wrong, vq, registry, n=4, seed=0, skills=SKILLS_NO_DRAW)
    assert low["chat"] == 1.0  # answering without a tool is what chat asks for
    assert all(v == 0.0 for k, v in low.items() if k not in ("chat", "skills_mean")), low
    assert low["skills_mean"] < 0.2


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


def test_arithmetic_needs_a_correct_expression_and_the_stated_result() -> None:
    [s] = eval_samples("arithmetic", 1, 0)
    result = s.extra["result"]
    ok = Transcript(calls=[("calc", s.expected_args)], answer=f"it is {result}")
    assert score(s, ok)["arithmetic"]
    wrong_expr = Transcript(calls=[("calc", {"expression": "1+1"})], answer=f"it is {result}")
    assert not score(s, wrong_expr)["arithmetic"]
    no_result = Transcript(calls=[("calc", s.expected_args)], answer="done")
    assert not score(s, no_result)["arithmetic"]
