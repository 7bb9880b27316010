"""Sampling: seeds, greedy equivalences, repetition penalty, stop tokens and constraints."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aether_core.sampling import (
    DecodeSession,
    SamplingConfig,
    generate,
    make_generator,
    process_logits,
    sample_token,
)
from aether_core.vocab import Tok


def rand_logits(seed: int = 0, scale: float = 3.0) -> torch.Tensor:
    return torch.randn(512, generator=torch.Generator().manual_seed(seed)) * scale


# ------------------------------------------------------------------------------ sample_token
def test_temperature_zero_is_argmax():
    for seed in range(20):
        logits = rand_logits(seed)
        assert sample_token(logits, SamplingConfig(temperature=0.0)) == int(logits.argmax())
        assert sample_token(logits, SamplingConfig(temperature=-1.0)) == int(logits.argmax())


def test_temperature_scales_logits():
    logits = rand_logits(1)
    torch.testing.assert_close(process_logits(logits, SamplingConfig(temperature=2.0)), logits / 2)
    torch.testing.assert_close(process_logits(logits, SamplingConfig(temperature=0.5)), logits * 2)

    def entropy(t: float) -> float:
        p = torch.softmax(process_logits(logits, SamplingConfig(temperature=t)), -1)
        return float(-(p * p.clamp_min(1e-30).log()).sum())

    assert entropy(0.3) < entropy(1.0) < entropy(3.0)
    logits[7] = logits.max() + 1.0  # a clear winner: at T=0.05 the runner-up has p < e^-20
    g = make_generator(0)
    assert {sample_token(logits, SamplingConfig(temperature=0.05), g) for _ in range(50)} == {7}


def test_top_k_1_and_tiny_top_p_are_greedy():
    for seed in range(20):
        logits = rand_logits(seed, scale=0.5)  # flat enough that plain sampling rarely agrees
        best = int(logits.argmax())
        g = make_generator(seed)
        assert sample_token(logits, SamplingConfig(temperature=1.5, top_k=1), g) == best
        assert sample_token(logits, SamplingConfig(temperature=1.5, top_p=1e-6), g) == best
    logits = rand_logits(0, scale=0.5)
    g = make_generator(0)
    plain = {sample_token(logits, SamplingConfig(temperature=1.0), g) for _ in range(50)}
    assert len(plain) > 10  # without the filters it really does sample


def test_top_k_and_top_p_restrict_support():
    logits = rand_logits(3)
    top5 = set(torch.topk(logits, 5).indices.tolist())
    g = make_generator(1)
    got = {sample_token(logits, SamplingConfig(temperature=2.0, top_k=5), g) for _ in range(300)}
    assert got <= top5 and len(got) > 1
    # top-p keeps the smallest set whose mass reaches p
    probs = torch.softmax(logits, -1)
    order = probs.argsort(descending=True)
    cum = probs[order].cumsum(0)
    n_keep = int((cum < 0.5).sum()) + 1
    kept = process_logits(logits, SamplingConfig(temperature=1.0, top_p=0.5))
    assert set(torch.isfinite(kept).nonzero().flatten().tolist()) == set(order[:n_keep].tolist())


def test_same_seed_same_tokens_different_seed_differs():
    logits = rand_logits(0, scale=0.3)
    cfg = SamplingConfig(temperature=1.0)
    g1, g2, g3 = make_generator(42), make_generator(42), make_generator(43)
    a = [sample_token(logits, cfg, g1) for _ in range(30)]
    b = [sample_token(logits, cfg, g2) for _ in range(30)]
    c = [sample_token(logits, cfg, g3) for _ in range(30)]
    assert a == b and a != c


def test_repetition_penalty():
    logits = torch.zeros(512)
    logits[65], logits[66], logits[67] = 2.0, -1.0, 2.0
    cfg = SamplingConfig(temperature=1.0, repetition_penalty=2.0, repetition_window=4)
    out = process_logits(logits, cfg, history=[65, 66])
    assert out[65] == pytest.approx(1.0)  # positive logits divided
    assert out[66] == pytest.approx(-2.0)  # negative logits multiplied: both lower the token
    assert out[67] == pytest.approx(2.0)  # unseen: untouched
    p_plain = torch.softmax(process_logits(logits, SamplingConfig(temperature=1.0)), -1)
    p_pen = torch.softmax(out, -1)
    assert p_pen[65] < p_plain[65] and p_pen[66] < p_plain[66] and p_pen[67] > p_plain[67]
    # only the last ``repetition_window`` tokens count
    out = process_logits(logits, cfg, history=[65, 1, 2, 3, 4])
    assert out[65] == pytest.approx(2.0)
    # penalty 1.0 is a no-op
    out = process_logits(logits, SamplingConfig(temperature=1.0), history=[65, 66])
    assert torch.equal(out, logits)


def test_repetition_penalty_spares_special_tokens():
    # documented as "applied to byte tokens": EOS and role markers in the history must not make
    # the model less willing to end its message
    logits = torch.zeros(512)
    logits[Tok.EOS] = 3.0
    cfg = SamplingConfig(temperature=1.0, repetition_penalty=2.0)
    out = process_logits(logits, cfg, history=[Tok.USER, 104, Tok.EOS, Tok.ASSISTANT])
    assert out[Tok.EOS] == pytest.approx(3.0)


def test_constraint_mask_in_process_logits():
    logits = rand_logits(0)
    allowed = torch.zeros(512, dtype=torch.bool)
    allowed[[10, 20, 30]] = True
    out = process_logits(logits, SamplingConfig(temperature=0.0), allowed=allowed)
    assert torch.isinf(out[~allowed]).all() and torch.isfinite(out[allowed]).all()
    best_allowed = max((10, 20, 30), key=lambda t: float(logits[t]))
    assert best_allowed != int(logits.argmax())
    assert sample_token(logits, SamplingConfig(temperature=0.0), allowed=allowed) == best_allowed


def test_process_logits_does_not_modify_input():
    logits = rand_logits(0)
    before = logits.clone()
    process_logits(
        logits,
        SamplingConfig(temperature=0.5, top_k=3, top_p=0.5, repetition_penalty=1.5),
        history=[1, 2, 3],
    )
    assert torch.equal(logits, before)


# ------------------------------------------------------------------------------ scripted model
class ScriptedModel(nn.Module):
    """Stands in for the byte model: after position p, the next token is ``script[p + 1]``
    (a strongly peaked distribution), else a flat one. Records every call."""

    def __init__(self, script: dict[int, int] | None = None, peak: float = 50.0) -> None:
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))
        self.script = script or {}
        self.peak = peak
        self.calls: list[list[int]] = []

    def new_cache(self, batch, max_len=None, device=None, dtype=None):
        class Cache:
            pass

        c = Cache()
        c.max_len = max_len
        c.reset_vision = lambda: None
        return c

    def forward(self, tokens, *, input_pos, cache=None, vision=None, last_only=False, **_):
        self.calls.append(input_pos.tolist())
        positions = input_pos[-1:] if last_only else input_pos
        out = torch.zeros(tokens.shape[0], len(positions), 512)
        for i, p in enumerate(positions.tolist()):
            nxt = self.script.get(p + 1)
            if nxt is not None:
                out[:, i, nxt] = self.peak
        return out


def test_stops_on_eos_and_yields_it():
    script = {3: 65, 4: 66, 5: int(Tok.EOS), 6: 67}
    s = DecodeSession(ScriptedModel(script), 32)
    out = list(s.generate([1, 2, 3], SamplingConfig(temperature=0.0), 10))
    assert out == [65, 66, Tok.EOS]
    assert s.tokens == [1, 2, 3, 65, 66, Tok.EOS]  # the cache holds the stop token too


def test_stops_on_custom_stop_token():
    script = {3: 65, 4: ord("\n"), 5: 66}
    s = DecodeSession(ScriptedModel(script), 32)
    cfg = SamplingConfig(temperature=0.0)
    assert list(s.generate([1, 2, 3], cfg, 10, stop_tokens=[ord("\n")])) == [65, ord("\n")]
    s = DecodeSession(ScriptedModel({3: int(Tok.EOS), 4: 65}), 32)
    out = list(s.generate([1, 2, 3], cfg, 3, stop_tokens=()))  # EOS is not special here
    assert out[:2] == [Tok.EOS, 65] and len(out) == 3


def test_max_new_and_should_stop():
    s = DecodeSession(ScriptedModel({i: 70 for i in range(100)}), 64)
    cfg = SamplingConfig(temperature=0.0)
    assert list(s.generate([1], cfg, 5)) == [70] * 5
    calls = iter([False, False, True])
    assert list(s.generate([1], cfg, 50, should_stop=lambda: next(calls))) == [70, 70]
    # the context fills up: generation ends instead of overflowing the cache
    s = DecodeSession(ScriptedModel({i: 70 for i in range(100)}), 8)
    out = list(s.generate([1, 2, 3, 4, 5], cfg, 50))
    assert len(out) in (3, 4) and set(out) == {70} and len(s.tokens) <= 8


class OnlyThese:
    """A fake constraint: only the given tokens, done after ``n`` of them."""

    def __init__(self, tokens, n=None) -> None:
        self.mask = torch.zeros(512, dtype=torch.bool)
        self.mask[list(tokens)] = True
        self.n = n
        self.seen: list[int] = []

    def allowed(self):
        return self.mask

    def advance(self, token: int) -> None:
        self.seen.append(token)

    @property
    def done(self) -> bool:
        return self.n is not None and len(self.seen) >= self.n


def test_constraint_respected_in_generation(model):
    allowed = {ord("a"), ord("b"), ord("{")}
    c = OnlyThese(allowed)
    s = DecodeSession(model, 64)
    cfg = SamplingConfig(temperature=1.0, seed=0)
    out = list(s.generate([Tok.BOS, Tok.USER, 104, 105], cfg, 30, constraint=c, stop_tokens=()))
    assert len(out) == 30 and set(out) <= allowed and len(set(out)) > 1
    assert c.seen == out
    # done ends generation
    c = OnlyThese(allowed, n=4)
    out = list(s.generate([Tok.BOS], cfg, 30, constraint=c))
    assert len(out) == 4 and set(out) <= allowed


def test_constraint_overrides_scripted_peak():
    c = OnlyThese({80})
    s = DecodeSession(ScriptedModel({i: 70 for i in range(100)}), 32)
    assert list(s.generate([1], SamplingConfig(temperature=0.0), 3, constraint=c)) == [80] * 3


# ------------------------------------------------------------------------------ real model
def test_generate_seeded_reproducible(model):
    prompt = [Tok.BOS, Tok.USER, *b"hello", Tok.EOS, Tok.ASSISTANT]
    cfg = SamplingConfig(temperature=1.0, seed=7)
    a = generate(model, prompt, cfg, 20, stop_tokens=())
    b = generate(model, prompt, cfg, 20, stop_tokens=())
    c = generate(model, prompt, SamplingConfig(temperature=1.0, seed=8), 20, stop_tokens=())
    assert len(a) == 20 and a == b and a != c
    assert all(0 <= t < 512 for t in a)


def test_greedy_generation_matches_full_forward(model):
    prompt = [Tok.BOS, Tok.USER, *b"hi there", Tok.EOS, Tok.ASSISTANT]
    out = generate(model, prompt, SamplingConfig(temperature=0.0), 12, stop_tokens=())
    seq = list(prompt)
    with torch.no_grad():
        for _ in range(12):
            seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
    assert out == seq[len(prompt) :]
    # top_k=1 at a high temperature is the same greedy path
    assert generate(model, prompt, SamplingConfig(temperature=2.0, top_k=1), 12, ()) == out


# ------------------------------------------------------------------------------ choice points
class OfferOnce(OnlyThese):
    """A constraint with one choice point, before its first token."""

    def __init__(self, choices) -> None:
        super().__init__(range(512))
        self.offered = choices

    def choices(self):
        return None if self.seen else self.offered


def _score(model, prefix, option) -> float:
    """log p(option | prefix) by full forward passes (no cache)."""
    with torch.no_grad():
        lp = torch.log_softmax(model(torch.tensor([prefix + option]))[0].float(), -1)
    return sum(float(lp[len(prefix) - 1 + i, t]) for i, t in enumerate(option))


def test_a_choice_point_writes_the_likeliest_continuation_and_keeps_the_cache_right(model):
    from aether_core.sampling import Choice

    prompt = [Tok.BOS, Tok.USER, *b"look up red fox facts", Tok.EOS, Tok.ASSISTANT]
    text = tuple(b"red fox facts")
    offered = [Choice((), (0,), ord('"')), Choice(text, (3, 7, 13), ord('"')),
               Choice(text[4:], (3, 9), ord('"'))]  # fmt: skip
    options = [[ord('"')]] + [[*text[:e], ord('"')] for e in (3, 7, 13)]
    options += [[*text[4 : 4 + e], ord('"')] for e in (3, 9)]
    scores = [_score(model, prompt, o) / len(o) for o in options]  # per token
    s = DecodeSession(model, 64)
    c = OfferOnce(offered)
    out = list(
        s.generate(prompt, SamplingConfig(temperature=0.0), 20, constraint=c, stop_tokens=())
    )
    best = options[max(range(len(options)), key=scores.__getitem__)]
    assert out[: len(best)] == best and c.seen == out
    # after the choice the cache is the full context's: decoding goes on as a full forward would
    seq = prompt + out[: len(best)]
    with torch.no_grad():
        for _ in range(20 - len(best)):
            seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
    assert out == seq[len(prompt) :]


class GreedyFor(OfferOnce):
    """A choice point, then greedy (whatever the temperature) for the first ``k`` tokens."""

    def __init__(self, choices, k: int) -> None:
        super().__init__(choices)
        self.k = k

    def greedy(self) -> bool:
        return len(self.seen) < self.k


def test_where_the_constraint_says_greedy_a_hot_sample_writes_the_likeliest(model):
    from aether_core.sampling import Choice

    prompt = [Tok.BOS, Tok.USER, *b"hi", Tok.EOS, Tok.ASSISTANT]
    offered = [Choice(tuple(b"ab"), (1, 2), 0)]
    want = list(DecodeSession(model, 32).generate(
        prompt, SamplingConfig(temperature=0.0), 8, constraint=GreedyFor(offered, 8), stop_tokens=()
    ))  # fmt: skip
    hot = SamplingConfig(temperature=50.0)
    runs = []
    for i in range(6):
        for k in (8, 0):
            c = GreedyFor(offered, k)
            s = DecodeSession(model, 32)
            runs.append((k, list(s.generate(prompt, hot, 8, constraint=c, stop_tokens=(),
                                            generator=make_generator(i)))))  # fmt: skip
    assert all(out == want for k, out in runs if k == 8)  # the choice and the tokens after it
    assert any(out != want for k, out in runs if k == 0)  # sampled where it does not say so


def test_a_sampled_choice_follows_the_scores(model):
    from aether_core.sampling import Choice

    prompt = [Tok.BOS, Tok.USER, *b"hi", Tok.EOS, Tok.ASSISTANT]
    offered = [Choice(tuple(b"ab"), (1, 2), 0)]
    s = DecodeSession(model, 32)
    cfg = SamplingConfig(temperature=50.0)  # hot enough for either to come up in 40 draws
    picks = {tuple(s.choose(s.feed(prompt), offered, cfg, make_generator(i))) for i in range(40)}
    assert picks == {(97, 0), (97, 98, 0)}  # both options come up; nothing else does
    assert s.tokens == prompt  # choosing appends nothing


def test_a_choice_near_the_end_of_the_context_keeps_the_ends_that_fit(model):
    from aether_core.sampling import Choice

    prompt = [Tok.BOS, Tok.USER, *b"hi", Tok.EOS, Tok.ASSISTANT]  # 6 tokens of a 12-token cache
    s = DecodeSession(model, 12)
    offered = [Choice(tuple(b"abcdefgh"), (2, 5, 8), 0)]  # 8 bytes + close would not fit
    cfg = SamplingConfig(temperature=50.0)
    picks = {tuple(s.choose(s.feed(prompt), offered, cfg, make_generator(i))) for i in range(40)}
    assert picks == {(97, 98, 0), (97, 98, 99, 100, 101, 0)}  # the short ends stay on offer
    with pytest.raises(ValueError, match="no choice fits"):
        s.choose(s.feed(prompt), [Choice(tuple(b"abcdefgh"), (8,), 0)], cfg)


def test_choices_are_weighed_per_token_so_a_longer_span_is_not_charged_for_its_length(model):
    from aether_core.sampling import Choice

    class Weighs:  # fixed scores: "a" then close: -1.0 in all; "abc" then close: -1.6 in all
        def choice_logprobs(self, rows, tokens, close):
            assert len(rows) == len(tokens) + 1
            return torch.tensor([-0.5, -0.4, -0.4]), torch.tensor([-9.0, -0.5, -9.0, -0.3])

    prompt = [Tok.BOS, Tok.USER, *b"hi", Tok.EOS, Tok.ASSISTANT]
    s = DecodeSession(model, 32)
    cfg = SamplingConfig(temperature=0.0)
    got = s.choose(s.feed(prompt), [Choice(tuple(b"abc"), (1, 3), 0)], cfg, constraint=Weighs())
    assert got == [*b"abc", 0]  # -1.6 / 4 beats -1.0 / 2; summed, "a" would have won
