"""HierarchicalByteModel: local byte encoder -> global latent transformer over patches -> local
byte decoder (the BLT layout, Pagnoni et al. 2024).

Bytes are cheap to read with a small windowed model; the big model runs once per *patch* (a few
bytes, see ``patching.py``), which is where the compute saving comes from.

- Local encoder: byte + hashed n-gram embeddings, a few windowed causal attention layers.
- Pooling: each patch's query (the max-pool of its bytes) cross-attends to its bytes.
- Global: ``cfg.n_layers`` transformer blocks (cfg.dim, cfg.n_heads, optional differential
  attention) over ``[BOS-patch, patch_0, patch_1, ...]``; vision cross-attention lives here.
- Local decoder: byte t adds the global output at index j(t) = its own patch number, which has
  consumed exactly the patches *before* t's patch (complete when t arrives), cross-attends to the
  last ``cross_patches`` such outputs, and predicts byte t + 1. The current patch's global state is
  never used: that would need the global model to re-run on every byte and would leak the future.

Cached decoding keeps KV for all three parts, the encoder outputs of the open patch (to pool it
once it closes) and the patcher state at every position (to rewind). The global model runs only
on tokens that start a new patch, for the patch that just closed.
"""

from __future__ import annotations

from itertools import accumulate

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import ConfigError, ModelConfig
from .attention import (
    AttentionInput,
    CrossAttention,
    KVCache,
    LayerCache,
    RMSNorm,
    SelfAttention,
    attention_mask,
    init_linear,
    rope_tables,
)
from .entropy import entropy_model_config, logits_entropy, shift_entropies
from .gated_memory import GatedMemory
from .ngram import PAD_ID, HashNgramEmbedding
from .patching import Patcher, PatchState, boundaries
from .transformer import Block, ByteTransformer, vision_keys_values
from .vision import TinyPatchViT


