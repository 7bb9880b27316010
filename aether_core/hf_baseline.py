"""The reference point of ``aether bench decode --compare-hf``: a Hugging Face
``LlamaForCausalLM`` of the same shape (width, layers, heads, KV heads, feed-forward width,
vocabulary, RoPE base, tied embeddings), random weights, fp32, batch 1, decoding greedily with its
own KV cache on the same prompt, timed the same way as Aether's cached steps.

``transformers`` is optional: without it the comparison says so in one line.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from .config import ModelConfig
from .errors import AetherError


@dataclass(frozen=True)
class HfDecode:
    params: int
    prefill_s: float
    cached_bytes_per_s: float
    cached_bytes_per_cpu_s: float  # per second of this thread's CPU time


def llama_like(cfg: ModelConfig):
    """A random-weight LlamaForCausalLM shaped like ``cfg`` (eval mode, fp32, CPU)."""
    try:
        from transformers import LlamaConfig, LlamaForCausalLM
    except ImportError:
        raise AetherError("--compare-hf needs transformers: pip install transformers") from None
    hf = LlamaConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.dim,
        intermediate_size=cfg.ffn_dim,
        num_hidden_layers=cfg.n_layers,
        num_attention_heads=cfg.n_heads,
        num_key_value_heads=cfg.kv_heads,
        max_position_embeddings=cfg.max_seq_len,
        rms_norm_eps=cfg.norm_eps,
        rope_theta=cfg.rope_theta,
        tie_word_embeddings=cfg.tie_embeddings,
        attention_bias=False,
        mlp_bias=False,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(hf).eval()


@torch.inference_mode()
def bench_hf_decode(
    cfg: ModelConfig, prompt: list[int], new_bytes: int, rounds: int = 3
) -> HfDecode:
    """Prefill ``prompt``, then ``new_bytes`` greedy one-token steps with the model's cache;
    the best of ``rounds`` rounds (as Aether's figure is)."""
    model = llama_like(cfg)
    ids = torch.tensor([prompt])
    model(input_ids=ids[:, :64], use_cache=True)  # warm-up
    prefill, rate, cpu_rate = float("inf"), 0.0, 0.0
    for _ in range(max(1, rounds)):
        t0 = time.perf_counter()
        out = model(input_ids=ids, use_cache=True)
        prefill = min(prefill, time.perf_counter() - t0)
        key = "cache" if "cache" in out else "past_key_values"  # transformers 5.x: cache
        cache, tok = out[key], torch.tensor([[65]])
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(new_bytes):
            out = model(input_ids=tok, use_cache=True, **{key: cache})
            cache = out[key]
            tok = out.logits[:, -1:].argmax(-1)
        rate = max(rate, new_bytes / (time.perf_counter() - t0))
        cpu_rate = max(cpu_rate, new_bytes / max(time.thread_time() - c0, 1e-9))
    return HfDecode(sum(p.numel() for p in model.parameters()), prefill, rate, cpu_rate)
