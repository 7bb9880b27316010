"""Differential attention: lambda = 0 is ordinary attention, the general formula, KV-cache use."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.model.attention import AttentionInput, KVCache, rope_tables
from aether_core.model.diff_attention import DiffSelfAttention, lambda_init_for
from aether_core.sampling import DecodeSession


def cfg(**kw) -> ModelConfig:
    base = dict(dim=32, n_layers=2, n_heads=4, max_seq_len=64, cross_attn=False, attention="diff")
    return ModelConfig(**{**base, **kw})


def setup(c: ModelConfig, T: int = 10):
    torch.manual_seed(0)
    attn = DiffSelfAttention(c, layer=1).eval()
    x = torch.randn(2, T, c.dim)
    cos, sin = rope_tables(c.head_dim, 64, 10000.0)
    return attn, x, cos[:T], sin[:T]


def test_lambda_init_schedule() -> None:
    assert lambda_init_for(0) == pytest.approx(0.2)
    assert lambda_init_for(1) == pytest.approx(0.8 - 0.6 * math.exp(-0.3))
    assert lambda_init_for(100) == pytest.approx(0.8)


@pytest.mark.parametrize("kv", [4, 2])
def test_lambda_zero_is_standard_attention_exactly(kv: int) -> None:
    c = cfg(n_kv_heads=kv)
    attn, x, cos, sin = setup(c)
    attn.lambda_override = 0.0
    q, k, v = attn.project(x, cos, sin)
    H, Hkv = c.n_heads, c.kv_heads
    standard = F.scaled_dot_product_attention(
        q[:, :H], k[:, :Hkv], v, is_causal=True, enable_gqa=H != Hkv
    )
    assert torch.equal(attn.differential(q, k, v, None, causal=True), standard)
    # and the whole layer is then: head norm of that, scaled by 1 - lambda_init, projected
    y = attn.sub_norm(standard) * (1 - attn.lambda_init)
    ref = attn.proj(y.transpose(1, 2).reshape(2, x.shape[1], -1))
    assert torch.equal(
        attn(x, AttentionInput(cos, sin, torch.arange(x.shape[1]), x.shape[1]), None), ref
    )


def test_general_lambda_matches_explicit_softmax_difference() -> None:
    c = cfg(n_kv_heads=2)
    attn, x, cos, sin = setup(c, T=7)
    q, k, v = attn.project(x, cos, sin)
    H, Hkv, hd = c.n_heads, c.kv_heads, c.head_dim
    rep = H // Hkv
    k1, k2 = k[:, :Hkv].repeat_interleave(rep, 1), k[:, Hkv:].repeat_interleave(rep, 1)
    v = v.repeat_interleave(rep, 1)
    causal = torch.ones(7, 7, dtype=torch.bool).tril()

    def softmax_map(qh, kh):
        s = (qh @ kh.transpose(-1, -2)) / math.sqrt(hd)
        return s.masked_fill(~causal, float("-inf")).softmax(-1)

    lam = (
        torch.exp(attn.lambda_q1 @ attn.lambda_k1)
        - torch.exp(attn.lambda_q2 @ attn.lambda_k2)
        + attn.lambda_init
    )
    ref = (softmax_map(q[:, :H], k1) - lam * softmax_map(q[:, H:], k2)) @ v
    q, k, v = attn.project(x, cos, sin)
    torch.testing.assert_close(
        attn.differential(q, k, v, None, causal=True), ref, atol=1e-5, rtol=1e-5
    )


def test_gradients_reach_lambda() -> None:
    attn, x, cos, sin = setup(cfg())
    attn.train()
    attn(
        x, AttentionInput(cos, sin, torch.arange(x.shape[1]), x.shape[1]), None
    ).square().mean().backward()
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0
        for p in (attn.lambda_q1, attn.lambda_k1, attn.lambda_q2, attn.lambda_k2)
    )


def test_cache_layout_stores_key_halves_as_heads() -> None:
    c = cfg(n_kv_heads=2)
    model = build_model(c).eval()
    cache = model.new_cache(1, 16)
    assert isinstance(cache, KVCache) and cache.layers[0].k.shape == (1, 4, 16, c.head_dim)
    toks = torch.randint(0, 256, (1, 5))
    with torch.no_grad():
        model(toks, input_pos=torch.arange(5), cache=cache)
    attn = model.blocks[0].attn
    x = model.blocks[0].norm1(model.embed(toks))
    _, k, v = attn.project(x, model.rope_cos[:5], model.rope_sin[:5])
    torch.testing.assert_close(cache.layers[0].k[:, :, :5], k)
    torch.testing.assert_close(cache.layers[0].v[:, :2, :5], v[..., : c.head_dim])
    torch.testing.assert_close(cache.layers[0].v[:, 2:, :5], v[..., c.head_dim :])


@pytest.mark.parametrize("kv", [None, 2])
def test_diff_transformer_cached_equals_full(kv: int | None) -> None:
    torch.manual_seed(1)
    model = build_model(cfg(n_kv_heads=kv, qk_norm=True)).eval()
    toks = torch.randint(0, 512, (1, 30))
    with torch.no_grad():
        full = model(toks)
        cache = model.new_cache(1, 40)
        parts, p = [], 0
        for s in (7, 8, 20, 30):
            parts.append(model(toks[:, p:s], input_pos=torch.arange(p, s), cache=cache))
            p = s
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-4, rtol=1e-4)
    # rewind through a DecodeSession: a diverging context reuses only the shared prefix
    session = DecodeSession(model, 40)
    session.feed(toks[0].tolist())
    other = toks[0, :12].tolist() + [65, 66, 67]
    got = session.feed(other)
    with torch.no_grad():
        want = model(torch.tensor([other]))[0, -1]
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
