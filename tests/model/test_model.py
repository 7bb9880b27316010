"""ByteTransformer: the KV-cache path must reproduce the full forward pass exactly, with padding,
vision tokens, chunked prefill, GQA and QK-norm; DecodeSession must reuse and rewind its cache."""

from __future__ import annotations

import pytest
import torch

from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.model.attention import attention_mask
from aether_core.sampling import DecodeSession
from aether_core.vocab import Tok
from tests.core.helpers import tiny_config, tiny_model

ATOL = 1e-5


def rand_tokens(batch: int, length: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 512, (batch, length), generator=g)


def rand_images(batch: int, n: int = 1, seed: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(batch, n, 3, 64, 64, generator=g)


@torch.no_grad()
def cached_logits(model, tokens, chunks, key_valid=None, vision=None, vision_mask=None):
    """Run ``tokens`` through a fresh cache in chunks of the given sizes (vision only with the
    first chunk, as the agent does); return the concatenated logits [B, T, V]."""
    B, T = tokens.shape
    assert sum(chunks) == T
    cache = model.new_cache(B, T + 3)
    out, pos = [], 0
    for i, n in enumerate(chunks):
        kv = None if key_valid is None else key_valid[:, pos : pos + n]
        out.append(
            model(
                tokens[:, pos : pos + n],
                input_pos=torch.arange(pos, pos + n),
                cache=cache,
                key_valid=kv,
                vision=vision if i == 0 else None,
                vision_mask=vision_mask if i == 0 else None,
            )
        )
        pos += n
    return torch.cat(out, dim=1)


CHUNKINGS = {
    "whole": [40],
    "decode only": [1] * 40,
    "prefill then decode": [25] + [1] * 15,
    "uneven chunks then decode": [7, 13, 1, 5, 2] + [1] * 12,
}


@pytest.mark.parametrize("chunks", list(CHUNKINGS.values()), ids=list(CHUNKINGS))
def test_cached_equals_full_batch1(model, chunks):
    tokens = rand_tokens(1, 40)
    with torch.no_grad():
        full = model(tokens)
    assert full.shape == (1, 40, 512)
    got = cached_logits(model, tokens, chunks)
    torch.testing.assert_close(got, full, atol=ATOL, rtol=0)


CONFIGS = {
    "gqa": {},
    "mqa": {"n_kv_heads": 1},
    "mha": {"n_kv_heads": None},
    "gqa+qk_norm": {"qk_norm": True},
    "untied head, cross every 2nd layer": {"tie_embeddings": False, "cross_attn_every": 2},
    "hashed n-gram embeddings": {"ngram_sizes": (2, 3, 5), "ngram_table": 64},
}


@pytest.mark.parametrize("overrides", list(CONFIGS.values()), ids=list(CONFIGS))
def test_cached_equals_full_configs(overrides):
    model = tiny_model(seed=3, **overrides)
    tokens = rand_tokens(2, 40)
    with torch.no_grad():
        full = model(tokens)
    got = cached_logits(model, tokens, CHUNKINGS["uneven chunks then decode"])
    torch.testing.assert_close(got, full, atol=ATOL, rtol=0)


def test_ngram_embeddings_change_the_model():
    plain, grams = tiny_model(seed=3), tiny_model(seed=3, ngram_sizes=(2, 3), ngram_table=64)
    assert plain.ngram is None and grams.ngram.table.weight.shape == (2 * 64, 64)
    tokens = rand_tokens(1, 12)
    with torch.no_grad():
        for p in grams.ngram.parameters():
            p.normal_(std=0.5)  # make them matter
        assert not torch.allclose(plain(tokens), grams(tokens), atol=1e-3)


def test_qk_norm_and_gqa_change_the_model():
    # guard against the options being silently ignored
    base = tiny_model(seed=3, n_kv_heads=2)
    assert base.blocks[0].attn.q_norm is None
    normed = tiny_model(seed=3, qk_norm=True)
    assert normed.blocks[0].attn.q_norm is not None
    kv_width = base.blocks[0].attn.qkv.weight.shape[0]
    assert kv_width == (4 + 2 * 2) * 16
    assert tiny_model(n_kv_heads=None).blocks[0].attn.qkv.weight.shape[0] == 3 * 64
    tokens = rand_tokens(1, 10)
    with torch.no_grad():
        for blk in normed.blocks:  # make the norm weights matter
            blk.attn.q_norm.weight.fill_(3.0)
        assert not torch.allclose(base(tokens), normed(tokens), atol=1e-3)


def left_padded(n_pad: int, length: int = 40):
    tokens = rand_tokens(2, length)
    key_valid = torch.ones(2, length, dtype=torch.bool)
    tokens[1, :n_pad] = Tok.PAD
    key_valid[1, :n_pad] = False
    return tokens, key_valid


@pytest.mark.parametrize("chunks", [[40], [20] + [1] * 20, [3, 9, 8] + [1] * 20])
def test_left_padding_cached_equals_full(model, chunks):
    tokens, key_valid = left_padded(12)
    with torch.no_grad():
        full = model(tokens, key_valid=key_valid)
    got = cached_logits(model, tokens, chunks, key_valid=key_valid)
    valid = key_valid[:, :, None].expand_as(full)
    torch.testing.assert_close(got[valid], full[valid], atol=ATOL, rtol=0)
    assert torch.isfinite(got).all() and torch.isfinite(full).all()  # padding rows: no NaN


def test_left_padding_is_invisible(model):
    """A left-padded row gives the same logits as the same tokens alone (RoPE is relative), and
    the unpadded row is unaffected by its neighbour."""
    n_pad = 12
    tokens, key_valid = left_padded(n_pad)
    with torch.no_grad():
        batch = model(tokens, key_valid=key_valid)
        alone1 = model(tokens[1:, n_pad:])
        alone0 = model(tokens[:1])
        # sanity: the pad tokens would change the result if they were attended to
        unmasked = model(tokens[1:])
    torch.testing.assert_close(batch[1, n_pad:], alone1[0], atol=1e-4, rtol=0)
    torch.testing.assert_close(batch[0], alone0[0], atol=ATOL, rtol=0)
    assert (unmasked[0, n_pad:] - alone1[0]).abs().max() > 1e-3


def test_attention_mask_shapes_and_self_slot():
    pos = torch.arange(2, 5)
    m = attention_mask(pos, 5, None)
    assert m.shape == (1, 1, 3, 5)
    assert m[0, 0].tolist() == [
        [True, True, True, False, False],
        [True, True, True, True, False],
        [True, True, True, True, True],
    ]
    assert attention_mask(torch.tensor([4]), 5, None) is None
    valid = torch.tensor([[False, False, True, True, True]])
    m = attention_mask(torch.arange(5), 5, valid)
    assert m.shape == (1, 1, 5, 5)
    # padded queries see only themselves; real queries never see padding
    assert m[0, 0, 0].tolist() == [True, False, False, False, False]
    assert m[0, 0, 4].tolist() == [False, False, True, True, True]


# ------------------------------------------------------------------------------ vision
@pytest.mark.parametrize("chunks", [[40], [16, 1, 7] + [1] * 16])
def test_vision_cached_equals_full(model, chunks):
    tokens = rand_tokens(2, 40)
    with torch.no_grad():
        vision, vmask = model.encode_images(rand_images(2))
        full = model(tokens, vision=vision, vision_mask=vmask)
        blind = model(tokens)
    assert vision.shape == (2, 8, 64) and vmask.shape == (2, 8) and vmask.all()
    assert (full - blind).abs().max() > 1e-3  # the image matters
    got = cached_logits(model, tokens, chunks, vision=vision, vision_mask=vmask)
    torch.testing.assert_close(got, full, atol=ATOL, rtol=0)


def test_vision_mask_defaults_to_all_visible(model):
    tokens = rand_tokens(1, 12)
    with torch.no_grad():
        vision, vmask = model.encode_images(rand_images(1))
        torch.testing.assert_close(
            model(tokens, vision=vision), model(tokens, vision=vision, vision_mask=vmask)
        )


def test_image_mask_one_row_without_image(model):
    tokens = rand_tokens(2, 40)
    images = rand_images(2, n=2)
    image_mask = torch.tensor([[True, False], [False, False]])
    with torch.no_grad():
        vision, vmask = model.encode_images(images, image_mask)
        assert vmask.shape == (2, 16)
        assert vmask[0, :8].all() and not vmask[0, 8:].any() and not vmask[1].any()
        full = model(tokens, vision=vision, vision_mask=vmask)
        blind = model(tokens)
        only_first = model(tokens[:1], vision=vision[:1, :8])
    # the row with no image is exactly the no-vision result; the other sees only its one image
    torch.testing.assert_close(full[1], blind[1], atol=1e-6, rtol=0)
    torch.testing.assert_close(full[0], only_first[0], atol=ATOL, rtol=0)
    assert (full[0] - blind[0]).abs().max() > 1e-3
    got = cached_logits(model, tokens, [10, 5] + [1] * 25, vision=vision, vision_mask=vmask)
    torch.testing.assert_close(got, full, atol=ATOL, rtol=0)


def test_vision_with_padding_cached_equals_full(model):
    tokens, key_valid = left_padded(9)
    with torch.no_grad():
        vision, vmask = model.encode_images(rand_images(2), torch.tensor([[True], [False]]))
        full = model(tokens, key_valid=key_valid, vision=vision, vision_mask=vmask)
    got = cached_logits(model, tokens, [15] + [1] * 25, key_valid, vision, vmask)
    valid = key_valid[:, :, None].expand_as(full)
    torch.testing.assert_close(got[valid], full[valid], atol=ATOL, rtol=0)


def count_cross_calls(model) -> tuple[list[int], list]:
    calls = [0]
    handles = [
        blk.cross.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
        for blk in model.blocks
        if blk.cross is not None
    ]
    return calls, handles


def test_cross_attention_skipped_without_vision(model):
    tokens = rand_tokens(1, 20)
    calls, handles = count_cross_calls(model)
    try:
        with torch.no_grad():
            model(tokens)
            cached_logits(model, tokens, [10] + [1] * 10)
            assert calls[0] == 0
            vision, _ = model.encode_images(rand_images(1))
            model(tokens, vision=vision)
            assert calls[0] == 2  # one per layer
    finally:
        for h in handles:
            h.remove()


def test_no_vision_equals_model_without_cross_attention(model):
    plain = build_model(tiny_config(cross_attn=False)).eval()
    assert plain.vit is None and all(blk.cross is None for blk in plain.blocks)
    missing, unexpected = plain.load_state_dict(model.state_dict(), strict=False)
    assert not missing and unexpected  # only the cross/ViT weights are left over
    assert all(k.startswith("vit.") or ".cross." in k or ".norm_c." in k for k in unexpected)
    tokens = rand_tokens(2, 30)
    with torch.no_grad():
        torch.testing.assert_close(model(tokens), plain(tokens), atol=0, rtol=0)
    with pytest.raises(ValueError, match="no vision encoder"):
        plain.encode_images(rand_images(1))


def test_last_only(model):
    tokens = rand_tokens(2, 25)
    with torch.no_grad():
        full = model(tokens)
        last = model(tokens, last_only=True)
        assert last.shape == (2, 1, 512)
        torch.testing.assert_close(last, full[:, -1:], atol=ATOL, rtol=0)
        cache = model.new_cache(2, 30)
        last_c = model(tokens, input_pos=torch.arange(25), cache=cache, last_only=True)
        torch.testing.assert_close(last_c, full[:, -1:], atol=ATOL, rtol=0)


def test_exceeding_max_seq_len(model):
    with pytest.raises(ValueError, match="max_seq_len 128"):
        model(rand_tokens(1, 129))
    cache = model.new_cache(1)
    assert cache.max_len == 128
    with pytest.raises(ValueError, match="max_seq_len"):
        model(rand_tokens(1, 1), input_pos=torch.tensor([128]), cache=cache)
    with torch.no_grad():
        assert model(rand_tokens(1, 128)).shape == (1, 128, 512)  # exactly at the limit is fine
    assert model.new_cache(1, 10_000).max_len == 128


def test_exceeding_cache_length(model):
    cache = model.new_cache(1, 16)
    with pytest.raises(ValueError, match="cache"):
        model(rand_tokens(1, 1), input_pos=torch.tensor([20]), cache=cache)


def test_training_forward_has_gradients(model):
    model.train()
    tokens = rand_tokens(2, 16)
    loss = model(tokens[:, :-1]).flatten(0, 1).log_softmax(-1).mean()
    loss.backward()
    assert model.embed.weight.grad is not None and model.embed.weight.grad.norm() > 0
    assert model.num_params() > model.num_params(include_vision=False) > 0


# ------------------------------------------------------------------------------ DecodeSession
def session_logits(model, tokens, max_len=100):
    return DecodeSession(model, max_len).feed(tokens)


def test_session_feed_matches_full_forward(model):
    toks = rand_tokens(1, 30)[0].tolist()
    with torch.no_grad():
        full = model(torch.tensor([toks]))[0, -1]
    torch.testing.assert_close(session_logits(model, toks), full, atol=ATOL, rtol=0)


def count_tokens_run(model) -> tuple[list[int], object]:
    seen: list[int] = []
    handle = model.register_forward_pre_hook(lambda _m, args: seen.append(args[0].shape[1]))
    return seen, handle


def test_session_prefix_reuse_and_rewind(model):
    all_toks = rand_tokens(1, 60)[0].tolist()
    a, b, c = all_toks[:25], all_toks[25:40], all_toks[40:]
    s = DecodeSession(model, 100)
    s.fast = None  # the hook counts the general forward's tokens (the fast pass bypasses it)
    seen, handle = count_tokens_run(model)
    try:
        s.feed(a)
        assert seen == [25]
        got = s.feed(a + b)  # extends the cached context: only B is run
        assert seen == [25, 15]
        torch.testing.assert_close(got, session_logits(model, a + b), atol=ATOL, rtol=0)
        # diverge after A: rewind to the shared prefix and run only the new part
        got = s.feed(a + c)
        assert seen[-1] == len(c)
        torch.testing.assert_close(got, session_logits(model, a + c), atol=ATOL, rtol=0)
        # a strict prefix of what is cached: re-run just its last token
        got = s.feed(a[:10])
        assert seen[-1] == 1
        torch.testing.assert_close(got, session_logits(model, a[:10]), atol=ATOL, rtol=0)
        # the same context again
        got = s.feed(a[:10])
        torch.testing.assert_close(got, session_logits(model, a[:10]), atol=ATOL, rtol=0)
        # divergence at the very first token
        other = [(t + 1) % 256 for t in a]
        got = s.feed(other)
        assert seen[-1] == len(other)
        torch.testing.assert_close(got, session_logits(model, other), atol=ATOL, rtol=0)
        assert s.tokens == other
    finally:
        handle.remove()


def test_session_step_matches_feed(model):
    toks = rand_tokens(1, 20)[0].tolist()
    s = DecodeSession(model, 50)
    s.feed(toks[:10])
    for t in toks[10:]:
        logits = s.step(t)
    assert s.tokens == toks
    torch.testing.assert_close(logits, session_logits(model, toks), atol=ATOL, rtol=0)


def test_session_vision_key(model):
    toks = rand_tokens(1, 20)[0].tolist()
    with torch.no_grad():
        v1, _ = model.encode_images(rand_images(1, seed=5))
        v2, _ = model.encode_images(rand_images(1, seed=6))
        full1 = model(torch.tensor([toks]), vision=v1)[0, -1]
        full2 = model(torch.tensor([toks]), vision=v2)[0, -1]
        blind = model(torch.tensor([toks]))[0, -1]
        prefix1 = model(torch.tensor([toks[:12]]), vision=v1)[0, -1]
    s = DecodeSession(model, 50)
    s.fast = None  # the hook below counts the general forward's tokens
    torch.testing.assert_close(s.feed(toks[:12], v1, "img1"), prefix1, atol=ATOL, rtol=0)
    # extend with the same image set: cross K/V come from the cache
    torch.testing.assert_close(s.feed(toks, v1, "img1"), full1, atol=ATOL, rtol=0)
    # a different image set recomputes everything
    seen, handle = count_tokens_run(model)
    try:
        torch.testing.assert_close(s.feed(toks, v2, "img2"), full2, atol=ATOL, rtol=0)
        assert seen == [len(toks)]
        torch.testing.assert_close(s.feed(toks), blind, atol=ATOL, rtol=0)
        assert seen == [len(toks)] * 2
    finally:
        handle.remove()


def test_session_errors(model):
    s = DecodeSession(model, 16)
    assert s.max_len == 16
    with pytest.raises(ValueError, match="empty"):
        s.feed([])
    with pytest.raises(ValueError, match="exceeds the cache"):
        s.feed(list(range(17)))
    s.feed(list(range(16)))
    with pytest.raises(ValueError, match="context full"):
        s.step(1)
    assert DecodeSession(model, 10_000).max_len == 128


def test_build_model_rejects_bad_configs():
    from aether_core.config import ConfigError

    for bad in (
        {"dim": 63},
        {"n_kv_heads": 3},
        {"n_heads": 0},
        {"dim": 0},
        {"cross_attn_every": 0},
        {"n_kv_heads": 0},
        {"attention": "weird"},
        {"arch": "rnn"},
        {"dim": 12, "n_heads": 4},  # odd head dim
    ):
        with pytest.raises(ConfigError):
            ModelConfig(**{"dim": 64, "n_heads": 4, **bad})


@pytest.mark.parametrize("qk_norm", [True, False])
def test_qk_norm_makes_attention_scale_invariant(qk_norm):
    """With QK-norm, scaling the query and key projections changes nothing (both are normalized
    per head); without it, the same scaling sharpens attention and changes the logits."""
    model = tiny_model(seed=4, qk_norm=qk_norm)
    scaled = tiny_model(seed=4, qk_norm=qk_norm)
    q_rows, k_rows = 4 * 16, 2 * 16
    with torch.no_grad():
        for blk in scaled.blocks:
            w = blk.attn.qkv.weight
            w[:q_rows] *= 5.0
            w[q_rows : q_rows + k_rows] *= 3.0
        tokens = rand_tokens(1, 30)
        diff = (model(tokens) - scaled(tokens)).abs().max()
    if qk_norm:
        assert diff < 1e-4
    else:
        assert diff > 1e-3


def test_cache_reused_after_padding_forgets_it(model):
    """Rewinding a cache that held left padding and writing new tokens without key_valid makes
    those slots real again (the agent reuses one cache across requests)."""
    padded, key_valid = left_padded(10)
    fresh = rand_tokens(2, 30, seed=9)
    cache = model.new_cache(2, 40)
    with torch.no_grad():
        model(padded, input_pos=torch.arange(40), cache=cache, key_valid=key_valid)
        got = model(fresh, input_pos=torch.arange(30), cache=cache)
        want = model(fresh)
    torch.testing.assert_close(got, want, atol=ATOL, rtol=0)
