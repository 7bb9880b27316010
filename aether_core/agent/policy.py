"""Policies: what the agent asks for the next tokens. The agent is model-agnostic: it drives
anything with ``generate(...)``, the ByteTransformer (``ModelPolicy``) or a script (tests, evals).

ScriptedPolicy: give it, per assistant step, the items the step should contain
(``[Thought(b"..."), ToolCall.make("calc", {...})]`` or ``[Thought(b".."), Text(b"answer")]``),
or a callable ``(conversation: list[Message]) -> items`` for policies that react to the prompt.
It yields exactly those tokens (plus EOS), optionally with a delay per token.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..sampling import Constraint, DecodeSession, SamplingConfig, Session, make_generator, stream
from ..segments import Item, Message, decode, encode_item
from ..vocab import Tok

if TYPE_CHECKING:
    from ..model.vision_head import Sight, VisionHead


@dataclass(frozen=True)
class ModelInfo:
    name: str
    params: int
    device: str
    dtype: str
    checkpoint: str | None = None
    random_weights: bool = False
    max_context: int = 4096


class Policy(Protocol):
    info: ModelInfo

    def generate(
        self,
        context: Sequence[int],
        *,
        images: Sequence[Any],
        sampling: SamplingConfig,
        max_new: int,
        stop_tokens: Sequence[int],
        constraint: Constraint | None,
        should_stop: Callable[[], bool],
    ) -> Iterator[int]:
        """Stream tokens after ``context`` (which ends with the ASSISTANT marker)."""

    def see(self, image: Any) -> Sight | None:
        """What the vision head reads in one picture (pixels [3, 64, 64] in [0, 1]); None
        without one (agent/seeing.py)."""


class ModelPolicy:
    """A language model behind a reusable KV cache (prefix reuse across agent steps)."""

    def __init__(
        self,
        model: Any,
        info: ModelInfo,
        max_context: int = 4096,
        compile: bool = False,
        vision_head: VisionHead | None = None,
    ) -> None:
        import torch

        self.model = model
        self.vision_head = vision_head
        self.max_context = min(max_context, model.cfg.max_seq_len)
        self.info = ModelInfo(**{**info.__dict__, "max_context": self.max_context})
        self.session = DecodeSession(model, self.max_context, compile=compile)
        if compile:  # compile now, while the face says it is loading, not at the first answer
            self.session.feed([int(Tok.BOS)])
            self.session.step(int(Tok.BOS))
            self.session.reset()
        self.device = self.session.device
        self._lock = threading.Lock()  # one generation at a time per cache
        self._torch = torch

    @contextmanager
    def decode_session(self, context: Sequence[int]) -> Iterator[Session]:
        """The session one generation runs on: this policy's own cache, one generation at a
        time. A policy serving many conversations hands out a row of a shared batch instead
        (``serve.batcher``), picked by the ``context`` it will be fed."""
        with self._lock:
            yield self.session

    def _vision(self, images: Sequence[Any]) -> tuple[Any, object]:
        if not images or getattr(self.model, "vit", None) is None:
            return None, None
        torch = self._torch
        stack = torch.stack([im.float() for im in images])[None].to(self.device)
        key = hashlib.blake2b(stack.cpu().numpy().tobytes(), digest_size=16).hexdigest()
        with torch.inference_mode():
            vision, _ = self.model.encode_images(stack)
        return vision, key

    def see(self, image: Any) -> Sight | None:
        if self.vision_head is None or getattr(self.model, "vit", None) is None:
            return None
        from ..model.vision_head import read_sight

        with (
            self._torch.inference_mode()
        ):  # the ViT's tokens, as generate's cross-attention has them
            tokens, _ = self.model.encode_images(image.float()[None, None].to(self.device))
        return read_sight(self.vision_head, tokens[0])

    def generate(
        self,
        context: Sequence[int],
        *,
        images: Sequence[Any],
        sampling: SamplingConfig,
        max_new: int,
        stop_tokens: Sequence[int],
        constraint: Constraint | None,
        should_stop: Callable[[], bool],
    ) -> Iterator[int]:
        vision, key = self._vision(images)
        with self.decode_session(context) as session:
            room = self.max_context - len(context) - 1
            yield from stream(
                session,
                context,
                sampling,
                min(max_new, max(room, 0)),
                stop_tokens=stop_tokens,
                constraint=constraint,
                vision=vision,
                vision_key=key,
                generator=make_generator(sampling.seed),
                should_stop=should_stop,
            )


Script = Sequence[Sequence[Item]] | Callable[[list[Message]], Sequence[Item]]


class ScriptedPolicy:
    """Plays back scripted assistant steps token by token (tests, evaluations, demos)."""

    def __init__(
        self,
        script: Script,
        delay_s: float = 0.0,
        name: str = "scripted",
        sight: Sight | None = None,
    ) -> None:
        self.script = script
        self.sight = sight  # what see() reads in any picture
        self.delay_s = delay_s
        self.calls = 0
        self.contexts: list[list[int]] = []
        self.info = ModelInfo(name=name, params=0, device="cpu", dtype="none")

    def see(self, image: Any) -> Sight | None:
        return self.sight

    def _items(self, context: Sequence[int]) -> Sequence[Item]:
        if callable(self.script):
            return self.script(decode(list(context)[:-1]))
        if self.calls >= len(self.script):
            raise RuntimeError("scripted policy ran out of steps")
        return self.script[self.calls]

    def generate(
        self,
        context: Sequence[int],
        *,
        images: Sequence[Any],
        sampling: SamplingConfig,
        max_new: int,
        stop_tokens: Sequence[int],
        constraint: Constraint | None,
        should_stop: Callable[[], bool],
    ) -> Iterator[int]:
        self.contexts.append(list(context))
        items = self._items(context)
        self.calls += 1
        tokens = [t for item in items for t in encode_item(item)] + [int(Tok.EOS)]
        stops = set(stop_tokens)
        for tok in tokens[:max_new]:
            if should_stop():
                return
            if self.delay_s:
                time.sleep(self.delay_s)
            if constraint is not None:
                constraint.advance(tok)
            yield tok
            if tok in stops or (constraint is not None and constraint.done):
                return
