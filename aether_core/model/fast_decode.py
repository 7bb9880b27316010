"""The one-token decode step of the flat ByteTransformer, with the per-step Python and dispatch
overhead taken out.

At the shipped model's size (2.3M parameters, 128 wide) a decode step is a few hundred tiny
tensor operations, and each costs more in dispatch than in arithmetic: the general forward
builds position tables, masks, dataclasses and 3-D views that a batch-1, one-token step with no
padding and no images never needs. :class:`FastStep` runs the same arithmetic with the same
kernels (``mm`` on the transposed weight is what ``F.linear`` calls; RoPE, RMSNorm and attention
are the same functions on the same values), so its logits equal the general path's, bit for bit
on CPU; it writes into the same :class:`~aether_core.model.attention.KVCache`, so prefill,
rewinding and choice scoring keep using the general forward.

What it does not cover falls back to the general forward (:func:`fast_step_for` returns None,
or :meth:`FastStep.applies` says no for this cache): other backbones, n-gram embeddings,
differential attention, training mode, caches holding padding or images.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .attention import KVCache

Matmul = Callable[[Tensor], Tensor]


def matmul_of(linear: nn.Module) -> Matmul:
    """``x [1, in] -> [1, out]`` for a bias-free linear layer: ``mm`` with the transposed
    weight (a view: no copy, and later in-place weight updates show through); a layer with its
    own decode kernel (``decode_matmul``, e.g. quantized weights) or any other module is called
    as it is."""
    own = getattr(linear, "decode_matmul", None)
    if own is not None:
        return own
    if type(linear) is nn.Linear and linear.bias is None:
        wt = linear.weight.t()
        return lambda x: torch.mm(x, wt)
    return linear


class _Layer:
    """One block's weights, unpacked once."""

    def __init__(self, block: nn.Module) -> None:
        attn = block.attn
        self.norm1, self.norm2 = block.norm1.weight, block.norm2.weight
        self.eps = block.norm1.eps
        self.qkv, self.proj = matmul_of(attn.qkv), matmul_of(attn.proj)
        self.w13, self.w2 = matmul_of(block.w13), matmul_of(block.w2)
        self.q_norm, self.k_norm = attn.q_norm, attn.k_norm
        self.heads, self.kv_heads, self.hd = attn.n_heads, attn.kv_heads, attn.head_dim
        self.gqa = attn.kv_heads != attn.n_heads


