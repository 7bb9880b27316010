"""The one-token decode step as one static-shape graph, compiled with torch.compile (inductor),
as gpt-fast does: ``--compile`` of ``aether ask``, ``serve``, the TUI and ``bench``.

Every shape is fixed: the query attends over the cache's whole length with a mask of the
positions written so far (``keys <= pos``), and the token and position come in as one-element
tensors, so one compiled graph serves every step of a session. Inductor fuses the small
operations of a block into a few C++ loops; the C++ wrapper (``cpp_wrapper``) calls them without
Python in between (on CUDA the step replays as a CUDA graph). For narrow models the matrix-vector products are written as a multiply and a
sum, which inductor fuses with their neighbours instead of calling a BLAS kernel per product; wider
ones keep ``F.linear``. The first compile takes tens of seconds (inductor's cache keeps it for
later runs), which is why it is opt-in.

The logits match the eager step to float rounding (the masked attention sums over more, zero,
terms), not bit for bit; greedy answers of the shipped model are the same (README, Benchmarks).
"""

from __future__ import annotations

import sys
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .attention import KVCache

FUSED_MATVEC_MAX_DIM = 256  # up to this width a product is fused (a multiply and a sum)


class DecodeStep(Protocol):
    """What a session steps with (fast_decode.FastStep, numpy_decode.NumpyStep, or this
    module's CompiledStep)."""

    drafts_pay: bool  # whether prompt-lookup drafts (lookahead.py) save time with this step

    def applies(self, cache: KVCache) -> bool: ...

    def step(self, token: int, p: int, pos: Tensor, cache: KVCache) -> Tensor: ...

    def extend(
        self, tokens: Tensor, p: int, pos: Tensor, cache: KVCache, last_only: bool = False
    ) -> Tensor: ...


def _matvec(x: Tensor, w: Tensor, fused: bool) -> Tensor:
    return (x[:, None, :] * w).sum(-1) if fused else F.linear(x, w)


class CompiledStep:
    """``step(token, pos, pos_tensor, cache) -> logits [V]`` through a compiled static graph;
    the eager step (fast_decode.FastStep) covers what it cannot."""

    drafts_pay = False  # a compiled step costs less than an eager several-token pass

    def __init__(self, model: nn.Module, eager: DecodeStep) -> None:
        self.model, self.eager = model, eager
        cfg = model.cfg
        self.fused = cfg.dim <= FUSED_MATVEC_MAX_DIM
        self._tok = torch.zeros(1, dtype=torch.long, device=model.embed.weight.device)
        self._pos = torch.zeros_like(self._tok)
        # CPU: a C++ wrapper calls the kernels; CUDA: the step replays as a CUDA graph
        on_cuda = self._tok.device.type == "cuda"
        options = {"triton.cudagraphs": True} if on_cuda else {"cpp_wrapper": True}
        self._compiled = torch.compile(self._graph, fullgraph=True, dynamic=False, options=options)
        self.failed: str | None = None  # why compiling failed (then every step is eager)

    @staticmethod
    def supports(model: nn.Module) -> bool:
        """Float weights only: packed int8/float16 layers run their own kernels eagerly."""
        return all(type(m) is nn.Linear for b in model.blocks for m in block_linears(b))

    def applies(self, cache: KVCache) -> bool:
        return self.eager.applies(cache)

    def step(self, token: int, p: int, pos: Tensor, cache: KVCache) -> Tensor:
        if self.failed is None and not cache.is_view:
            self._tok.fill_(token)
            self._pos.fill_(p)
            try:
                return self._compiled(self._tok, self._pos, cache.layers)
            except Exception as e:  # no C++ compiler, an inductor bug: decode on, eagerly
                self.failed = f"{type(e).__name__}: {e}".splitlines()[0][:200]
                print(f"aether: compiled decoding failed ({self.failed}); eager", file=sys.stderr)
        return self.eager.step(token, p, pos, cache)

    def extend(
        self, tokens: Tensor, p: int, pos: Tensor, cache: KVCache, last_only: bool = False
    ) -> Tensor:
        """Drafts run eagerly: one graph per draft length would cost a compile each."""
        return self.eager.extend(tokens, p, pos, cache, last_only)

    def _graph(self, tok: Tensor, pos: Tensor, layers: list) -> Tensor:
        model, fused = self.model, self.fused
        cfg = model.cfg
        d, h, kvh, hd = cfg.dim, cfg.n_heads, cfg.kv_heads, cfg.head_dim
        x = F.embedding(tok, model.embed.weight)
        cos = model.rope_cos.index_select(0, pos).to(x.dtype)
        sin = model.rope_sin.index_select(0, pos).to(x.dtype)
        sign = torch.cat([-torch.ones(hd // 2), torch.ones(hd // 2)]).to(x)
        for block, lc in zip(model.blocks, layers, strict=True):
            attn = block.attn
            hx = F.rms_norm(x, (d,), block.norm1.weight, block.norm1.eps)
            qkv = _matvec(hx, attn.qkv.weight, fused).view(h + 2 * kvh, hd)
            qk, v = qkv.split((h + kvh, kvh))
            if attn.q_norm is not None:
                q, k = qk.split((h, kvh))
                qk = torch.cat([attn.q_norm(q), attn.k_norm(k)])
            qk = qk * cos + qk.roll(hd // 2, -1) * (sin * sign)
            q, k = qk.split((h, kvh))
            lc.k.index_copy_(2, pos, k.view(1, kvh, 1, hd))
            lc.v.index_copy_(2, pos, v.view(1, kvh, 1, hd))
            keys, vals = lc.k[0], lc.v[0]  # [kvh, L, hd]
            if kvh != h:
                keys = keys.repeat_interleave(h // kvh, 0)
                vals = vals.repeat_interleave(h // kvh, 0)
            seen = torch.arange(keys.shape[1], device=pos.device) <= pos
            scores = (q[:, None, :] * keys).sum(-1) * hd**-0.5  # [h, L]
            probs = torch.softmax(scores.masked_fill(~seen, float("-inf")), -1)
            y = (probs[:, :, None] * vals).sum(1).view(1, d)
            x = x + _matvec(y, attn.proj.weight, fused)
            hx = F.rms_norm(x, (d,), block.norm2.weight, block.norm2.eps)
            gate, up = _matvec(hx, block.w13.weight, fused).chunk(2, dim=-1)
            x = x + _matvec(F.silu(gate) * up, block.w2.weight, fused)
        x = F.rms_norm(x, (d,), model.norm.weight, model.norm.eps)
        head = model.embed.weight if model.head is None else model.head.weight
        return _matvec(x, head, fused)[0]


def block_linears(block: nn.Module) -> list[nn.Module]:
    return [block.attn.qkv, block.attn.proj, block.w13, block.w2]