def _ffn_dim(dim: int) -> int:
    return ((8 * dim // 3) + 63) // 64 * 64


def window_mask(q_pos: Tensor, lo: int, end: int, window: int) -> Tensor:
    """[1, 1, T, end - lo]: key k is visible from query q iff q - window < k <= q."""
    keys = torch.arange(lo, end, device=q_pos.device)
    m = (keys[None, :] <= q_pos[:, None]) & (keys[None, :] > q_pos[:, None] - window)
    return m[None, None]


class LocalAttention(SelfAttention):
    """Causal self-attention over the last ``a.window`` bytes; decode reads only that cache slice."""

    def forward(self, x: Tensor, a: AttentionInput, cache: LayerCache | None) -> Tensor:
        B, T, _ = x.shape
        q, k, v = self.project(x, a.cos, a.sin)
        window, start, lo = a.window, a.end - T, 0
        if cache is not None:
            lo = max(0, start - window + 1)
            k, v = cache.write(a.input_pos, k, v, lo, a.end)
        if T == 1:  # one query: every key in the slice is in its window
            y = self.attend(q, k, v, None, causal=False)
        elif cache is None and T <= window:
            y = self.attend(q, k, v, None, causal=True)
        else:
            y = self.attend(q, k, v, window_mask(a.input_pos, lo, a.end, window), causal=False)
        return self.proj(y.transpose(1, 2).reshape(B, T, -1))


class PatchCrossAttention(CrossAttention):
    """Bytes (queries) attend to global patch outputs (keys/values). Unlike vision
    cross-attention, which keys are visible depends on the query (its patch), so the mask is
    [B, 1, T, N] and there is no "no image" zeroing."""

    def forward(self, x: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> Tensor:  # type: ignore[override]
        B, T, _ = x.shape
        q = self.q(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(B, T, -1))


class LocalBlock(nn.Module):
    """Pre-norm windowed self-attention (+ cross-attention to patches in the decoder) + SwiGLU."""

    def __init__(self, dim: int, heads: int, eps: float, dropout: float, cross: bool) -> None:
        super().__init__()
        self.norm1 = RMSNorm(dim, eps)
        self.attn = LocalAttention(dim, heads, heads, False, dropout, eps)
        self.norm_c = RMSNorm(dim, eps) if cross else None
        self.cross = PatchCrossAttention(dim, heads, heads, eps) if cross else None
        self.norm2 = RMSNorm(dim, eps)
        self.w13 = nn.Linear(dim, 2 * _ffn_dim(dim), bias=False)
        self.w2 = nn.Linear(_ffn_dim(dim), dim, bias=False)
        self.drop = nn.Dropout(dropout)

    def forward(
        self,
        x: Tensor,
        a: AttentionInput,
        cache: LayerCache | None,
        cross_kv: tuple[Tensor, Tensor] | None = None,
        cross_mask: Tensor | None = None,
    ) -> Tensor:
        x = x + self.drop(self.attn(self.norm1(x), a, cache))
        if self.cross is not None and cross_kv is not None:
            x = x + self.drop(self.cross(self.norm_c(x), *cross_kv, cross_mask))
        gate, up = self.w13(self.norm2(x)).chunk(2, dim=-1)
        return x + self.drop(self.w2(F.silu(gate) * up))


class PatchPooler(nn.Module):
    """Patch vector = cross-attention from the patch's max-pooled bytes to its bytes, -> cfg.dim."""

    def __init__(self, dim: int, heads: int, out_dim: int, eps: float) -> None:
        super().__init__()
        self.n_heads, self.head_dim = heads, dim // heads
        self.norm_q, self.norm_kv = RMSNorm(dim, eps), RMSNorm(dim, eps)
        self.q = nn.Linear(dim, dim, bias=False)
        self.kv = nn.Linear(dim, 2 * dim, bias=False)
        self.proj = nn.Linear(dim, dim, bias=False)
        self.out = nn.Linear(dim, out_dim, bias=False)

    def forward(self, h: Tensor, starts: Tensor, lengths: Tensor) -> Tensor:
        """h [B, T, d] byte states; starts/lengths [B, P] (lengths >= 1) -> [B, P, out_dim]."""
        B, T, d = h.shape
        P, H, hd = starts.shape[1], self.n_heads, self.head_dim
        L = int(lengths.max())
        offs = torch.arange(L, device=h.device)
        idx = (starts[..., None] + offs).clamp(max=T - 1)  # [B, P, L]
        valid = offs < lengths[..., None]
        hb = h.gather(1, idx.view(B, P * L, 1).expand(-1, -1, d)).view(B, P, L, d)
        q0 = hb.masked_fill(~valid[..., None], float("-inf")).amax(2)  # [B, P, d]
        q = self.q(self.norm_q(q0)).view(B * P, 1, H, hd).transpose(1, 2)
        k, v = self.kv(self.norm_kv(hb)).view(B * P, L, 2, H, hd).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=valid.view(B * P, 1, 1, L))
        y = self.proj(y.transpose(1, 2).reshape(B, P, d)) + q0
        return self.out(y)


class HierCache:
    """Everything incremental decoding needs (batch 1); rewinding = :meth:`truncate`."""

    def __init__(
        self,
        model: HierarchicalByteModel,
        max_len: int,
        device: torch.device | str,
        dtype: torch.dtype,
        vision_len: int = 0,
    ) -> None:
        cfg, h = model.cfg, model.cfg.hier
        d, heads = h.local_dim, h.local_heads
        self.max_len = max_len
        self.enc = KVCache(h.encoder_layers, 1, max_len, heads, d // heads, device, dtype)
        self.dec = KVCache(h.decoder_layers, 1, max_len, heads, d // heads, device, dtype)
        self.glob = KVCache.for_config(cfg, 1, max_len, device, dtype, vision_len)
        ent = model.entropy_model
        self.ent = ent.new_cache(1, max_len, device, dtype) if ent is not None else None
        self.tokens = torch.full((1, max_len), PAD_ID, dtype=torch.long, device=device)
        self.enc_out = torch.zeros(1, max_len, d, device=device, dtype=dtype)  # for pooling
        self.g_local = torch.zeros(1, max_len, d, device=device, dtype=dtype)  # by global index
        mem = model.memory
        # the gated memory: read-augmented global outputs (to write a segment once it completes)
        # and the slots each segment reads (states[k] for segment k)
        self.mem_out = torch.zeros(1, max_len, cfg.dim, device=device, dtype=dtype) if mem else None
        self.mem_states: list[Tensor] = [mem.initial(1, dtype).to(device)] if mem else []
        shape = (1, heads, max_len, d // heads)
        self.cross_k = [
            torch.zeros(shape, device=device, dtype=dtype) for _ in range(h.decoder_layers)
        ]
        self.cross_v = [
            torch.zeros(shape, device=device, dtype=dtype) for _ in range(h.decoder_layers)
        ]
        # host-side, one entry per cached position (or per patch)
        self.states: list[PatchState] = []  # patcher state after each token
        self.patch_of: list[int] = []  # patch number of each token
        self.patch_start: list[int] = []  # first position of each patch
        self.next_entropy: list[float] = []  # entropy model's uncertainty about the next token

    @property
    def vision_mask(self) -> Tensor | None:
        return self.glob.vision_mask

    def reset_vision(self) -> None:
        self.glob.reset_vision()

    def truncate(self, n: int) -> None:
        """Forget positions >= n (their tensors are simply overwritten later)."""
        if n > len(self.states):
            raise ValueError(f"cache holds {len(self.states)} positions; cannot continue at {n}")
        del self.states[n:], self.patch_of[n:], self.next_entropy[n:]
        del self.patch_start[self.patch_of[-1] + 1 if n else 0 :]


class HierarchicalByteModel(nn.Module):
    batched_decode = False  # patches differ per row: one conversation at a time

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        h = cfg.hier
        self.cfg = cfg
        if h.local_dim % h.local_heads or (h.local_dim // h.local_heads) % 2:
            raise ConfigError("hier.local_dim must split into local_heads heads of even size")
        if h.window < 1 or h.cross_patches < 1:
            raise ConfigError("hier.window and hier.cross_patches must be >= 1")
        try:
            self.patcher = Patcher(
                h.patcher, h.patch_size, h.max_patch, h.entropy_threshold, h.image_patch
            )
        except ValueError as e:
            raise ConfigError(f"hier: {e}") from None
        d, eps = h.local_dim, cfg.norm_eps
        self.embed = nn.Embedding(cfg.vocab_size, d)
        self.ngram_embed = (
            HashNgramEmbedding(d, h.ngram_sizes, h.ngram_table) if h.ngram_sizes else None
        )
        self.encoder = nn.ModuleList(
            LocalBlock(d, h.local_heads, eps, cfg.dropout, cross=False)
            for _ in range(h.encoder_layers)
        )
        self.pool = PatchPooler(d, h.local_heads, cfg.dim, eps)
        self.bos_patch = nn.Parameter(torch.zeros(cfg.dim))  # global input before the first patch
        self.blocks = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layers))
        self.memory = (
            GatedMemory(cfg.dim, h.memory_slots, h.memory_segment, eps) if h.memory_slots else None
        )
        self.norm_g = RMSNorm(cfg.dim, eps)
        self.to_local = nn.Linear(cfg.dim, d, bias=False)
        self.decoder = nn.ModuleList(
            LocalBlock(d, h.local_heads, eps, cfg.dropout, cross=True)
            for _ in range(h.decoder_layers)
        )
        self.norm = RMSNorm(d, eps)
        self.head = None if cfg.tie_embeddings else nn.Linear(d, cfg.vocab_size, bias=False)
        self.vit = TinyPatchViT(cfg.vision, cfg.dim) if cfg.cross_attn else None
        self.entropy_model: ByteTransformer | None = None
        if self.patcher.needs_entropy:
            self.entropy_model = ByteTransformer(entropy_model_config(cfg)).requires_grad_(False)
        for name in ("rope_cos", "rope_sin", "grope_cos", "grope_sin"):
            self.register_buffer(name, torch.empty(0), persistent=False)
        self.reset_buffers()
        init_linear(self, cfg.n_layers + h.encoder_layers + h.decoder_layers)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.bos_patch, std=0.02)
        if self.ngram_embed is not None:
            self.ngram_embed.reset_parameters()

    def reset_buffers(self) -> None:
        """Compute the non-persistent RoPE tables on the weights' device."""
        device = self.embed.weight.device
        h = self.cfg.hier
        cos, sin = rope_tables(
            h.local_dim // h.local_heads, self.cfg.max_seq_len, self.cfg.rope_theta
        )
        self.rope_cos, self.rope_sin = cos.to(device), sin.to(device)
        cos, sin = rope_tables(self.cfg.head_dim, self.cfg.max_seq_len, self.cfg.rope_theta)
        self.grope_cos, self.grope_sin = cos.to(device), sin.to(device)

    encode_images = ByteTransformer.encode_images  # same ViT, same output width (cfg.dim)

    def num_params(self, include_vision: bool = True, include_entropy: bool = False) -> int:
        """Parameters, without the frozen entropy model unless asked."""
        return sum(
            p.numel()
            for n, p in self.named_parameters()
            if (include_vision or not n.startswith("vit."))
            and (include_entropy or not n.startswith("entropy_model."))
        )

    def new_cache(
        self,
        batch: int,
        max_len: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        vision_len: int = 0,
    ) -> HierCache:
        if batch != 1:
            raise ValueError(
                "the hierarchical model decodes with batch 1 only (patches differ per row)"
            )
        p = self.embed.weight
        max_len = min(max_len or self.cfg.max_seq_len, self.cfg.max_seq_len)
        return HierCache(self, max_len, device or p.device, dtype or p.dtype, vision_len)

    # ------------------------------------------------------------------ pieces
    def _encode(
        self,
        tokens: Tensor,
        input_pos: Tensor,
        start: int,
        cache: KVCache | None,
        history: Tensor | None,
    ) -> Tensor:
        x = self.embed(tokens)
        if self.ngram_embed is not None:
            x = x + self.ngram_embed(tokens, history)
        a = self._local_input(input_pos, start + tokens.shape[1])
        for i, blk in enumerate(self.encoder):
            x = blk(x, a, cache.layers[i] if cache is not None else None)
        return x

    def _local_input(self, input_pos: Tensor, end: int) -> AttentionInput:
        return AttentionInput.at(
            self.rope_cos, self.rope_sin, input_pos, end, window=self.cfg.hier.window
        )

    def _global(
        self,
        x: Tensor,
        gpos: Tensor,
        cache: KVCache | None,
        vision_kv: list[tuple[Tensor, Tensor] | None],
        vision_mask: Tensor | None,
        memory: _MemoryView | None = None,
    ) -> Tensor:
        """Global blocks over patch vectors at global positions ``gpos`` -> to_local(norm(out)),
        with the gated memory read (and written, segment by segment) in between when present."""
        end = int(gpos[-1]) + 1
        mask = attention_mask(gpos, end, None) if cache is not None else None
        a = AttentionInput.at(
            self.grope_cos, self.grope_sin, gpos, end, mask=mask, vision_mask=vision_mask
        )
        for i, block in enumerate(self.blocks):
            x = block(x, a, cache.layers[i] if cache is not None else None, vision_kv[i])
        if self.memory is not None and memory is not None:
            first = int(gpos[0])
            x = self.memory(x, first, memory.states, memory.outputs, memory.final)
            if memory.outputs is not None:  # cached: kept for a segment that spans calls
                memory.outputs[:, first:end] = x
        return self.to_local(self.norm_g(x))

    def _decode(
        self,
        x: Tensor,
        input_pos: Tensor,
        start: int,
        cache: KVCache | None,
        cross_kv: list[tuple[Tensor, Tensor]],
        cross_mask: Tensor | None,
        last_only: bool,
    ) -> Tensor:
        a = self._local_input(input_pos, start + x.shape[1])
        for i, blk in enumerate(self.decoder):
            layer = cache.layers[i] if cache is not None else None
            x = blk(x, a, layer, cross_kv[i], cross_mask)
        if last_only:
            x = x[:, -1:]
        x = self.norm(x)
        return F.linear(x, self.embed.weight) if self.head is None else self.head(x)

    def _patch_window(self, pid: Tensor, lo: int, end: int) -> Tensor:
        """[..., T, end - lo]: global output g is visible from a byte of patch j iff j-K < g <= j."""
        keys = torch.arange(lo, end, device=pid.device)
        return (keys <= pid[..., None]) & (keys > pid[..., None] - self.cfg.hier.cross_patches)

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        tokens: Tensor,
        *,
        input_pos: Tensor | None = None,
        cache: HierCache | None = None,
        key_valid: Tensor | None = None,
        vision: Tensor | None = None,
        vision_mask: Tensor | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """tokens [B, T] -> logits [B, T, V] (or [B, 1, V] with last_only); see ByteTransformer.

        Padded batches (``key_valid`` with False entries) are not supported.
        """
        if key_valid is not None and not bool(key_valid.all()):
            raise ValueError("the hierarchical model does not support padded batches (key_valid)")
        T = tokens.shape[1]
        start = 0 if input_pos is None else int(input_pos[0])
        if start + T > self.cfg.max_seq_len:
            raise ValueError(
                f"sequence of {start + T} tokens exceeds max_seq_len {self.cfg.max_seq_len}"
            )
        if cache is not None:
            if input_pos is None:
                input_pos = torch.arange(T, device=tokens.device)
            return self._forward_cached(tokens, input_pos, cache, vision, vision_mask, last_only)
        if start != 0:
            raise ValueError("without a cache the hierarchical model reads from position 0")
        memory = None
        if self.memory is not None:
            memory = _MemoryView([self.memory.initial(tokens.shape[0], self.embed.weight.dtype)])
        return self._forward_full(tokens, vision, vision_mask, last_only, memory)

    def forward_carry(self, tokens: Tensor, memory: Tensor | None) -> tuple[Tensor, Tensor]:
        """One window of a long stream (no cache): logits [B, T, V] and the memory slots after
        it, to pass with the next window (``memory`` None: the learned initial slots)."""
        if self.memory is None:
            raise ValueError("this model has no gated memory (hier.memory_slots = 0)")
        if memory is None:
            memory = self.memory.initial(tokens.shape[0], self.embed.weight.dtype)
        view = _MemoryView([memory], final=True)
        logits = self._forward_full(tokens, None, None, False, view)
        return logits, view.states[-1]

    def _forward_full(
        self,
        tokens: Tensor,
        vision: Tensor | None,
        vision_mask: Tensor | None,
        last_only: bool,
        memory: _MemoryView | None,
    ) -> Tensor:
        B, T = tokens.shape
        dev = tokens.device
        if self.entropy_model is not None:
            with torch.no_grad():
                ent = shift_entropies(logits_entropy(self.entropy_model(tokens))).tolist()
        else:
            ent = [None] * B
        starts = [self.patcher.starts(row, e) for row, e in zip(tokens.tolist(), ent, strict=True)]
        pid = torch.tensor([list(accumulate(s)) for s in starts], device=dev) - 1  # [B, T]
        bounds = [boundaries(s) + [T] for s in starts]
        P = max(len(b) for b in bounds) - 1
        pos = torch.arange(T, device=dev)
        x = self._encode(tokens, pos, 0, None, None)
        gx = self.bos_patch.to(x.dtype).expand(B, 1, -1)
        if P > 1:  # global input i >= 1 is patch i - 1, which is complete; pad rows with fewer
            st = [b[: len(b) - 2] + [0] * (P - len(b) + 1) for b in bounds]
            ln = [
                [b[i + 1] - b[i] for i in range(len(b) - 2)] + [1] * (P - len(b) + 1)
                for b in bounds
            ]
            pooled = self.pool(x, torch.tensor(st, device=dev), torch.tensor(ln, device=dev))
            gx = torch.cat([gx, pooled], dim=1)
        vision_kv, vision_mask = vision_keys_values(self.blocks, vision, vision_mask, None)
        g = self._global(gx, torch.arange(P, device=dev), None, vision_kv, vision_mask, memory)
        x = x + g.gather(1, pid[..., None].expand(-1, -1, g.shape[-1]))
        cross_kv = [blk.cross.keys_values(g) for blk in self.decoder]
        mask = self._patch_window(pid, 0, P)[:, None]  # [B, 1, T, P]
        return self._decode(x, pos, 0, None, cross_kv, mask, last_only)

    def _forward_cached(
        self,
        tokens: Tensor,
        input_pos: Tensor,
        cache: HierCache,
        vision: Tensor | None,
        vision_mask: Tensor | None,
        last_only: bool,
    ) -> Tensor:
        B, T = tokens.shape
        if B != 1:
            raise ValueError("the hierarchical model decodes with batch 1 only")
        start, end = int(input_pos[0]), int(input_pos[0]) + T
        if end > cache.max_len or int(input_pos[-1]) != end - 1:
            raise ValueError("input_pos must be consecutive positions inside the cache")
        cache.truncate(start)
        ctx = self.ngram_embed.context if self.ngram_embed is not None else 0
        history = cache.tokens[:, max(0, start - ctx) : start]
        x = self._encode(tokens, input_pos, start, cache.enc, history)
        cache.tokens[:, start:end] = tokens
        cache.enc_out[:, start:end] = x

        ent = [0.0] * T
        if self.entropy_model is not None:
            with torch.no_grad():
                logits = self.entropy_model(tokens, input_pos=input_pos, cache=cache.ent)
            nxt = logits_entropy(logits)[0].tolist()
            ent = [cache.next_entropy[-1] if start else 0.0] + nxt[:-1]
            cache.next_entropy.extend(nxt)
        j0 = len(cache.patch_start)
        state = cache.states[-1] if start else PatchState()
        for k, tok in enumerate(tokens[0].tolist()):
            new_patch, state = self.patcher.step(state, tok, ent[k])
            if new_patch:
                cache.patch_start.append(start + k)
            cache.states.append(state)
            cache.patch_of.append(len(cache.patch_start) - 1)
        j1 = len(cache.patch_start)

        vision_kv, vision_mask = vision_keys_values(self.blocks, vision, vision_mask, cache.glob)
        if j1 > j0:  # new patches began: run the global model on the patches that just closed
            gx = [self.bos_patch.to(x.dtype).expand(1, 1, -1)] if j0 == 0 else []
            closed = range(max(j0, 1) - 1, j1 - 1)
            if closed:
                ps = cache.patch_start
                st = torch.tensor([[ps[p] for p in closed]], device=x.device)
                ln = torch.tensor([[ps[p + 1] - ps[p] for p in closed]], device=x.device)
                gx.append(self.pool(cache.enc_out[:, :end], st, ln))
            gpos = torch.arange(j0, j1, device=x.device)
            memory = None
            if self.memory is not None:  # rewound: forget the states of segments re-run now
                del cache.mem_states[j0 // self.memory.segment + 1 :]
                memory = _MemoryView(cache.mem_states, cache.mem_out)
            g = self._global(torch.cat(gx, dim=1), gpos, cache.glob, vision_kv, vision_mask, memory)
            cache.g_local[:, j0:j1] = g
            for i, blk in enumerate(self.decoder):
                k, v = blk.cross.keys_values(g)
                cache.cross_k[i][:, :, j0:j1], cache.cross_v[i][:, :, j0:j1] = k, v

        pid = torch.tensor(cache.patch_of[start:end], device=x.device)
        x = x + cache.g_local[:, pid]
        lo = max(0, cache.patch_of[start] - self.cfg.hier.cross_patches + 1)
        cross_kv = [
            (ck[:, :, lo:j1], cv[:, :, lo:j1])
            for ck, cv in zip(cache.cross_k, cache.cross_v, strict=True)
        ]
        mask = None if T == 1 else self._patch_window(pid, lo, j1)[None, None]
        return self._decode(x, input_pos, start, cache.dec, cross_kv, mask, last_only)


class _MemoryView:
    """What one global pass needs of the gated memory: the states per segment (appended to as
    segments complete), the cached outputs of an open segment, and whether the window ends here."""

    def __init__(
        self, states: list[Tensor], outputs: Tensor | None = None, final: bool = False
    ) -> None:
        self.states, self.outputs, self.final = states, outputs, final
