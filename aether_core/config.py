"""Model configuration as dataclasses, serialized to JSON beside the weights; typed and
range-checked by :mod:`aether_core.validation` (the one mechanism every config uses)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .validation import (
    ConfigError,
    bounded,
    check_fields,
    from_dict,
    load_config_file,
    register_nested,
)

__all__ = ["ConfigError", "HierConfig", "ModelConfig", "ViTConfig", "from_dict",
           "load_config_file", "register_nested"]  # fmt: skip


# Bounds far beyond any model this runs, yet small enough that nothing is allocated for
# nonsense: the parameter count is checked as a whole by ``ModelConfig.size_estimate``.
MAX_WIDTH = 65536
MAX_LAYERS = 1024
MAX_SEQ = 1 << 20
MAX_TABLE = 1 << 24


def _check_ngram_sizes(sizes: tuple[int, ...]) -> None:
    if len(sizes) > 64 or any(not 2 <= n <= 64 for n in sizes):
        raise ConfigError("ngram_sizes must be at most 64 sizes, each in 2..64")


@dataclass
class ViTConfig:
    """TinyPatchViT: 64x64 RGB -> n_queries vision tokens."""

    image_size: int = bounded(64, ge=8, le=1024)
    patch_size: int = bounded(8, ge=1, le=1024)
    dim: int = bounded(192, ge=1, le=MAX_WIDTH)
    n_layers: int = bounded(2, ge=0, le=MAX_LAYERS)
    n_heads: int = bounded(4, ge=1, le=1024)
    n_queries: int = bounded(48, ge=1, le=4096)

    def __post_init__(self) -> None:
        check_fields(self)
        if self.image_size % self.patch_size:
            raise ConfigError(f"patch_size {self.patch_size} does not divide {self.image_size}")
        if self.dim % self.n_heads:
            raise ConfigError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")

    def size_estimate(self, out_dim: int) -> int:
        """Parameters of the ViT (patch stem, layers, queries, output projection)."""
        n_patches = (self.image_size // self.patch_size) ** 2
        stem = 3 * self.patch_size**2 * self.dim + (n_patches + self.n_queries) * self.dim
        return stem + self.n_layers * 12 * self.dim**2 + self.dim * out_dim


@dataclass
class HierConfig:
    """Hierarchical (entropy-patched) backbone; used when ModelConfig.arch == "hierarchical"."""

    local_dim: int = bounded(256, ge=1, le=MAX_WIDTH)
    local_heads: int = bounded(4, ge=1, le=1024)
    encoder_layers: int = bounded(1, ge=0, le=MAX_LAYERS)
    decoder_layers: int = bounded(2, ge=0, le=MAX_LAYERS)
    window: int = bounded(64, ge=1, le=MAX_SEQ)  # local encoder/decoder attention window (bytes)
    ngram_sizes: tuple[int, ...] = (3, 4, 5, 6, 7, 8)
    ngram_table: int = bounded(2048, ge=1, le=MAX_TABLE)  # hash buckets per n-gram size
    patcher: str = "space"  # "fixed" | "space" | "entropy" | "entropy_monotonic"
    patch_size: int = bounded(4, ge=1, le=4096)  # for the fixed patcher
    max_patch: int = bounded(16, ge=1, le=4096)  # longest patch any patcher makes
    entropy_threshold: float = 2.0
    entropy_checkpoint: str | None = None
    image_patch: int = bounded(8, ge=1, le=4096)  # image VQ codes are cut into chunks this long
    cross_patches: int = bounded(4, ge=1, le=4096)  # decoder bytes attend to this many patches
    entropy_dim: int = bounded(64, ge=1, le=MAX_WIDTH)  # the small flat LM of entropy patchers
    entropy_layers: int = bounded(2, ge=0, le=MAX_LAYERS)
    entropy_heads: int = bounded(4, ge=1, le=1024)
    memory_slots: int = bounded(0, ge=0, le=4096)  # > 0: gated memory slots of the global model
    memory_segment: int = bounded(16, ge=1, le=MAX_SEQ)  # patches per segment (written once whole)

    def __post_init__(self) -> None:
        check_fields(self)
        _check_ngram_sizes(self.ngram_sizes)

    def size_estimate(self, vocab: int) -> int:
        """Parameters of the local encoder/decoder, n-gram tables and entropy model."""
        d, e = self.local_dim, self.entropy_dim
        local = (self.encoder_layers + 2 * self.decoder_layers) * 12 * d * d
        tables = len(self.ngram_sizes) * self.ngram_table * d
        return local + tables + vocab * (d + e) + self.entropy_layers * 12 * e * e + 4 * d * d


@dataclass
class ModelConfig:
    """ByteTransformer shape. Defaults follow the original design (512 wide, 8 layers, 16 heads)."""

    arch: str = bounded("flat", choices=("flat", "hierarchical"))
    vocab_size: int = bounded(512, ge=1, le=1 << 16)  # tokens are stored as uint16
    dim: int = bounded(512, ge=1, le=MAX_WIDTH)
    n_layers: int = bounded(8, ge=1, le=MAX_LAYERS)
    n_heads: int = bounded(16, ge=1, le=1024)
    n_kv_heads: int | None = bounded(None, ge=1, le=1024)  # < n_heads: GQA; 1: multi-query
    hidden_dim: int | None = bounded(None, ge=1, le=16 * MAX_WIDTH)  # None: 8/3*dim rounded
    max_seq_len: int = bounded(8192, ge=1, le=MAX_SEQ)
    dropout: float = bounded(0.0, ge=0.0, lt=1.0)
    qk_norm: bool = False
    tie_embeddings: bool = True
    rope_theta: float = bounded(10000.0, gt=0.0)
    norm_eps: float = bounded(1e-5, gt=0.0, lt=1.0)
    attention: str = bounded("standard", choices=("standard", "diff"))  # diff: differential
    cross_attn: bool = True  # layers cross-attend to vision tokens when an image is present
    cross_attn_every: int = bounded(1, ge=1, le=MAX_LAYERS)  # every k-th layer cross-attends
    # flat only: add hashed embeddings of the n-grams ending at each byte (BLT-style; () = off)
    ngram_sizes: tuple[int, ...] = ()
    ngram_table: int = bounded(4096, ge=1, le=MAX_TABLE)  # buckets per n-gram size
    vision: ViTConfig = field(default_factory=ViTConfig)
    hier: HierConfig = field(default_factory=HierConfig)

    def __post_init__(self) -> None:
        check_fields(self)
        if self.dim % self.n_heads:
            raise ConfigError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")
        if self.n_heads % self.kv_heads:
            raise ConfigError(
                f"n_heads {self.n_heads} is not a multiple of n_kv_heads {self.kv_heads}"
            )
        _check_ngram_sizes(self.ngram_sizes)
        if (self.dim // self.n_heads) % 2:
            raise ConfigError("head dimension must be even for rotary embeddings")

    @property
    def rope_numbers(self) -> int:
        """Size of the RoPE tables (buffers built with the model, not saved with the weights)."""
        return 2 * self.max_seq_len * self.head_dim

    def size_estimate(self) -> int:
        """About how many parameters this config describes (within ~10% of the built model),
        from the config alone: checked against a limit before anything is allocated."""
        d, hd = self.dim, self.head_dim
        attn = d * (self.n_heads + 2 * self.kv_heads) * hd + d * d
        if self.attention == "diff":
            attn *= 2
        cross = 2 * d * d + 2 * d * self.kv_heads * hd
        n_cross = sum(self.has_cross(i) for i in range(self.n_layers))
        total = self.n_layers * (attn + 3 * d * self.ffn_dim) + n_cross * cross
        total += self.vocab_size * d * (1 if self.tie_embeddings else 2)
        total += len(self.ngram_sizes) * self.ngram_table * d
        if self.cross_attn:
            total += self.vision.size_estimate(d)
        if self.arch == "hierarchical":
            total += self.hier.size_estimate(self.vocab_size)
        return total

    @property
    def kv_heads(self) -> int:
        return self.n_kv_heads or self.n_heads

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    @property
    def ffn_dim(self) -> int:
        if self.hidden_dim:
            return self.hidden_dim
        return ((8 * self.dim // 3) + 63) // 64 * 64

    def has_cross(self, layer: int) -> bool:
        return self.cross_attn and layer % self.cross_attn_every == 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "") -> ModelConfig:
        return from_dict(cls, d, where)


register_nested(ViTConfig)
register_nested(HierConfig)
