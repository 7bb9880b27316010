"""The fixed tables of the exact coding path: exp and sigmoid lookups and the RoPE rotations.

They replace the only float functions whose last bits differ between machines (exp, erf, sin and
cos are computed by libm or by vectorized kernels chosen per CPU). Each table is computed once in
float64 and rounded (to integers or to float32), so a platform whose libm is off by an ulp still
gets the same table except at an exact rounding tie; ``fingerprint`` hashes them all with the
kernel's version, a stream records it, and a decoder whose tables or kernel differ refuses before
it decodes anything.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

# Bumped whenever the exact kernel's arithmetic changes: a stream coded by another version is
# refused in one line instead of decoding garbage. 2: numpy kernel, one-pass attention values.
KERNEL_VERSION = 2
EXP_STEPS = 32  # lookups resolve 1/32 nat: the logit rounding costs < 0.001 bit per byte
EXP_ONE = 1 << 16  # exp(0) in the table's fixed point
EXP_SIZE = 32 * 24  # exp(-24) * 2^16 rounds to 0: the table covers every weight that counts
SIG_STEPS = 256  # the sigmoid's input resolves 1/256
SIG_RANGE = 16  # inside [-16, 16); beyond, the end entries (within 1.2e-7 of 0 and 1)
SIG_OFFSET = SIG_RANGE * SIG_STEPS + 0.5  # x * 256 + this, truncated: the rounded table index
SIG_LAST = 2 * SIG_RANGE * SIG_STEPS - 1


@functools.lru_cache(maxsize=1)
def exp_table() -> np.ndarray:
    """round(2^16 * exp(-k / 32)) for k = 0..EXP_SIZE-1 (integers, exact in float32)."""
    k = np.arange(EXP_SIZE, dtype=np.float64)
    return np.round(EXP_ONE * np.exp(-k / EXP_STEPS)).astype(np.float32)


@functools.lru_cache(maxsize=1)
def sigmoid_table() -> np.ndarray:
    """sigmoid(i / 256) for i = -16*256 .. 16*256 - 1, rounded to float32."""
    x = np.arange(-SIG_RANGE * SIG_STEPS, SIG_RANGE * SIG_STEPS, dtype=np.float64) / SIG_STEPS
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


@functools.lru_cache(maxsize=8)
def rope_tables(head_dim: int, max_len: int, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin [max_len, head_dim] (rotate-half layout, as the model's own), in float64 then
    rounded to float32."""
    inv = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    ang = np.outer(np.arange(max_len, dtype=np.float64), inv)
    ang = np.concatenate([ang, ang], axis=1)
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


def silu_gate(gate: np.ndarray, up: np.ndarray) -> np.ndarray:
    """silu(gate) * up, with the sigmoid from the table (the gate rounded to 1/256); ``gate`` is
    overwritten."""
    idx = gate * SIG_STEPS  # a power of two: exact
    idx += SIG_OFFSET
    np.clip(idx, 0, SIG_LAST, out=idx)
    out = sigmoid_table().take(idx.astype(np.int32))
    out *= gate
    out *= up
    return out


def neg_exp_weights(t: np.ndarray) -> np.ndarray:
    """Unnormalized softmax weights from ``t`` = -32 * scores (+inf = masked) along the last dim:
    integers (exact in float32), 2^16 at each row's maximum score. ``t`` is overwritten."""
    t -= t.min(-1, keepdims=True)
    np.minimum(t, EXP_SIZE - 1, out=t)
    np.rint(t, out=t)
    return exp_table().take(t.astype(np.int32))


def fingerprint(head_dim: int, max_len: int, theta: float) -> str:
    """A hash of the kernel's version and of every table it uses at this shape."""
    h = hashlib.sha256(b"kernel %d" % KERNEL_VERSION)
    for t in (exp_table(), sigmoid_table(), *rope_tables(head_dim, max_len, theta)):
        h.update(t.tobytes())
    return h.hexdigest()[:16]


def check_float_precision() -> None:
    """The exact path relies on fp32 matmuls being fp32 (no TF32/bf16 shortcuts)."""
    import torch

    if torch.get_float32_matmul_precision() != "highest":
        raise RuntimeError("exact coding needs torch.set_float32_matmul_precision('highest')")
