"""Prompt-lookup drafts: the next tokens guessed from the context, checked in one forward pass.

An agent's answers copy a lot (the calc result, the time sentence, the top search result, the
user's own words), and a copied run already stands somewhere in the context. When the last
``MIN_MATCH`` tokens occurred before, the tokens that followed them there are a *draft*; one
forward pass over the token just written plus the draft gives the logits after each of them, and
the decode loop takes those rows for as long as the token it picks (by whatever rule: greedy,
sampled, constrained) equals the draft's. The first token that differs is fed as usual, over the
rest of the draft: the KV cache is positional, so a rejected draft's keys are simply written
over. The picks themselves never depend on the draft; only how many forward passes they cost.

A forced continuation (a span the constraint's choice point picked) is a draft that is always
taken: one forward pass instead of one per token.

On CPU the rows of a several-token pass can differ from one-token steps in the last bits of the
float sums, so a near-tie between the two likeliest tokens may break the other way; a rule that
needs bit-equal steps passes ``lookahead=False`` to :func:`aether_core.sampling.stream`.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Protocol

from torch import Tensor

MIN_MATCH = 4  # tokens that must recur before what followed them is drafted
MAX_DRAFT = 16  # the longest draft: a miss costs a pass over this many tokens


def draft(
    tokens: Sequence[int], min_match: int = MIN_MATCH, max_draft: int = MAX_DRAFT
) -> list[int]:
    """The tokens that followed the latest earlier occurrence of the last ``min_match`` tokens
    (up to ``max_draft`` of them; empty when they never occurred before)."""
    n = len(tokens)
    if n <= min_match:
        return []
    # token ids fit 16 bits: search the packed bytes with bytes.rfind (C, not a Python loop)
    packed = array("H", tokens).tobytes()
    key = packed[2 * (n - min_match) :]
    end = 2 * (n - 1)  # the match must end before the last token, so something follows it
    while (at := packed.rfind(key, 0, end)) >= 0:
        if at % 2 == 0:  # aligned: a match of whole tokens, not of a token's halves
            start = at // 2 + min_match
            return list(tokens[start : min(start + max_draft, n)])
        end = at + len(key) - 1
    return []


class Extendable(Protocol):
    """What drafting needs of a decoding session: the tokens it holds and a pass over several."""

    tokens: list[int]
    max_len: int

    def lookahead(self, tokens: Sequence[int]) -> Tensor: ...

    def step(self, token: int) -> Tensor: ...


class Lookahead:
    """Feeds the decode loop's tokens to ``session``, one forward pass per draft where it can.

    ``next_logits(tok)`` replaces ``session.step(tok)``: it returns the logits after ``tok``
    and leaves ``session.tokens`` ending with ``tok``, as a step would.
    """

    def __init__(self, session: Extendable) -> None:
        self.session = session
        self.rows: Tensor | None = None
        self.pending: list[int] = []  # drafted tokens in the cache, not yet taken
        self.passes = 0  # forward passes (a step or a draft's pass each)

    def next_logits(self, tok: int, forced: Sequence[int] = ()) -> Tensor:
        """Logits after ``tok``; ``forced``: tokens certain to follow it (drafted first)."""
        s = self.session
        if self.pending and self.rows is not None:
            taken = len(self.rows) - len(self.pending)
            if tok == self.pending[0]:
                self.pending.pop(0)
                s.tokens.append(tok)
                return self.rows[taken]
            self.pending = []
        guess = list(forced) or draft([*s.tokens, tok])
        room = s.max_len - len(s.tokens) - 1  # tok and the draft must fit the cache
        guess = guess[: max(room, 0)]
        if not guess:
            self.passes += 1
            return s.step(tok)
        self.rows = s.lookahead([tok, *guess])
        self.passes += 1
        s.tokens.append(tok)
        self.pending = guess
        return self.rows[0]

    def settle(self, tok: int) -> None:
        """The last token, ``tok``, ends the stream: put it in the cache (or take it from the
        draft), so the session holds exactly what was emitted and the next feed reuses it."""
        s = self.session
        if self.pending and tok == self.pending[0]:
            s.tokens.append(tok)
        elif len(s.tokens) < s.max_len:
            s.step(tok)
        self.pending = []
