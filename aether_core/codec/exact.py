"""A flat ByteTransformer evaluated so that every machine gets the very same probabilities.

``aether compress`` needs the decoder to see bit-identical distributions to the encoder's, on
another CPU, BLAS or thread count. Float results differ there only in how sums are ordered and in
transcendental functions, so this path avoids both:

- every matmul multiplies integers: activations are quantized per row to int8 (absmax), weights
  per output channel to int8 (RMSNorm gains folded in), so each dot product is a sum of integers
  below 2^24, exact in fp32 in any order, on any BLAS;
- the RMSNorm scale is the integer sum of squares of the quantized row (its absmax cancels);
- softmax uses an exp lookup on scores rounded to 1/32 nat (``tables``), and the attention-
  weighted sum of values is again a sum of integers (two 9-bit halves, each exact in fp32);
- SiLU is a lookup, RoPE uses tables computed once, everything else is a single IEEE operation
  per element (+, -, *, /, sqrt, round), which every CPU rounds alike.

The cost: int8 activations and weights (a little bits per byte, measured in MODEL_CARD.md).
Decoding is one byte column per ``step`` for B rows in lockstep; keys and values sit in a ring
of ``window`` slots (a sliding window: the model always sees the last ``window`` bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..config import ModelConfig
from ..errors import AetherError
from ..model.ngram import PAD_ID, ngram_ids
from . import tables

MAX_K = 1040  # 127 * 127 * 1040 < 2^24: the longest exact fp32 dot product of int8 values
MAX_WINDOW = 256  # 511 * 127 * 256 < 2^24: the attention-value sums stay exact
SPLIT = 512  # attention weights go as hi * 512 + lo, both < 512
TINY = 1e-30  # an all-zero row keeps a finite scale


class ExactError(AetherError):
    """A model the exact path cannot run (its shape breaks an exactness bound)."""


def quantize(x: Tensor) -> tuple[Tensor, Tensor]:
    """Rows of ``x`` -> (integers in [-127, 127] as float32, per-row scale [..., 1])."""
    top = x.abs().amax(-1, keepdim=True).clamp_(min=TINY)
    return torch.round(x * (127 / top)), top / 127


@dataclass(frozen=True)
class QLinear:
    """An int8 weight [out, in] (integer-valued float32) with one scale per output channel."""

    weight: Tensor
    scale: Tensor

    @classmethod
    def of(cls, weight: Tensor, gain: Tensor | None = None) -> QLinear:
        w = weight.detach().float().cpu()
        if gain is not None:  # RMSNorm(x) * g @ W^T == RMSNorm(x) @ (W * g)^T
            w = w * gain.detach().float().cpu()
        if w.shape[1] > MAX_K:
            raise ExactError(f"a {w.shape[1]}-wide input breaks the exact fp32 bound ({MAX_K})")
        q, s = quantize(w)
        return cls(q.contiguous(), s.squeeze(1).contiguous())

    def plain(self, x: Tensor) -> Tensor:
        """x @ W^T for any float rows."""
        q, s = quantize(x)
        return (q @ self.weight.T) * self.scale * s

    def normed(self, x: Tensor, eps: float) -> Tensor:
        """RMSNorm(x) @ W^T (the gain is in W): the row's absmax cancels out of the norm."""
        q, s = quantize(x)
        rms = torch.sqrt((q * q).sum(-1, keepdim=True) / x.shape[-1] + eps / (s * s))
        return (q @ self.weight.T) * self.scale / rms


def _rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rot * sin


@dataclass
class Layer:
    qkv: QLinear
    proj: QLinear
    w13: QLinear
    w2: QLinear


class ExactState:
    """Per-row keys/values (quantized) in a ring of ``window`` slots, and the last bytes."""

    def __init__(self, lm: ExactLM, batch: int) -> None:
        W, hd, n = lm.window, lm.head_dim, len(lm.layers)
        self.k = [torch.zeros(batch, W, hd) for _ in range(n)]
        self.k_scale = [torch.ones(batch, 1, W) for _ in range(n)]
        self.v = [torch.zeros(batch, W, hd) for _ in range(n)]
        self.v_scale = [torch.ones(batch, 1, W) for _ in range(n)]
        self.history = torch.full((batch, lm.context), PAD_ID, dtype=torch.long)
        self.pos = 0


