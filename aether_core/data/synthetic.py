"""Synthetic training dialogues: the skills of ``skills.py`` as ``Example`` streams.

Each example is one conversation as the agent would hold it: the system prompt, then one turn
(sometimes two, so the model also sees a conversation with history). The loss mask covers exactly
what the assistant writes (``segments.encode_with_mask``). Pictures the user shows (captions) go
to ``Example.images`` for the ViT; pictures the assistant draws do not: the cross-attention sees
every image of a row at once, so giving it the drawing would let the model copy its own answer.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace

from .. import dialogue
from ..errors import AetherError
from ..segments import Message, encode_with_mask
from . import two_requests as two_requests_mod
from .base import Example
from .imagebank import ImageCodec, ShapeBank
from .phrasing import norm_split
from .skills import BY_NAME, IMAGE_SKILLS, SKILLS, SkillSample, generators, to_messages
from .skills.memory import distractor_memories

DEFAULT_WEIGHTS: dict[str, float] = {name: s.weight for name, s in BY_NAME.items()}


class SyntheticError(AetherError, ValueError):
    """A synthetic source that cannot be built as configured."""


class SyntheticSource:
    """Infinite stream of synthetic dialogues; ``split="val"``/``"eval"`` uses held-out phrasing."""

    def __init__(self, skills: Sequence[str] | None = None, vq: ImageCodec | None = None,
                 weights: dict[str, float] | None = None, multi_turn: float = 0.1,
                 image_pool: int = 1024, name: str = "synthetic",
                 system_prompt: str = dialogue.SYSTEM_PROMPT,
                 stray_memories: float = 0.1, two_requests: float = 0.0) -> None:  # fmt: skip
        self.name = name
        if skills is None:
            skills = [s for s in SKILLS if vq is not None or s not in IMAGE_SKILLS]
        skills = list(skills)
        if not skills:
            raise SyntheticError(f"{name}: no skills selected")
        for s in skills:
            if s not in SKILLS:
                raise SyntheticError(
                    f"{name}: unknown skill {s!r} (choose from {', '.join(SKILLS)})"
                )
        needs_vq = sorted(set(skills) & IMAGE_SKILLS)
        if needs_vq and vq is None:
            raise SyntheticError(
                f"{name}: skill(s) {', '.join(needs_vq)} need the VQ image codec (set data.vq)"
            )
        weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        for k in weights:
            if k not in SKILLS:
                raise SyntheticError(f"{name}: weight for unknown skill {k!r}")
            if weights[k] < 0:
                raise SyntheticError(f"{name}: weight of {k!r} must be >= 0")
        self.skills = skills
        self.weights = [float(weights[s]) for s in skills]
        if sum(self.weights) <= 0:
            raise SyntheticError(f"{name}: all skill weights are zero")
        if not 0.0 <= multi_turn <= 1.0:
            raise SyntheticError(f"{name}: multi_turn must be in [0, 1]")
        self.multi_turn = multi_turn
        if not 0.0 <= stray_memories <= 1.0:
            raise SyntheticError(f"{name}: stray_memories must be in [0, 1]")
        self.stray_memories = stray_memories
        if not 0.0 <= two_requests <= 1.0:
            raise SyntheticError(f"{name}: two_requests must be in [0, 1]")
        tool_skills = set(skills) & set(two_requests_mod.FIRST)
        self.two_requests = two_requests if len(tool_skills) >= 2 else 0.0
        self.system_prompt = system_prompt
        self.bank = ShapeBank(vq, size=image_pool) if vq is not None and needs_vq else None
        self._gens = generators()

    # ------------------------------------------------------------------ samples
    def sample(self, rng: random.Random, split: str, skill: str | None = None) -> SkillSample:
        split = norm_split(split)
        skill = skill or rng.choices(self.skills, weights=self.weights)[0]
        if skill in IMAGE_SKILLS:
            assert self.bank is not None
            return self._gens[skill](rng, split, pick=self.bank.pick)
        if (
            skill in two_requests_mod.FIRST
            and self.two_requests
            and rng.random() < self.two_requests
        ):
            sample = two_requests_mod.two_requests(rng, split)  # two tool steps, one answer
        else:
            sample = self._gens[skill](rng, split)
        if skill != "memory" and rng.random() < self.stray_memories:
            # real turns often carry recalled memories that do not matter: learn to ignore them
            sample = replace(sample, memories=distractor_memories(rng, split))
        return sample

    def example(self, samples: Sequence[SkillSample]) -> Example:
        """One conversation from one or more samples (turns in order)."""
        messages: list[Message] = [dialogue.system_message(self.system_prompt)]
        images = []
        codes = self.bank.codes if self.bank is not None else None
        for s in samples:
            messages += to_messages(s, codes)
            if s.image_spec is not None and self.bank is not None:
                images.append(self.bank.pixels(s.image_spec))
        tokens, mask = encode_with_mask(messages)
        return Example(tokens, mask, images)

    def examples(self, rng: random.Random, split: str = "train") -> Iterator[Example]:
        split = norm_split(split)
        while True:
            turns = [self.sample(rng, split)]
            if self.multi_turn and rng.random() < self.multi_turn:
                turns.append(self.sample(rng, split))
            yield self.example(turns)


def shapes_source(vq: ImageCodec | None, name: str = "shapes", **kw: object) -> SyntheticSource:
    """Shapes captions only (the image-text pairs of the synthetic set)."""
    return SyntheticSource(["caption"], vq=vq, name=name, **kw)  # type: ignore[arg-type]
