"""calc's expression is a picked span of the user's words or one the model writes itself: at the
opening quote the grammar offers the phrases calc reads where there are any, else every phrase
and the model's own expression, and the session's per-token score decides."""

from __future__ import annotations

import torch
from torch import nn

from aether_core.agent.call_grammar import tool_arg_types
from aether_core.agent.constrain import FREE_STARTS, StepGrammar
from aether_core.agent.copying import CopyPrior
from aether_core.decoding import DEFAULT_SAMPLING
from aether_core.sampling import DecodeSession
from aether_core.tools import default_registry
from aether_core.tools.calc import evaluate
from aether_core.vocab import VOCAB_SIZE, Tok

OPEN = b'{"tool": "calc", "args": {"expression": "'


class WantsExpression(nn.Module):
    """A byte model that, inside the calc argument, means to write ``target`` then close it:
    sure of each byte once started (``peak``), less of the first (``first``); flat elsewhere
    and once the value leaves ``target``."""

    def __init__(self, target: bytes, first: float = 5.0, peak: float = 9.0) -> None:
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))
        self.target, self.first, self.peak = target, first, peak
        self.seq: dict[int, int] = {}

    def new_cache(self, batch, max_len=None, device=None, dtype=None):
        class Cache:
            reset_vision = staticmethod(lambda: None)

        cache = Cache()
        cache.max_len = max_len
        return cache

    def forward(self, tokens, *, input_pos, cache=None, vision=None, last_only=False, **_):
        for tok, p in zip(tokens[0].tolist(), input_pos.tolist(), strict=True):
            self.seq[p] = tok
        positions = input_pos[-1:] if last_only else input_pos
        out = torch.zeros(1, len(positions), VOCAB_SIZE)
        for i, p in enumerate(positions.tolist()):
            text = bytes(
                t for _, t in sorted((q, t) for q, t in self.seq.items() if q <= p) if t < 256
            )
            at = text.rfind(OPEN)
            if at < 0:
                continue
            written = text[at + len(OPEN) :]
            if written == self.target:
                out[0, i, ord('"')] = self.peak
            elif self.target.startswith(written):
                out[0, i, self.target[len(written)]] = self.first if not written else self.peak
        return out


def _pick(message: bytes, target: bytes, first: float = 5.0) -> bytes:
    """What the session writes at the opening quote, for a user who wrote ``message``."""
    g = StepGrammar(tool_arg_types(default_registry()))
    g.copy = CopyPrior([message])
    prefix = [Tok.THOUGHT_START, Tok.STREAM, *b"ok", Tok.THOUGHT_END, Tok.CALL_START, Tok.STREAM]
    for t in [*prefix, *OPEN]:
        g.advance(int(t))
    offered = g.choices()
    assert offered is not None
    session = DecodeSession(WantsExpression(target, first=first), 256)
    logits = session.feed(
        [int(Tok.BOS), int(Tok.USER), *message, int(Tok.EOS), *map(int, prefix), *OPEN]
    )
    return bytes(session.choose(logits, offered, DEFAULT_SAMPLING, constraint=g))


def _offered(message: bytes) -> tuple[StepGrammar, list]:
    g = StepGrammar(tool_arg_types(default_registry()))
    g.copy = CopyPrior([message])
    for t in [
        Tok.THOUGHT_START,
        Tok.STREAM,
        *b"ok",
        Tok.THOUGHT_END,
        Tok.CALL_START,
        Tok.STREAM,
        *OPEN,
    ]:
        g.advance(int(t))
    return g, g.choices()


def _phrases(offered: list) -> set[bytes]:
    return {bytes(c.tokens[:e]) for c in offered for e in c.ends if c.close == ord('"')}


def test_where_no_phrase_computes_every_phrase_and_free_first_bytes_are_offered() -> None:
    g, offered = _offered(b"I have 3 apples and buy 5 more?")
    assert {b"3 apples and buy 5 more", b"3", b"I have 3 apples"} <= _phrases(offered)
    assert b"5 more?" not in _phrases(offered)  # the question mark stops a math phrase
    (own,) = [c for c in offered if c.starts]  # the model's own expression, written out
    assert own.starts == FREE_STARTS and ord('"') not in own.starts  # an empty one is invalid
    g.advance(ord("3"))
    assert g.choices() is None  # once started, written byte by byte


def test_only_phrases_calc_reads_are_offered_where_there_are_any() -> None:
    _, offered = _offered(b"what is 15% of 80?")
    assert not any(c.starts for c in offered)  # nothing of the model's own: it drops words
    # the words around it that read the same are no part of it: "what is 15% of 80"
    assert _phrases(offered) == {b"15% of 80"}
    # "9 squared" reads, but the longer phrase around it reads otherwise: half the sum
    _, offered = _offered(b"Whats 9 squared plus 1")
    assert _phrases(offered) == {b"9 squared plus 1"}
    # spans start at a word; the phrase gets its brackets back
    _, offered = _offered(b"crunch the numbers: (82 - 276) + 340, ty")
    assert b"(82 - 276) + 340" in _phrases(offered)
    assert {evaluate(p.decode()) for p in _phrases(offered)} == {"146"}
    _, offered = _offered(b"(634 plus 7) minus 6092=?")  # the bracket opens the message
    assert {evaluate(p.decode()) for p in _phrases(offered)} == {"-5451"}


def test_a_phrase_the_model_would_copy_is_picked_whole() -> None:
    picked = _pick(b"what is 15% of 80?", b"15% of 80")
    assert picked == b'15% of 80"'
    assert evaluate(picked[:-1].decode()) == "12"


def test_an_expression_of_its_own_is_written_where_no_phrase_computes() -> None:
    assert _pick(b"I bought 4 boxes of 12 eggs", b"4*12") == b'4*12"'  # no phrase computes
    # a conversion of one unit computes, though it writes no number
    assert _pick(b"how many seconds are in a day?", b"24*60*60") == b'seconds are in a day"'


def test_a_phrase_that_starts_with_the_same_digit_is_written_whole() -> None:
    # the first byte is near certain either way: scored by it alone, the expression of the
    # model's own ("7") outscored the phrase it shares it with, and the phrase was never picked
    picked = _pick(b"what is 7 percent of 1200", b"7 percent of 1200", first=12.0)
    assert picked == b'7 percent of 1200"'
    assert evaluate(picked[:-1].decode()) == "84"
