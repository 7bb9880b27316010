"""A flat ByteTransformer evaluated so that every machine gets the very same probabilities.

``aether compress`` needs the decoder to see bit-identical distributions to the encoder's, on
another CPU, BLAS or thread count. Float results differ there only in how sums are ordered and in
transcendental functions, so this path avoids both:

- every matmul multiplies integers: activations are quantized per row to int8 (absmax), weights
  per output channel to int8 (RMSNorm gains folded in), so each dot product is a sum of integers
  below 2^24, exact in fp32 in any order, on any BLAS;
- the RMSNorm scale is the integer sum of squares of the quantized row (its absmax cancels);
- softmax uses an exp lookup on scores rounded to 1/32 nat (``tables``), and the attention-
  weighted sum of values is again a sum of integers: the weights are rounded to at most
  ``value_steps(window)`` levels, so that sum stays below 2^24;
- the sigmoid in SiLU is a lookup, RoPE uses tables computed once, everything else is a single
  IEEE operation per element (+, -, *, /, sqrt, rint), which every CPU rounds alike, and the only
  float sums (max, min, sums of squares or of weights) are of integers or order-free.

The arithmetic is numpy's (a few microseconds per operation less than torch's, which matters for
the small batches of small files); the matrix products go through torch, whose thread count
``--threads`` sets. Decoding is one byte column per ``step`` for B rows in lockstep; keys and
values sit in a ring of ``window`` slots (a sliding window: the model always sees the last
``window`` bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import ModelConfig
from ..errors import AetherError
from ..model.ngram import PAD_ID, ngram_ids
from . import tables

MAX_K = 1040  # 127 * 127 * 1040 < 2^24: the longest exact fp32 dot product of int8 values
MAX_WINDOW = 256  # value_steps(256) still gives attention weights 516 levels
EXACT_SUM = 1 << 24  # float32 holds every integer up to this
TINY = 1e-30  # an all-zero row keeps a finite scale


class ExactError(AetherError):
    """A model the exact path cannot run (its shape breaks an exactness bound)."""


def value_steps(window: int) -> int:
    """Levels of an attention weight: its sum of products with int8 values over ``window`` slots
    stays below 2^24 (1,032 levels at window 128)."""
    return (EXACT_SUM - 1) // (127 * window)


def quantize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of float32 ``x`` -> (integers in [-127, 127] as float32, per-row scale [..., 1])."""
    top = np.abs(x).max(-1, keepdims=True)
    np.maximum(top, np.float32(TINY), out=top)
    q = x * (np.float32(127) / top)
    np.rint(q, out=q)
    return q, top / np.float32(127)


def _mm(a: np.ndarray, b: torch.Tensor) -> np.ndarray:
    """a @ b through torch (its thread count); exact here since every sum is of small integers."""
    return torch.from_numpy(a).matmul(b).numpy()


