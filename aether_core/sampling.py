"""Sampling and streaming generation from the KV cache.

``DecodeSession`` owns one preallocated cache (or one row of a shared batch cache) and the tokens
in it. ``feed`` reuses the longest shared prefix with what is already cached (rewinding is just
writing at an earlier position), so an agent that re-sends its growing conversation every step
only pays for the new tokens (``decode_batch.DecodeBatch`` keeps several in the rows of one cache
and steps them together); ``stream`` is the token loop (constraint, choices, stop tokens) over
any ``Session``, so each row keeps its own grammar, copy prior and random generator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import torch
from torch import Tensor

from .decoding import SamplingConfig as SamplingConfig  # defined once there, re-exported
from .entropy_sampling import adapt
from .lookahead import Lookahead
from .model.fast_decode import fast_step_for
from .vocab import Tok, is_byte

MAX_ROLLOUT = 48  # the longest continuation of its own a choice point writes out to score


@dataclass(frozen=True)
class Choice:
    """Continuations a constraint offers at a choice point: ``tokens[:e] + (close,)`` for each
    ``e`` in ``ends`` (e.g. the phrases that start at one word of a sentence, then a quote).

    ``starts`` non-empty: the model's own continuation instead, as greedy decoding under the
    constraint would write it (its first token one of ``starts``) up to ``close``; scored over
    its whole length like the others, not by its first token, which it shares with a phrase
    that starts the same way ("7" of "7 percent of 1200")."""

    tokens: tuple[int, ...]
    ends: tuple[int, ...]
    close: int
    starts: frozenset[int] = frozenset()


class Constraint(Protocol):
    """Restricts the next token (e.g. to keep a tool call valid JSON)."""

    def allowed(self) -> Tensor | None:
        """Bool mask [vocab] of allowed next tokens, or None for no restriction."""

    def advance(self, token: int) -> None: ...

    @property
    def done(self) -> bool: ...

    # optional: ``reweight(logits) -> logits``, applied to the next token's logits first;
    # ``allows(token) -> bool``: whether ``allowed()`` holds the token, answered without the mask;
    # ``choices() -> Sequence[Choice] | None``: a choice point, where the session scores every
    # offered continuation as a whole and writes the one it picks; ``greedy() -> bool``: the next
    # token (or choice) is the likeliest one whatever the temperature (a tool call's bytes)


def process_logits(
    logits: Tensor, cfg: SamplingConfig, history: Sequence[int] = (), allowed: Tensor | None = None
) -> Tensor:
    """Apply repetition penalty, constraint, temperature, top-k and top-p to one logits row [V]."""
    logits = logits.float().clone()
    if cfg.repetition_penalty != 1.0 and history:
        window = history[-cfg.repetition_window :]
        recent = torch.tensor(sorted({t for t in window if is_byte(t)}), dtype=torch.long)
        if recent.numel():
            vals = logits[recent]
            logits[recent] = torch.where(
                vals > 0, vals / cfg.repetition_penalty, vals * cfg.repetition_penalty
            )
    logits = _mask(logits, allowed)
    if cfg.temperature <= 0:
        return logits
    logits = logits / cfg.temperature
    if cfg.top_k and cfg.top_k < logits.numel():
        kth = torch.topk(logits, cfg.top_k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if cfg.top_p < 1.0:
        sorted_logits, idx = torch.sort(logits, descending=True)
        probs = torch.softmax(sorted_logits, -1)
        drop = probs.cumsum(-1) - probs > cfg.top_p  # keep the smallest set reaching top_p
        logits[idx[drop]] = float("-inf")
    return logits


def _mask(logits: Tensor, allowed: Tensor | None) -> Tensor:
    """``logits`` with the tokens the constraint forbids at -inf (the mask may live on the CPU)."""
    if allowed is None:
        return logits
    return torch.where(allowed.to(logits.device), logits, float("-inf"))  # one op, not two


def sample_token(
    logits: Tensor,
    cfg: SamplingConfig,
    generator: torch.Generator | None = None,
    history: Sequence[int] = (),
    allowed: Tensor | None = None,
) -> int:
    """One token from a logits row [V]; greedy when temperature is 0. The entropy sampler picks
    the strategy from the distribution itself (entropy_sampling.adapt)."""
    if cfg.temperature <= 0 and cfg.repetition_penalty == 1.0:
        # greedy, nothing reweighted: the argmax of the allowed logits, without process_logits'
        # copy (the same token: float() is exact and argmax picks the first of equal maxima)
        return int(torch.argmax(_mask(logits, allowed)))
    if cfg.sampler != "plain":
        cfg = adapt(_mask(logits, allowed), cfg)
    logits = process_logits(logits, cfg, history, allowed)
    if cfg.temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits, -1)
    return int(torch.multinomial(probs.cpu(), 1, generator=generator))


def _plain_argmax(logits: Tensor, cfg: SamplingConfig, constraint: Constraint | None) -> int | None:
    """Greedy with nothing reweighted, where the constraint can say cheaply whether a token is
    allowed (``allows``): the unmasked argmax when it is allowed, without building the mask (it
    is then the masked argmax too: masking only lowers the others); None otherwise."""
    if cfg.temperature > 0 or cfg.repetition_penalty != 1.0:
        return None
    allows = getattr(constraint, "allows", None) if constraint is not None else (lambda _: True)
    if allows is None:
        return None
    tok = int(torch.argmax(logits))
    return tok if allows(tok) else None


def make_generator(seed: int | None) -> torch.Generator:
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(seed)
    return g


class DecodeSession:
    """One conversation's decoding over a preallocated KV cache: its own (batch 1), or ``cache``,
    a one-row view of a shared batch cache (``DecodeBatch``)."""

    def __init__(
        self,
        model: torch.nn.Module,
        max_len: int,
        device: torch.device | str | None = None,
        cache: object = None,
        compile: bool = False,
    ) -> None:
        self.model = model
        self.device = device or next(model.parameters()).device
        self.cache = cache if cache is not None else model.new_cache(1, max_len, device=self.device)
        self.max_len = self.cache.max_len
        self.tokens: list[int] = []
        self._vision_key: object = None
        self._pos = torch.arange(self.max_len, device=self.device)
        self._step_buf = torch.zeros(1, 1, dtype=torch.long, device=self.device)
        # the one-token step without the general forward's overhead (None: never)
        # (compile: a static-shape graph, model/compiled_decode.py)
        self.fast = fast_step_for(model, compile)

    def reset(self) -> None:
        self.tokens = []
        self.cache.reset_vision()
        self._vision_key = None

    @torch.inference_mode()
    def feed(
        self, tokens: Sequence[int], vision: Tensor | None = None, vision_key: object = None
    ) -> Tensor:
        """Make the cache hold exactly ``tokens``; return the logits [V] after the last one.

        ``vision_key`` identifies the image set: when it changes, the whole context is recomputed,
        since cross-attention changes every position.
        """
        tokens = list(tokens)
        if not tokens:
            raise ValueError("cannot decode from an empty context")
        if len(tokens) > self.max_len:
            raise ValueError(f"context of {len(tokens)} tokens exceeds the cache ({self.max_len})")
        if vision_key != self._vision_key:
            self.reset()
        keep = 0
        for a, b in zip(self.tokens, tokens, strict=False):
            if a != b:
                break
            keep += 1
        keep = min(keep, len(tokens) - 1)  # always run at least the last token for its logits
        new = torch.tensor(tokens[keep:], dtype=torch.long, device=self.device)
        logits = self._pass(new, keep, vision if keep == 0 else None, last_only=True)[-1]
        self._vision_key = vision_key
        self.tokens = tokens
        return logits

    @torch.inference_mode()
    def step(self, token: int) -> Tensor:
        """Append one token and return the next logits [V]."""
        n = len(self.tokens)
        if n >= self.max_len:
            raise ValueError(f"context full ({self.max_len} tokens)")
        if self.fast is not None and self.fast.applies(self.cache):
            logits = self.fast.step(token, n, self._pos[n : n + 1], self.cache)
            self.tokens.append(token)
            return logits
        self._step_buf.fill_(token)
        logits = self.model(
            self._step_buf, input_pos=self._pos[n : n + 1], cache=self.cache, last_only=True
        )
        self.tokens.append(token)
        return logits[0, -1]

    @property
    def drafts(self) -> bool:
        """Whether prompt-lookup drafts pay (lookahead.py): where one step costs a good part of
        a several-token pass (the general forward, the eager torch step), not where it is cheap
        (numpy, compiled)."""
        return self.fast is None or self.fast.drafts_pay

    @torch.inference_mode()
    def lookahead(self, tokens: Sequence[int]) -> Tensor:
        """The logits [len(tokens), V] after each of ``tokens``, fed after the context in one
        forward pass; nothing is appended (their keys stay in the cache's slots until written
        over, so appending them to ``tokens`` afterwards makes them part of the context)."""
        n = len(self.tokens)
        if n + len(tokens) > self.max_len:
            raise ValueError(f"context full ({self.max_len} tokens)")
        return self._pass(torch.tensor(list(tokens), dtype=torch.long, device=self.device), n)

    def _pass(
        self, ids: Tensor, at: int, vision: Tensor | None = None, last_only: bool = False
    ) -> Tensor:
        """Feed ``ids`` [k] at positions ``at``..: the logits after each, [k, V] ([1, V] with
        ``last_only``). The fast step's several-token pass where it applies (no images), else
        the general forward."""
        pos = self._pos[at : at + len(ids)]
        if vision is None and self.fast is not None and self.fast.applies(self.cache):
            return self.fast.extend(ids, at, pos, self.cache, last_only)
        return self.model(
            ids[None], input_pos=pos, cache=self.cache, vision=vision, last_only=last_only
        )[0]

    @torch.inference_mode()
    def choose(
        self,
        logits: Tensor,
        choices: Sequence[Choice],
        cfg: SamplingConfig,
        generator: torch.Generator | None = None,
        constraint: Constraint | None = None,
    ) -> list[int]:
        """One of the offered continuations, by its log-probability per token (the likeliest when
        greedy, else sampled at the temperature): under the model, or as the constraint weighs
        the model's logits (its ``choice_logprobs``). Per token, as beam search normalizes by
        length: summed, a longer span loses to its own first words by its extra bytes alone.
        Each choice costs one forward pass over its tokens; the cache is rewound after (nothing
        is appended)."""
        n = len(self.tokens)
        weigh = getattr(constraint, "choice_logprobs", None) or token_logprobs
        options: list[tuple[int, ...]] = []
        scores: list[Tensor] = []
        room = self.max_len - n - 1  # the closing token must fit too
        for c in choices:
            if c.starts:
                toks, lps = self._rollout(logits, c, constraint)
                options.append(tuple(toks))
                scores.append(torch.stack(lps).mean())
                continue
            ends = [e for e in c.ends if e <= room]  # a long span's first words may still fit
            if not ends:
                continue
            toks = list(c.tokens[: max(ends)])
            rows = logits[None]
            if toks:
                rows = torch.cat([rows, self.lookahead(toks)])
            lp_tokens, lp_close = weigh(rows, toks, c.close)
            along = torch.cat([lp_tokens.new_zeros(1), lp_tokens.cumsum(0)])
            for e in ends:
                options.append((*toks[:e], c.close))
                scores.append((along[e] + lp_close[e]) / (e + 1))  # e tokens and the close
        if not options:
            raise ValueError("no choice fits in the context")
        s = torch.stack(scores)
        if cfg.temperature <= 0:
            return list(options[int(torch.argmax(s))])
        probs = torch.softmax(s / cfg.temperature, -1).cpu()
        return list(options[int(torch.multinomial(probs, 1, generator=generator))])

    def _rollout(
        self, logits: Tensor, choice: Choice, constraint: Constraint | None
    ) -> tuple[list[int], list[Tensor]]:
        """The continuation greedy decoding would write from here under a fork of the
        constraint (reweighted and masked as it would be), up to and including ``choice.close``
        (or ``MAX_ROLLOUT`` tokens), with each token's log-probability as choices weigh theirs;
        the cache is rewound after."""
        twin = constraint.fork() if constraint is not None else None
        reweight = getattr(twin, "reweight", None)
        base, toks, lps, row = len(self.tokens), [], [], logits
        try:
            while len(toks) < MAX_ROLLOUT and len(self.tokens) + 1 < self.max_len:
                lp = torch.log_softmax((reweight(row) if reweight else row).float(), -1)
                allowed = twin.allowed() if twin is not None else None
                if not toks:
                    first = torch.zeros_like(lp, dtype=torch.bool)
                    first[list(choice.starts)] = True
                    allowed = first if allowed is None else allowed.to(first.device) & first
                tok = int(torch.argmax(_mask(lp, allowed)))
                toks.append(tok)
                lps.append(lp[tok])
                if tok == choice.close:
                    break
                if twin is not None:
                    twin.advance(tok)
                row = self.step(tok)
        finally:
            del self.tokens[base:]
        return toks, lps

    def generate(
        self,
        context: Sequence[int],
        cfg: SamplingConfig,
        max_new: int,
        **options: object,
    ) -> Iterator[int]:
        """Stream up to ``max_new`` tokens after ``context``: see :func:`stream`."""
        return stream(self, context, cfg, max_new, **options)  # type: ignore[arg-type]


class Session(Protocol):
    """What the token loop needs of a decoding session (``DecodeSession`` or a row of a batch
    served by another thread)."""

    tokens: list[int]
    max_len: int

    def feed(
        self, tokens: Sequence[int], vision: Tensor | None = None, vision_key: object = None
    ) -> Tensor: ...

    def step(self, token: int) -> Tensor: ...

    def choose(
        self,
        logits: Tensor,
        choices: Sequence[Choice],
        cfg: SamplingConfig,
        generator: torch.Generator | None = None,
        constraint: Constraint | None = None,
    ) -> list[int]: ...


def stream(
    session: Session,
    context: Sequence[int],
    cfg: SamplingConfig,
    max_new: int,
    *,
    stop_tokens: Sequence[int] = (Tok.EOS,),
    constraint: Constraint | None = None,
    vision: Tensor | None = None,
    vision_key: object = None,
    generator: torch.Generator | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[int]:
    """Stream up to ``max_new`` tokens after ``context``; a stop token is yielded, then ends.

    With a constraint, generation also ends when the constraint reports done.
    """
    generator = generator or make_generator(cfg.seed)
    logits = session.feed(context, vision, vision_key)
    stops = {int(t) for t in stop_tokens}
    choices = getattr(constraint, "choices", None)
    reweight = getattr(constraint, "reweight", None)
    greedy = getattr(constraint, "greedy", None)
    exact = replace(cfg, temperature=0.0)
    chosen: list[int] = []  # the rest of a picked continuation, written token by token
    ahead = Lookahead(session) if cfg.lookahead and getattr(session, "drafts", False) else None
    for _ in range(max_new):
        if should_stop is not None and should_stop():
            return
        now = exact if greedy is not None and greedy() else cfg
        if not chosen and choices is not None and (offered := choices()):
            chosen = session.choose(logits, offered, now, generator, constraint)
        if chosen:
            tok = chosen.pop(0)
        else:
            if reweight is not None:
                logits = reweight(logits)
            tok = _plain_argmax(logits, now, constraint)
            if tok is None:
                tok = sample_token(
                    logits,
                    now,
                    generator,
                    history=session.tokens[-cfg.repetition_window :],
                    allowed=constraint.allowed() if constraint is not None else None,
                )
        if constraint is not None:
            constraint.advance(tok)
        yield tok
        if tok in stops or (constraint is not None and constraint.done):
            # keep the cache in step with what was emitted, so the next feed reuses it
            if ahead is not None:
                ahead.settle(tok)
            elif len(session.tokens) < session.max_len:
                session.step(tok)
            return
        if len(session.tokens) + 1 >= session.max_len:
            return
        logits = session.step(tok) if ahead is None else ahead.next_logits(tok, chosen)


def token_logprobs(rows: Tensor, tokens: Sequence[int], close: int) -> tuple[Tensor, Tensor]:
    """log p(token t | logits row t) and log p(close | row t), for every row."""
    lp = torch.log_softmax(rows.float(), -1)
    picked = lp[torch.arange(len(tokens)), torch.tensor(list(tokens), dtype=torch.long)]
    return picked, lp[:, close]


def generate(
    model: torch.nn.Module,
    prompt: Sequence[int],
    cfg: SamplingConfig,
    max_new: int,
    stop_tokens: Sequence[int] = (Tok.EOS,),
    max_len: int | None = None,
) -> list[int]:
    """Convenience: a fresh session, the whole generation as a list."""
    session = DecodeSession(model, max_len or len(prompt) + max_new + 1)
    return list(session.generate(prompt, cfg, max_new, stop_tokens=stop_tokens))
