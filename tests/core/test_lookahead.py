"""Prompt-lookup drafts (lookahead.py): the draft rule, the several-token fast pass, and a
decode loop that writes the same tokens with fewer forward passes."""

from __future__ import annotations

import pytest
import torch

from aether_core import lookahead
from aether_core.decoding import SamplingConfig
from aether_core.lookahead import draft
from aether_core.model.compiled_decode import CompiledStep
from aether_core.model.fast_decode import FastStep
from aether_core.model.numpy_decode import NumpyStep
from aether_core.sampling import DecodeSession, stream
from aether_core.vocab import Tok
from tests.core.helpers import tiny_model


def test_draft_copies_what_followed_the_latest_earlier_match() -> None:
    toks = [1, 2, 3, 4, 9, 9, 1, 2, 3, 4, 7, 8, 5, 1, 2, 3, 4]
    assert draft(toks, min_match=4, max_draft=16) == [7, 8, 5, 1, 2, 3, 4]
    assert draft(toks, min_match=4, max_draft=2) == [7, 8]
    assert draft([1, 2, 3, 4, 5], min_match=2) == []  # (4, 5) never occurred before
    assert draft([1, 2], min_match=4) == []


def test_draft_matches_whole_tokens_not_halves_of_their_packed_bytes() -> None:
    # packed as 16-bit words, 0x0101 then 0x0001 contains the bytes 01 01 00 01 ..., so a
    # search of bytes alone would find (1, 1) across a token boundary (257 = 0x0101)
    toks = [5, 257, 1, 6, 1, 1]
    assert draft(toks, min_match=2) == []
    assert draft([5, 1, 1, 6, 1, 1], min_match=2) == [6, 1, 1]
    assert draft([Tok.EOS, 300, 4, Tok.EOS, 300], min_match=2) == [4, int(Tok.EOS), 300]


def test_a_several_token_pass_gives_the_logits_of_one_token_steps() -> None:
    model = tiny_model(seed=3)
    a, b = DecodeSession(model, 96), DecodeSession(model, 96)
    prompt = torch.randint(0, 256, (20,), generator=torch.Generator().manual_seed(0)).tolist()
    a.feed(prompt)
    b.feed(prompt)
    more = [65, 66, 67, 68, 69, 70]
    rows = a.lookahead(more)
    assert rows.shape == (len(more), model.cfg.vocab_size)
    assert a.tokens == prompt  # nothing appended
    stepped = torch.stack([b.step(t) for t in more])
    torch.testing.assert_close(rows, stepped, rtol=1e-5, atol=1e-5)
    # the pass left its keys in the cache: taking the tokens over, the next step agrees
    a.tokens.extend(more)
    torch.testing.assert_close(a.step(71), b.step(71), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("general", [False, True], ids=["fast", "general forward"])
def test_decoding_with_drafts_writes_the_same_tokens_in_fewer_passes(general, monkeypatch) -> None:
    model = tiny_model(seed=4)
    # a repetitive context, so the greedy continuation copies and drafts get taken
    context = list(b"abcdefgh abcdefgh abcdefgh abcdefgh abcdefgh ab")
    out = {}
    passes: dict[bool, int] = {}
    for on in (False, True):
        session = DecodeSession(model, 256)
        # drafts pay where a step is dear: the general forward, the eager torch step
        session.fast = None if general else FastStep(model)
        made: list[lookahead.Lookahead] = []
        monkeypatch.setattr(
            "aether_core.sampling.Lookahead",
            lambda s, made=made: made.append(lookahead.Lookahead(s)) or made[-1],
        )
        cfg = SamplingConfig(seed=0, lookahead=on)
        out[on] = list(stream(session, context, cfg, 60, stop_tokens=()))
        assert session.tokens == [*context, *out[on]]  # the cache holds what was written
        passes[on] = made[0].passes if made else len(out[on])
    assert out[True] == out[False]
    assert passes[True] < passes[False] * 0.6


def test_cheap_steps_decode_without_drafts() -> None:
    model = tiny_model(seed=5)
    session = DecodeSession(model, 64)
    assert isinstance(session.fast, NumpyStep) and not session.drafts  # a step costs little
    session.fast = CompiledStep.__new__(CompiledStep)  # its step costs less than a draft pass
    assert not session.drafts
    session.fast = FastStep(model)
    assert session.drafts
    session.fast = None
    assert session.drafts