@dataclass(frozen=True)
class QLinear:
    """An int8 weight (integer-valued float32, stored [in, out]) and one scale per output."""

    weight: torch.Tensor
    scale: np.ndarray

    @classmethod
    def of(cls, weight: torch.Tensor, gain: torch.Tensor | None = None) -> QLinear:
        w = weight.detach().float().cpu().numpy()
        if gain is not None:  # RMSNorm(x) * g @ W^T == RMSNorm(x) @ (W * g)^T
            w = w * gain.detach().float().cpu().numpy()
        if w.shape[1] > MAX_K:
            raise ExactError(f"a {w.shape[1]}-wide input breaks the exact fp32 bound ({MAX_K})")
        q, s = quantize(np.ascontiguousarray(w, dtype=np.float32))
        return cls(torch.from_numpy(np.ascontiguousarray(q.T)), s[:, 0].copy())

    def plain(self, x: np.ndarray) -> np.ndarray:
        """x @ W^T for any float rows."""
        q, s = quantize(x)
        y = _mm(q, self.weight)
        y *= self.scale
        y *= s
        return y

    def normed(self, x: np.ndarray, eps: float) -> np.ndarray:
        """RMSNorm(x) @ W^T (the gain is in W): the row's absmax cancels out of the norm."""
        y, inv_rms = self.normed_apart(x, eps)
        y *= inv_rms
        return y

    def normed_apart(self, x: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
        """``normed`` as (y, the per-row factor [B, 1] still to multiply it by): a caller that
        quantizes y's rows next folds the factor into their scales instead of a pass."""
        q, s = quantize(x)
        squares = np.einsum("bi,bi->b", q, q)[:, None]  # integers < 2^24: exact in any order
        rms = np.sqrt(squares / np.float32(x.shape[-1]) + np.float32(eps) / (s * s))
        y = _mm(q, self.weight)
        y *= self.scale
        return y, np.float32(1) / rms


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
        self.k = [np.zeros((batch, hd, W), np.float32) for _ in range(n)]  # keys as columns
        self.k_scale = [np.ones((batch, W), np.float32) for _ in range(n)]
        self.v = [np.zeros((batch, W, hd), np.float32) for _ in range(n)]
        self.v_scale = [np.ones((batch, W), np.float32) for _ in range(n)]
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
        if max(cfg.dim, cfg.ffn_dim, cfg.head_dim) > MAX_K:
            raise ExactError(f"a layer wider than {MAX_K} breaks the exact fp32 bound")
        if not 1 <= window <= min(MAX_WINDOW, cfg.max_seq_len):
            raise ExactError(f"window {window} is outside 1..{min(MAX_WINDOW, cfg.max_seq_len)}")

    def __init__(self, model: torch.nn.Module, window: int, max_len: int) -> None:
        cfg = model.cfg
        self.check(cfg, window)
        tables.check_float_precision()
        self.cfg, self.window, self.eps = cfg, window, cfg.norm_eps
        self.n_heads, self.head_dim = cfg.n_heads, cfg.head_dim
        self.levels = np.float32(value_steps(window))
        self.embed = model.embed.weight.detach().float().cpu().numpy()
        self.ngram = (
            model.ngram.table.weight.detach().float().cpu().numpy() if model.ngram else None
        )
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

    def _embed(self, st: ExactState, column: np.ndarray) -> np.ndarray:
        x = self.embed[column]
        if self.ngram is not None:
            sizes, table = self.cfg.ngram_sizes, self.cfg.ngram_table
            col = torch.from_numpy(column)
            ids = ngram_ids(col[:, None], sizes, table, st.history)[:, 0].numpy()
            for i in range(len(sizes)):  # one add at a time: a fixed order of float sums
                x += self.ngram[ids[:, i] + i * table]
            st.history = torch.cat([st.history[:, 1:], col[:, None]], dim=1)
        return x

    def _rope(self, x: np.ndarray, pos: int) -> np.ndarray:
        """Rotate-half RoPE at ``pos`` on [..., head_dim]: x*cos + rotate(x)*sin, per element."""
        cos, sin, half = self.cos[pos], self.sin[pos], self.head_dim // 2
        out = x * cos
        out[..., :half] -= x[..., half:] * sin[:half]
        out[..., half:] += x[..., :half] * sin[half:]
        return out

    def _attend(self, st: ExactState, i: int, x: np.ndarray, slot: int) -> np.ndarray:
        h, inv_rms = self.layers[i].qkv.normed_apart(x, self.eps)  # RoPE and quantizing are
        B, H, hd = h.shape[0], self.n_heads, self.head_dim  # linear: inv_rms joins the scales
        qk, qk_scale = quantize(self._rope(h[:, : (H + 1) * hd].reshape(B, H + 1, hd), st.pos))
        qk_scale *= inv_rms[:, :, None]
        v, v_scale = quantize(h[:, (H + 1) * hd :])
        v_scale *= inv_rms
        st.k[i][:, :, slot], st.k_scale[i][:, slot] = qk[:, H], qk_scale[:, H, 0]
        st.v[i][:, slot], st.v_scale[i][:, slot] = v, v_scale[:, 0]
        t = torch.bmm(torch.from_numpy(qk[:, :H]), torch.from_numpy(st.k[i])).numpy()  # [B, H, W]
        t *= qk_scale[:, :H] * np.float32(-tables.EXP_STEPS / hd**0.5)
        t *= st.k_scale[i][:, None, :]
        if st.pos + 1 < self.window:  # slots not written yet
            t[..., st.pos + 1 :] = np.inf
        w = tables.neg_exp_weights(t)  # integers <= 2^16: their sum over <= 256 slots is exact
        a = w * st.v_scale[i][:, None, :]
        top = a.max(-1, keepdims=True)
        a *= self.levels / top
        np.rint(a, out=a)
        num = torch.bmm(torch.from_numpy(a), torch.from_numpy(st.v[i])).numpy()  # [B, H, hd]
        num *= top / (self.levels * w.sum(-1, keepdims=True))
        return num.reshape(B, H * hd)

    def step(self, st: ExactState, column: np.ndarray) -> np.ndarray:
        """Feed one byte per row ([B] integers); return next-byte weights [B, 256] (float32
        integers, 2^16 for the likeliest byte)."""
        with torch.no_grad():
            x = self._embed(st, np.asarray(column, dtype=np.int64))
            slot = st.pos % self.window
            for i, layer in enumerate(self.layers):
                x += layer.proj.plain(self._attend(st, i, x, slot))
                gate, up = np.split(layer.w13.normed(x, self.eps), 2, axis=-1)
                x += layer.w2.plain(tables.silu_gate(gate, up))
            st.pos += 1
            logits = self.head.normed(x, self.eps)
        logits *= np.float32(-tables.EXP_STEPS)
        return tables.neg_exp_weights(logits)
