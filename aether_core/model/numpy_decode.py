"""The decode step of the flat ByteTransformer in numpy, on CPU in float32: a quarter of the
eager torch step's time at the shipped model's size.

A 128-wide model's step is ~150 tiny operations, and a torch operation costs several
microseconds of dispatch whatever its size; numpy's cost one or two. :class:`NumpyStep` runs the
arithmetic of :class:`~aether_core.model.fast_decode.FastStep` on numpy views of the same weights
and of the same KV cache (no copies: a cache written here is read by the torch forward and back),
so prefill, choice scoring and single steps can mix paths freely. Its logits match the
torch step's to float rounding (a few 1e-6), not bit for bit: numpy's matrix products and
reductions sum in another order.

Several tokens at once (``extend``: prefill, drafts, choices) go through the torch step it wraps,
as does what it does not cover: other dtypes or devices, q/k norms, caches that are views of a
batch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor, nn

from .attention import KVCache
from .compiled_decode import block_linears

if TYPE_CHECKING:  # fast_decode picks this step (fast_step_for): no import back at run time
    from .fast_decode import FastStep

# Wider, a step is bound by reading the weights, not by per-operation overhead, and torch's
# kernels (one thread, as --threads says) serve it; numpy's BLAS would pick its own thread count.
# The shipped model is 128 wide; measured there (README, Benchmarks).
NUMPY_MAX_DIM = 256


def _np(t: Tensor) -> np.ndarray:
    """A numpy view sharing ``t``'s memory (an in-place update of the weight shows through)."""
    return t.detach().numpy()


class _Block:
    """One block's weights as numpy views ([out, in], as torch stores them)."""

    def __init__(self, block: nn.Module) -> None:
        attn = block.attn
        self.norm1, self.norm2 = _np(block.norm1.weight), _np(block.norm2.weight)
        self.eps1, self.eps2 = float(block.norm1.eps), float(block.norm2.eps)
        self.qkv, self.proj = _np(attn.qkv.weight), _np(attn.proj.weight)
        self.w13, self.w2 = _np(block.w13.weight), _np(block.w2.weight)
        self.hidden = self.w2.shape[1]


def _rms(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return x * (w / np.sqrt(x.dot(x) / x.shape[0] + eps))


def _silu(g: np.ndarray) -> np.ndarray:
    return g * (0.5 + 0.5 * np.tanh(0.5 * g))  # = g * sigmoid(g), without exp's overflow


class NumpyStep:
    """``step`` of :class:`FastStep` in numpy where it applies (``extend`` through torch)."""

    drafts_pay = False  # a step costs a sixth of a 17-token pass: drafts rarely win it back

    def __init__(self, model: nn.Module, eager: FastStep) -> None:
        self.model, self.eager = model, eager
        cfg = model.cfg
        self.heads, self.kv_heads, self.hd = cfg.n_heads, cfg.kv_heads, cfg.head_dim
        self.blocks = [_Block(b) for b in model.blocks]
        self.embed = _np(model.embed.weight)
        self.head = self.embed if model.head is None else _np(model.head.weight)
        self.norm, self.eps = _np(model.norm.weight), float(model.norm.eps)
        half = self.hd // 2
        self.rotate = np.concatenate([np.arange(half, self.hd), np.arange(half)])
        self._rope_key: Tensor | None = None
        self._cache_key: KVCache | None = None
        self._kv: list[tuple[np.ndarray, np.ndarray]] = []

    @staticmethod
    def supports(model: nn.Module) -> bool:
        """fp32 weights on the CPU in plain linear layers, without q/k norms, at most
        ``NUMPY_MAX_DIM`` wide."""
        if model.cfg.dim > NUMPY_MAX_DIM:
            return False
        return model.embed.weight.device.type == "cpu" and all(
            b.attn.q_norm is None
            and all(
                type(m) is nn.Linear and m.weight.dtype == torch.float32 for m in block_linears(b)
            )
            for b in model.blocks
        )

    def applies(self, cache: KVCache) -> bool:
        return self.eager.applies(cache)

    def _tables(self) -> tuple[np.ndarray, np.ndarray]:
        """RoPE's cos and signed sin (as FastStep uses them); rebuilt with the model's."""
        cos, sin = self.eager.rope_tables(torch.float32)
        if self._rope_key is not sin:
            self._rope_key, self._rope = sin, (_np(cos), _np(sin))
        return self._rope

    def _cache(self, cache: KVCache) -> list[tuple[np.ndarray, np.ndarray]]:
        """The cache's keys and values as [kv_heads, max_len, hd] numpy views."""
        if self._cache_key is not cache:
            self._cache_key = cache
            self._kv = [(_np(lc.k[0]), _np(lc.v[0])) for lc in cache.layers]
        return self._kv

    def step(self, token: int, p: int, pos: Tensor, cache: KVCache) -> Tensor:
        if cache.is_view or cache.layers[0].k.dtype != torch.float32:
            return self.eager.step(token, p, pos, cache)
        return torch.from_numpy(self._step(token, p, cache))

    def extend(
        self, tokens: Tensor, p: int, pos: Tensor, cache: KVCache, last_only: bool = False
    ) -> Tensor:
        """Several tokens go through torch: numpy's small matrix products (several rows) cost
        more than its matrix-vector ones, and than torch's."""
        return self.eager.extend(tokens, p, pos, cache, last_only)

    def _step(self, token: int, p: int, cache: KVCache) -> np.ndarray:
        """Token ``token`` at position ``p``: the logits after it, [V]."""
        h, kvh, hd = self.heads, self.kv_heads, self.hd
        rep, end = h // kvh, p + 1
        cos, sin = self._tables()
        cos, sin = cos[p], sin[p]
        x = self.embed[token]
        for b, (keys, vals) in zip(self.blocks, self._cache(cache), strict=True):
            qkv = b.qkv.dot(_rms(x, b.norm1, b.eps1)).reshape(h + 2 * kvh, hd)
            qk = qkv[: h + kvh]
            qk = qk * cos + qk[:, self.rotate] * sin  # RoPE, as FastStep writes it
            keys[:, p] = qk[h:]
            vals[:, p] = qkv[h + kvh :]
            q = qk[:h].reshape(kvh, rep, hd) * hd**-0.5  # queries grouped by their key head
            scores = np.matmul(keys[:, :end], q.transpose(0, 2, 1))  # [kvh, end, rep]
            scores = np.exp(scores - scores.max(1, keepdims=True))
            y = np.matmul(scores.transpose(0, 2, 1), vals[:, :end])  # [kvh, rep, hd]
            y /= scores.sum(1)[:, :, None]
            x = x + b.proj.dot(y.reshape(h * hd))
            gu = b.w13.dot(_rms(x, b.norm2, b.eps2))
            x = x + b.w2.dot(_silu(gu[: b.hidden]) * gu[b.hidden :])
        return self.head.dot(_rms(x, self.norm, self.eps))