class FastStep:
    """``step(token, pos, cache) -> logits [V]`` for a ByteTransformer at batch 1."""

    # one eager torch step costs about half a 17-token pass (CPU; more so on a GPU, where
    # both are launch-bound): prompt-lookup drafts (lookahead.py) save passes
    drafts_pay = True

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.layers = [_Layer(b) for b in model.blocks]
        self.dim = model.cfg.dim
        self.embed = model.embed.weight
        self.norm, self.eps = model.norm.weight, model.norm.eps
        self.head = matmul_of(model.head) if model.head is not None else matmul_of_tied(self.embed)
        self._rope_key: Tensor | None = None
        self._rope_tables = (torch.empty(0), torch.empty(0))

    def rope_tables(self, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
        """The model's RoPE tables in ``dtype`` (as apply_rope casts them), the sine's first
        half negated: ``x.roll(hd/2) * sin`` is then apply_rope's ``cat([-x2, x1]) * sin``,
        bit for bit (a product's sign is exact), in one op instead of four. Rebuilt when the
        model rebuilds its tables (``reset_buffers``)."""
        cos, sin = self.model.rope_cos, self.model.rope_sin
        if self._rope_key is not sin or self._rope_tables[0].dtype != dtype:
            signed = sin.to(dtype).clone()
            signed[:, : signed.shape[1] // 2].neg_()
            self._rope_key, self._rope_tables = sin, (cos.to(dtype), signed)
        return self._rope_tables

    def applies(self, cache: KVCache) -> bool:
        """One row, no padding written and no images cached: the general forward would build no
        mask and skip cross-attention, as this step does (and no dropout: eval mode)."""
        if self.model.training or cache.batch != 1 or cache.has_padding:
            return False
        mask = cache.vision_mask
        return mask is None or (cache.vision_len > 0 and not bool(mask.any()))

    def step(self, token: int, p: int, pos: Tensor, cache: KVCache) -> Tensor:
        """Append ``token`` at position ``p`` (``pos``: the same as a one-element tensor) and
        return the logits after it, [V]."""
        return self.run(self.embed[token : token + 1], p, pos, cache)[0]

    def extend(
        self, tokens: Tensor, p: int, pos: Tensor, cache: KVCache, last_only: bool = False
    ) -> Tensor:
        """Write several tokens ([k] ids) at positions ``p``.. (``pos``: those k positions, a
        tensor) and return the logits after each, [k, V] (a draft checked in one pass), or after
        the last only, [1, V] (a prefill)."""
        return self.run(self.embed.index_select(0, tokens), p, pos, cache, last_only)

    def run(
        self, x: Tensor, p: int, pos: Tensor, cache: KVCache, last_only: bool = False
    ) -> Tensor:
        """Embedded tokens ``x`` [k, d] through the blocks into the cache: logits [k, V]."""
        k, d = x.shape[0], self.dim
        end = p + k
        cos, sin = self.rope_tables(x.dtype)
        cos, sin = cos[p:end], sin[p:end]
        # a token sees the cache and the new tokens up to itself (one token: everything)
        mask = None if k == 1 else _causal_tail(k, end, x.device)
        for layer, lc in zip(self.layers, cache.layers, strict=True):
            h = F.rms_norm(x, (d,), layer.norm1, layer.eps)
            y = _attend(layer, layer.qkv(h), cos, sin, pos, lc.k, lc.v, end, mask)
            x = x + layer.proj(y)
            gate, up = layer.w13(F.rms_norm(x, (d,), layer.norm2, layer.eps)).chunk(2, dim=-1)
            x = x + layer.w2(F.silu(gate) * up)
        if last_only:
            x = x[-1:]
        return self.head(F.rms_norm(x, (d,), self.norm, self.eps))


def _causal_tail(k: int, end: int, device: torch.device) -> Tensor:
    """[k, end] bool: the last k of ``end`` positions each attend to every position up to its own."""
    return torch.ones(k, end, dtype=torch.bool, device=device).tril(end - k)


def _attend(
    layer: _Layer, qkv: Tensor, cos: Tensor, sin: Tensor, pos: Tensor, k_cache: Tensor,
    v_cache: Tensor, end: int, mask: Tensor | None,
) -> Tensor:  # fmt: skip
    """Self-attention of k new tokens: RoPE on their queries and keys (together, one set of
    ops), their keys and values written at ``pos``, attention over keys 0..end-1 (``mask``: which
    of them each query sees; None: all). Returns [k, H*hd]."""
    h, kvh, hd = layer.heads, layer.kv_heads, layer.hd
    n = qkv.shape[0]
    qkv = qkv.view(n, h + 2 * kvh, hd).transpose(0, 1)  # [heads, k, hd]
    qk, v = qkv.split((h + kvh, kvh))
    if layer.q_norm is not None:
        q, k = qk.split((h, kvh))
        qk = torch.cat([layer.q_norm(q), layer.k_norm(k)])
    qk = qk * cos + qk.roll(hd // 2, -1) * sin  # apply_rope's arithmetic (its sin: signed)
    q, k = qk.split((h, kvh))
    k_cache.index_copy_(2, pos, k.reshape(1, kvh, n, hd))
    v_cache.index_copy_(2, pos, v.reshape(1, kvh, n, hd))
    y = F.scaled_dot_product_attention(
        q.reshape(1, h, n, hd),
        k_cache.narrow(2, 0, end),
        v_cache.narrow(2, 0, end),
        attn_mask=mask,
        enable_gqa=layer.gqa,
    )
    return y[0].transpose(0, 1).reshape(n, h * hd)


def matmul_of_tied(embed: Tensor) -> Matmul:
    """The output layer of tied embeddings: logits = x @ E^T."""
    et = embed.t()
    return lambda x: torch.mm(x, et)


def fast_step_for(model: nn.Module, compile: bool = False) -> FastStep | None:
    """The fast step for ``model`` (compiled: model/compiled_decode.py, where it can be), or
    None where only the general forward is right."""
    from .transformer import ByteTransformer

    if not isinstance(model, ByteTransformer) or model.training:
        return None
    if model.ngram is not None or model.cfg.attention != "standard":
        return None
    step = FastStep(model)
    from .numpy_decode import NumpyStep

    if NumpyStep.supports(model):  # CPU fp32: numpy's smaller per-operation cost
        step = NumpyStep(model, step)  # type: ignore[assignment]
    if compile:
        from .compiled_decode import CompiledStep

        if CompiledStep.supports(model):
            return CompiledStep(model, step)  # type: ignore[return-value]
    return step
