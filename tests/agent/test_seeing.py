"""An answer about a shapes picture held to what the vision head reads, and a question that asks
for the shape and its colour together described whole."""

from __future__ import annotations

import io

from aether_core import dialogue
from aether_core.agent.agent import AetherAgent
from aether_core.agent.approval import ApprovalPolicy
from aether_core.agent.events import AnswerDelta, Done, ThoughtDelta
from aether_core.agent.policy import ScriptedPolicy
from aether_core.agent.seeing import asked_thought, held_caption
from aether_core.data.shapes import drawing_spec, render
from aether_core.model.vision_head import Sight
from aether_core.model.vq import TinyVQVAE, VQConfig
from aether_core.segments import Text, Thought
from aether_core.tools import default_registry

SEEN = Sight(shape="square", colour="yellow", background="orange")
DESCRIBE = dialogue.THOUGHT_DESCRIBE


def test_the_first_word_the_head_reads_otherwise_is_written_as_read() -> None:
    said = "It's a yellow circle on an orange background."
    assert held_caption(DESCRIBE, said, SEEN) == "It's a yellow square"
    assert held_caption(DESCRIBE, "I see an orange square on a red background.", SEEN) == (
        "I see a yellow"  # the article follows the word
    )
    assert held_caption(DESCRIBE, "It's a yellow square on a yellow background.", SEEN) == (
        "It's a yellow square on an orange"
    )
    assert held_caption(DESCRIBE, "Circles, grey circles.", SEEN) == "Squares"
    assert held_caption(dialogue.THOUGHT_BACKGROUND, "The background is red.", SEEN) == (
        "The background is orange"
    )
    assert held_caption(dialogue.THOUGHT_COLOUR, "It's red.", SEEN) == "It's yellow"


def test_an_answer_that_agrees_or_is_no_shapes_caption_is_left_alone() -> None:
    assert held_caption(DESCRIBE, "It's a yellow square on an orange background.", SEEN) is None
    unsure = Sight(shape=None, colour="yellow", background=None)
    assert held_caption(DESCRIBE, "A yellow circle on a red background.", unsure) is None
    assert held_caption(DESCRIBE, "A black cat on a white sofa.", SEEN) is None  # a photograph
    not_shape = "I only know simple shapes. Mostly red and blue."
    assert held_caption(dialogue.THOUGHT_NOT_A_SHAPE, not_shape, SEEN) is None
    assert held_caption(DESCRIBE, "It's a red circle.", None) is None  # no head


def test_a_question_for_shape_and_colour_together_is_described() -> None:
    for question in ("what shape and colour is this?", "colour & shape pls", "shape or color?"):
        assert asked_thought(dialogue.THOUGHT_COLOUR, question) == DESCRIBE, question
        assert asked_thought(dialogue.THOUGHT_SHAPE, question) == DESCRIBE, question
    assert asked_thought(dialogue.THOUGHT_COLOUR, "what colour is the shape?") is None
    assert asked_thought(DESCRIBE, "what shape and colour is this?") is None


def _png() -> bytes:
    buf = io.BytesIO()
    render(drawing_spec("square", "yellow", "orange")).save(buf, format="PNG")
    return buf.getvalue()


def _agent(script: list, sight: Sight | None) -> AetherAgent:
    registry = default_registry()
    approval = ApprovalPolicy.from_spec("ask", known_tools=registry.names())
    agent = AetherAgent(ScriptedPolicy(script, sight=sight), registry, approval=approval)
    agent.vq = TinyVQVAE(VQConfig()).eval()
    return agent


def test_the_agent_shows_an_answer_about_a_picture_once_it_is_held() -> None:
    first = [Thought(DESCRIBE.encode()), Text(b"It's a yellow circle on a orange background.")]
    agent = _agent([first, [Text(b" on an orange background.")]], SEEN)
    events = list(agent.run("what's this?", images=[_png()]))
    shown = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert shown == "It's a yellow square on an orange background."  # the first try never shows
    assert events[-1].answer == shown and isinstance(events[-1], Done)
    assert agent.conversation[-1].plain_text == shown
    assert bytes(t for t in agent.policy.contexts[-1] if t < 256).endswith(b"a yellow square")
    alone = _agent([first], None)  # no head: the model's words stand
    assert list(alone.run("what's this?", images=[_png()]))[-1].answer == first[1].data.decode()


def test_the_agent_describes_a_picture_asked_for_shape_and_colour() -> None:
    script = [[Thought(dialogue.THOUGHT_COLOUR.encode()), Text(b"It's yellow.")],
              [Text(b"A yellow square on an orange background.")]]  # fmt: skip
    agent = _agent(script, SEEN)
    events = list(agent.run("what shape and colour is this?", images=[_png()]))
    thought = "".join(e.text for e in events if isinstance(e, ThoughtDelta))
    assert thought.endswith(f"→ {DESCRIBE}")
    assert events[-1].answer == "A yellow square on an orange background."