class ExactLM:
    """Next-byte weights from a flat ByteTransformer, identical on every machine."""

    @staticmethod
    def check(cfg: ModelConfig, window: int = 1) -> None:
        """ExactError unless this model shape keeps every exactness bound."""
        if cfg.arch != "flat" or cfg.attention != "standard" or cfg.qk_norm:
            raise ExactError("the exact path runs flat models with standard attention, no qk-norm")
        if cfg.kv_heads != 1:
            raise ExactError("the exact path runs models with one key/value head (n_kv_heads = 1)")
        if max(cfg.dim, cfg.ffn_dim) > MAX_K:
            raise ExactError(f"a layer wider than {MAX_K} breaks the exact fp32 bound")
        if not 1 <= window <= min(MAX_WINDOW, cfg.max_seq_len):
            raise ExactError(f"window {window} is outside 1..{min(MAX_WINDOW, cfg.max_seq_len)}")

    def __init__(self, model: torch.nn.Module, window: int, max_len: int) -> None:
        cfg = model.cfg
        self.check(cfg, window)
        tables.check_float_precision()
        self.cfg, self.window, self.eps = cfg, window, cfg.norm_eps
        self.n_heads, self.kv_heads, self.head_dim = cfg.n_heads, cfg.kv_heads, cfg.head_dim
        self.embed = model.embed.weight.detach().float().cpu()
        self.ngram = model.ngram.table.weight.detach().float().cpu() if model.ngram else None
        self.context = max(cfg.ngram_sizes) - 1 if cfg.ngram_sizes else 0
        self.layers = [
            Layer(QLinear.of(b.attn.qkv.weight, b.norm1.weight), QLinear.of(b.attn.proj.weight),
                  QLinear.of(b.w13.weight, b.norm2.weight), QLinear.of(b.w2.weight))
            for b in model.blocks
        ]  # fmt: skip
        head = model.embed.weight if model.head is None else model.head.weight
        self.head = QLinear.of(head[:256], model.norm.weight)  # files hold bytes, not markers
        self.cos, self.sin = tables.rope_tables(self.head_dim, max_len, cfg.rope_theta)
        self.max_len = max_len

    def fingerprint(self) -> str:
        return tables.fingerprint(self.head_dim, self.max_len, self.cfg.rope_theta)

    def new_state(self, batch: int) -> ExactState:
        return ExactState(self, batch)

    def _embed(self, st: ExactState, column: Tensor) -> Tensor:
        x = self.embed[column]
        if self.ngram is not None:
            sizes, table = self.cfg.ngram_sizes, self.cfg.ngram_table
            ids = ngram_ids(column[:, None], sizes, table, st.history)[:, 0]
            for i in range(len(sizes)):  # one add at a time: a fixed order of float sums
                x = x + self.ngram[ids[:, i] + i * table]
            st.history = torch.cat([st.history[:, 1:], column[:, None]], dim=1)
        return x

    def _attend(self, st: ExactState, i: int, h: Tensor, slot: int) -> Tensor:
        B, H, hd = h.shape[0], self.n_heads, self.head_dim
        cos, sin = self.cos[st.pos], self.sin[st.pos]
        q, k, v = h.split([H * hd, hd, hd], dim=-1)
        kq, ks = quantize(_rope(k, cos, sin))
        vq, vs = quantize(v)
        st.k[i][:, slot], st.k_scale[i][:, 0, slot] = kq, ks[:, 0]
        st.v[i][:, slot], st.v_scale[i][:, 0, slot] = vq, vs[:, 0]
        qq, qs = quantize(_rope(q.view(B, H, hd), cos, sin))  # [B, H, hd], [B, H, 1]
        scores = (qq @ st.k[i].transpose(1, 2)) * (qs / hd**0.5) * st.k_scale[i]  # [B, H, W]
        if st.pos + 1 < self.window:  # slots not written yet
            scores[..., st.pos + 1 :] = float("-inf")
        w = tables.exp_weights(scores)  # integers <= 2^16: their sum over <= 256 slots is exact
        a = w * st.v_scale[i]
        top = a.amax(-1, keepdim=True)
        a = torch.round(a * ((SPLIT * SPLIT - 1) / top))
        hi = torch.floor(a * (1 / SPLIT))
        num = torch.cat([hi, a - hi * SPLIT], dim=1) @ st.v[i]  # both halves in one pass
        num = num[:, :H] * SPLIT + num[:, H:]
        out = num * (top * (1 / (SPLIT * SPLIT - 1))) / w.sum(-1, keepdim=True)
        return out.reshape(B, H * hd)

    @torch.no_grad()
    def step(self, st: ExactState, column: Tensor) -> Tensor:
        """Feed one byte per row ([B] long); return next-byte weights [B, 256] (float64
        integers, 2^16 for the likeliest byte)."""
        x = self._embed(st, column)
        slot = st.pos % self.window
        for i, layer in enumerate(self.layers):
            h = layer.qkv.normed(x, self.eps)
            x = x + layer.proj.plain(self._attend(st, i, h, slot))
            gate, up = layer.w13.normed(x, self.eps).chunk(2, dim=-1)
            x = x + layer.w2.plain(tables.silu(gate) * up)
        st.pos += 1
        return tables.exp_weights(self.head.normed(x, self.eps))
