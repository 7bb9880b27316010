"""Model configuration as dataclasses, serialized to JSON beside the weights."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .errors import AetherError

T = TypeVar("T")


class ConfigError(AetherError, ValueError):
    """A config file or dict that does not describe a valid configuration."""


@dataclass
class ViTConfig:
    """TinyPatchViT: 64x64 RGB -> n_queries vision tokens."""

    image_size: int = 64
    patch_size: int = 8
    dim: int = 192
    n_layers: int = 2
    n_heads: int = 4
    n_queries: int = 48


@dataclass
class HierConfig:
    """Hierarchical (entropy-patched) backbone; used when ModelConfig.arch == "hierarchical"."""

    local_dim: int = 256
    local_heads: int = 4
    encoder_layers: int = 1
    decoder_layers: int = 2
    window: int = 64  # local encoder/decoder attention window (bytes)
    ngram_sizes: tuple[int, ...] = (3, 4, 5, 6, 7, 8)
    ngram_table: int = 2048  # hash buckets per n-gram size (6 sizes x table x local_dim params)
    patcher: str = "space"  # "fixed" | "space" | "entropy" | "entropy_monotonic"
    patch_size: int = 4  # for the fixed patcher
    max_patch: int = 16  # longest patch any patcher makes
    entropy_threshold: float = 2.0
    entropy_checkpoint: str | None = None
    image_patch: int = 8  # image VQ codes are cut into fixed chunks of this many bytes
    cross_patches: int = 4  # decoder bytes cross-attend to this many latest global patch outputs
    entropy_dim: int = 64  # the small flat LM inside the model for the entropy patchers
    entropy_layers: int = 2
    entropy_heads: int = 4
    memory_slots: int = 0  # > 0: the global model reads/writes this many gated memory slots
    memory_segment: int = 16  # patches per memory segment (slots are written once it completes)


@dataclass
class ModelConfig:
    """ByteTransformer shape. Defaults follow the original design (512 wide, 8 layers, 16 heads)."""

    arch: str = "flat"  # "flat" | "hierarchical"
    vocab_size: int = 512
    dim: int = 512
    n_layers: int = 8
    n_heads: int = 16
    n_kv_heads: int | None = None  # < n_heads: grouped-query attention; 1: multi-query
    hidden_dim: int | None = None  # SwiGLU width; None: 8/3 * dim rounded up to 64
    max_seq_len: int = 8192
    dropout: float = 0.0
    qk_norm: bool = False
    tie_embeddings: bool = True
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    attention: str = "standard"  # "standard" | "diff" (differential attention)
    cross_attn: bool = True  # layers cross-attend to vision tokens when an image is present
    cross_attn_every: int = 1  # every k-th layer has cross-attention
    # flat only: add hashed embeddings of the n-grams ending at each byte (BLT-style; () = off)
    ngram_sizes: tuple[int, ...] = ()
    ngram_table: int = 4096  # buckets per n-gram size
    vision: ViTConfig = field(default_factory=ViTConfig)
    hier: HierConfig = field(default_factory=HierConfig)

    def __post_init__(self) -> None:
        for name in ("vocab_size", "dim", "n_heads", "max_seq_len", "cross_attn_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.n_kv_heads is not None and self.n_kv_heads < 1:
            raise ConfigError(f"n_kv_heads must be at least 1 (or null), not {self.n_kv_heads}")
        if self.arch not in ("flat", "hierarchical"):
            raise ConfigError(f"arch must be 'flat' or 'hierarchical', not {self.arch!r}")
        if self.attention not in ("standard", "diff"):
            raise ConfigError(f"attention must be 'standard' or 'diff', not {self.attention!r}")
        if self.dim % self.n_heads:
            raise ConfigError(f"dim {self.dim} is not divisible by n_heads {self.n_heads}")
        if self.kv_heads < 1 or self.n_heads % self.kv_heads:
            raise ConfigError(
                f"n_heads {self.n_heads} is not a multiple of n_kv_heads {self.kv_heads}"
            )
        if self.ngram_sizes and (min(self.ngram_sizes) < 2 or self.ngram_table < 1):
            raise ConfigError("ngram_sizes must all be >= 2 and ngram_table >= 1")
        if (self.dim // self.n_heads) % 2:
            raise ConfigError("head dimension must be even for rotary embeddings")

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
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        return from_dict(cls, d)


def from_dict(cls: type[T], d: dict[str, Any]) -> T:
    """Build a (possibly nested) dataclass from a dict, rejecting unknown keys by name."""
    if not isinstance(d, dict):
        raise ConfigError(f"{cls.__name__} config must be an object, got {type(d).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(d) - set(fields))
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for name, value in d.items():
        ftype = fields[name].type
        sub = _NESTED.get(ftype if isinstance(ftype, str) else getattr(ftype, "__name__", ""))
        if sub is not None and isinstance(value, dict):
            value = from_dict(sub, value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"bad {cls.__name__} config: {e}") from None


_NESTED: dict[str, type] = {"ViTConfig": ViTConfig, "HierConfig": HierConfig}


def register_nested(cls: type) -> type:
    """Let from_dict rebuild another nested config dataclass (used by train configs)."""
    _NESTED[cls.__name__] = cls
    return cls


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or TOML config file into a dict, with a one-line error on failure."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror or e})") from None
    try:
        if path.suffix == ".toml":
            return tomllib.loads(raw.decode("utf-8"))
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'} ({e})") from None
