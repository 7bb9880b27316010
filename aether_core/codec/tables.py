"""The fixed tables of the exact coding path: exp and SiLU lookups and the RoPE rotations.

They replace the only float functions whose last bits differ between machines (exp, erf, sin and
cos are computed by libm or by vectorized kernels chosen per CPU). Each table is computed once in
float64 and rounded (to integers or to float32), so a platform whose libm is off by an ulp still
gets the same table except at an exact rounding tie; ``fingerprint`` hashes them all, a stream
records it, and a decoder whose tables differ refuses before it decodes anything.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np
import torch

EXP_STEPS = 32  # lookups resolve 1/32 nat: the logit rounding costs < 0.001 bit per byte
EXP_ONE = 1 << 16  # exp(0) in the table's fixed point
EXP_SIZE = 32 * 24  # exp(-24) * 2^16 rounds to 0: the table covers every weight that counts
SILU_STEPS = 256  # SiLU's input resolves 1/256
SILU_RANGE = 16  # inside [-16, 16) from the table; above it silu(x) == x, below it 0 (in fp32)


@functools.lru_cache(maxsize=1)
def exp_table() -> torch.Tensor:
    """round(2^16 * exp(-k / 32)) for k = 0..EXP_SIZE-1 (integers, exact in float32)."""
    k = np.arange(EXP_SIZE, dtype=np.float64)
    return torch.from_numpy(np.round(EXP_ONE * np.exp(-k / EXP_STEPS)).astype(np.float32))


@functools.lru_cache(maxsize=1)
def silu_table() -> torch.Tensor:
    """silu(i / 256) for i = -16*256 .. 16*256 - 1, rounded to float32."""
    x = np.arange(-SILU_RANGE * SILU_STEPS, SILU_RANGE * SILU_STEPS, dtype=np.float64)
    x /= SILU_STEPS
    return torch.from_numpy((x / (1.0 + np.exp(-x))).astype(np.float32))


@functools.lru_cache(maxsize=8)
def rope_tables(head_dim: int, max_len: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin [max_len, head_dim] (rotate-half layout, as the model's own), in float64 then
    rounded to float32."""
    inv = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    ang = np.outer(np.arange(max_len, dtype=np.float64), inv)
    ang = np.concatenate([ang, ang], axis=1)
    return (torch.from_numpy(np.cos(ang).astype(np.float32)),
            torch.from_numpy(np.sin(ang).astype(np.float32)))  # fmt: skip


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU through the table: the input rounded to 1/256, exact outside [-16, 16)."""
    lo, hi = -SILU_RANGE * SILU_STEPS, SILU_RANGE * SILU_STEPS - 1
    i = torch.round(x * SILU_STEPS).clamp_(lo, hi).long().view(-1) - lo
    y = silu_table().index_select(0, i).view(x.shape)
    return torch.where(x >= SILU_RANGE, x, y).masked_fill_(x < -SILU_RANGE, 0.0)


def exp_weights(scores: torch.Tensor) -> torch.Tensor:
    """Unnormalized softmax weights of ``scores`` (nats, float32, -inf = masked) along the last
    dim: integers (exact in float32), 2^16 at each row's maximum."""
    k = torch.round((scores.amax(-1, keepdim=True) - scores) * EXP_STEPS).clamp_(max=EXP_SIZE - 1)
    return exp_table().index_select(0, k.long().view(-1)).view(scores.shape)


def fingerprint(head_dim: int, max_len: int, theta: float) -> str:
    """A hash of every table the exact path uses at this shape."""
    h = hashlib.sha256()
    cos, sin = rope_tables(head_dim, max_len, theta)
    for t in (exp_table(), silu_table(), cos, sin):
        h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def check_float_precision() -> None:
    """The exact path relies on fp32 matmuls being fp32 (no TF32/bf16 shortcuts)."""
    if torch.get_float32_matmul_precision() != "highest":
        raise RuntimeError("exact coding needs torch.set_float32_matmul_precision('highest')")
