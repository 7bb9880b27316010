"""Synthetic skills as structured samples: the ground truth an eval checks, and the dialogue a
training example is built from.

A ``SkillSample`` says what the user asked, which tool the assistant should call with which
arguments, what the tool answered in the training dialogue, and what the final answer must
contain. ``to_messages`` turns it into the exact stream the agent would produce (through
``dialogue``), so training data and evals never drift apart.

Conversation style (kept short on purpose: the default model trains for hours on a CPU):

    USER      what is 37 times (12 plus 5)?
    ASSISTANT THOUGHT(Arithmetic: use calc.) CALL({"tool": "calc", "args": {"expression": "37*(12+5)"}})
    TOOL      RESULT(ok 629)
    ASSISTANT THOUGHT(Got the result.) 37*(12+5) = 629.

Tool steps think "<what is needed>: use <tool>."; answer steps after a tool think "Got the
result." / "The tool failed." / "The call was denied."; direct answers name their reason
("Greeting, no tool.", "Answer from memory.", "Draw a red circle.").
"""

from __future__ import annotations

import functools
import random
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ... import dialogue
from ...agent.context import TRUNCATED
from ...dialogue import DENIED, THOUGHT_DENIED
from ...segments import Message
from ..shapes import ShapeSpec

DENIED_OUTPUTS = (DENIED, f"{DENIED}: not now",
                  f"{DENIED}: the user denied {{tool!r}} for this session")  # fmt: skip
DENIED_RATE = 0.03  # share of tool dialogues whose call the user denies
ERROR_RATE = 0.04  # share of tool dialogues with a (skill-specific) tool error
# share of training search results and pages that come cut short, as the agent shortens a
# tool result its context cannot hold (agent/context.py): an ok result with a "[truncated]"
# note is still ok (leg 14 called them failures, and most results it saw in the agent were cut)
TRUNCATED_RATE = 0.25


def cut_short(output: str, keep: int, rng: random.Random) -> str:
    """``output`` cut after its first ``keep`` characters and somewhere in the next line, with
    the note the agent's context trimming adds."""
    end = output.find("\n", keep + 1)
    end = len(output) if end < 0 else end
    at = rng.randint(keep, end)
    return output[:at] + TRUNCATED.decode() if at < len(output) else output


@dataclass(frozen=True)
class SkillSample:
    """One synthetic task with its ground truth.

    ``tool_output`` is what the tool returned in the training dialogue; evals that want to check
    ``expected_answer_contains`` should replay it (a fake tool or a fixed clock), since e.g. the
    real clock or web will say something else. ``image_spec`` is the picture attached to the user
    turn (caption); ``draw_spec`` the picture the assistant draws (colour and shape must match;
    the background only when ``variant == "background"``).
    """

    skill: str
    split: str
    prompt: str
    variant: str = "ok"  # ok | error | denied | store | recall | unknown | <question kind>
    template: str = ""  # the phrasing template the prompt was realized from
    expected_tool: str | None = None
    expected_args: dict[str, Any] | None = None
    expected_answer_contains: tuple[str, ...] = ()
    memories: tuple[str, ...] = ()
    image_spec: ShapeSpec | None = None
    draw_spec: ShapeSpec | None = None
    tool_ok: bool = True
    tool_output: str | None = None
    thought: str = ""  # the first assistant step's thought
    answer_thought: str = ""  # the final step's thought, after a tool result
    answer: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # skill-specific details (e.g. result)
    then: SkillSample | None = None  # a second request in the same message, done after this one


ImageCodes = Callable[[ShapeSpec], bytes]


def to_messages(sample: SkillSample, codes: ImageCodes | None = None) -> list[Message]:
    """The turn as the agent would write it (no system message). ``codes`` maps a shape spec to
    its 128 VQ codes; needed only for samples with an image."""
    images: list[bytes] = []
    if sample.image_spec is not None:
        if codes is None:
            raise ValueError(f"{sample.skill} sample has an image: VQ codes are needed")
        images.append(codes(sample.image_spec))
    user = dialogue.user_message(sample.prompt, memories=sample.memories, images=images)
    if sample.expected_tool is None:
        drawn = None
        if sample.draw_spec is not None:
            if codes is None:
                raise ValueError("draw sample: VQ codes are needed")
            drawn = codes(sample.draw_spec)
        return [user, answer_step(sample.thought, sample.answer, drawn)]
    steps: list[Message] = [user]
    part: SkillSample | None = sample
    while part is not None:  # one tool step per request, then one answer covering them all
        assert part.tool_output is not None and part.expected_args is not None
        assert part.expected_tool is not None
        steps.append(dialogue.tool_step(part.thought, part.expected_tool, part.expected_args))
        steps.append(dialogue.tool_message(part.tool_ok, part.tool_output))
        part = part.then
    return [*steps, answer_step(sample.answer_thought, sample.answer)]


def answer_step(thought: str, text: str, image: bytes | None = None) -> Message:
    """``dialogue.answer_step``; every synthetic step has a thought (the agent's grammar needs one)."""
    if not thought:
        raise ValueError("synthetic answer steps always carry a thought")
    return dialogue.answer_step(thought, text, image)


def maybe_denied(sample: SkillSample, rng: random.Random, rate: float = DENIED_RATE) -> SkillSample:
    """With probability ``rate`` the user denies the call: the answer apologizes instead."""
    if sample.expected_tool is None or rng.random() >= rate:
        return sample
    tool = sample.expected_tool
    output = rng.choice(DENIED_OUTPUTS).format(tool=tool)
    answer = rng.choice((
        f"Sorry, I can't do that without permission to use {tool}.",
        f"OK, I won't use {tool}. Sorry, I can't answer without it.",
    ))  # fmt: skip
    return replace(sample, variant="denied", tool_ok=False, tool_output=output,
                   answer_thought=THOUGHT_DENIED, answer=answer,
                   expected_answer_contains=("Sorry",))  # fmt: skip


Generator = Callable[..., SkillSample]  # gen(rng, split) -> SkillSample; image skills take pick=


@dataclass(frozen=True)
class Skill:
    """One skill, as the registry (``skills/__init__.py``) lists it: its name (the config's weight
    key, the eval's row), the tool its calls use (None: answered directly), its generator, its
    default weight in the training mix, and whether the user's turn holds a picture."""

    name: str
    generate: Generator
    tool: str | None = None
    weight: float = 1.0
    image: bool = False


TEMPLATES = Path(__file__).parent / "templates"


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


@functools.cache
def templates(name: str) -> dict[str, Any]:
    """A skill's phrasing tables (``templates/NAME.toml``), lists as tuples; order is kept (it
    decides the train/eval split, ``phrasing.held_out``)."""
    with (TEMPLATES / f"{name}.toml").open("rb") as f:
        return _tuples(tomllib.load(f))
