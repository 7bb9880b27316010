"""Model configuration as dataclasses, serialized to JSON beside the weights.

Every config dataclass here (and the training and TUI settings built on it) is checked by one
mechanism: :func:`check_fields`, called from ``__post_init__``, holds each field to its annotation
(``int`` is not ``bool`` or ``1.5``, floats are finite, ``tuple[int, ...]`` holds ints) and to the
bounds declared with :func:`bounded`; cross-field rules stay in ``__post_init__``. Errors are one
line naming the field (``model.dim must be <= 65536, not 1000000000``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

from .errors import AetherError

T = TypeVar("T")


class ConfigError(AetherError, ValueError):
    """A config file or dict that does not describe a valid configuration."""


# ----------------------------------------------------------------------------- typed fields
def bounded(
    default: Any = dataclasses.MISSING,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[Any, ...] | None = None,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field whose value :func:`check_fields` keeps within the bounds or choices."""
    meta = {"ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices}
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


@functools.cache
def field_hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of a dataclass (``from __future__ import annotations`` makes
    them strings)."""
    return typing.get_type_hints(cls)


def check_fields(obj: Any) -> None:
    """Hold every field of the dataclass ``obj`` to its type and bounds (coercing int to float
    and lists to tuples in place); raise :class:`ConfigError` naming the first bad field."""
    hints = field_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name in hints:
            object.__setattr__(obj, f.name, check_value(f, hints[f.name], getattr(obj, f.name)))


def check_value(f: dataclasses.Field, hint: Any, value: Any) -> Any:
    """``value`` checked (and coerced) for the field ``f`` of type ``hint``, or ConfigError."""
    value = _coerce(hint, value, f.name)
    meta = f.metadata
    if value is None or not meta:
        return value
    if meta.get("choices") is not None and value not in meta["choices"]:
        options = ", ".join(map(str, meta["choices"]))
        raise ConfigError(f"{f.name} must be one of {options}, not {_show(value)}")
    for key, ok, words in (
        ("ge", lambda v, b: v >= b, "at least"),
        ("gt", lambda v, b: v > b, "above"),
        ("le", lambda v, b: v <= b, "at most"),
        ("lt", lambda v, b: v < b, "below"),
    ):
        bound = meta.get(key)
        if bound is not None and isinstance(value, int | float) and not ok(value, bound):
            shown = bound if isinstance(bound, int) else f"{bound:g}"
            raise ConfigError(f"{f.name} must be {words} {shown}, not {_show(value)}")
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _coerce(hint: Any, value: Any, name: str) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is not type(None):
                try:
                    return _coerce(arg, value, name)
                except ConfigError:
                    continue
        raise ConfigError(f"{name} must be {_describe(hint)}, not {_show(value)}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ConfigError(f"{name} must be a finite number, not {_show(value)}")
            return float(value)
    elif hint is int or hint is bool or hint is str:
        if type(value) is hint or (hint is str and isinstance(value, str)):
            return value
    elif origin in (tuple, list) and isinstance(value, list | tuple):
        item = args[0] if args else Any
        items = [_coerce(item, v, f"{name}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    elif origin is dict and isinstance(value, dict):
        return {k: _coerce(args[1] if args else Any, v, f"{name}.{k}") for k, v in value.items()}
    elif isinstance(hint, type) and isinstance(value, hint):
        return value
    raise ConfigError(f"{name} must be {_describe(hint)}, not {_show(value)}")


def _describe(hint: Any) -> str:
    if get_origin(hint) in (Union, types.UnionType):
        return " or ".join("null" if a is type(None) else _describe(a) for a in get_args(hint))
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    if hint in names:
        return names[hint]
    if get_origin(hint) in (tuple, list):
        plural = {int: "integers", float: "numbers", bool: "booleans", str: "strings"}
        return (
            f"a list of {plural.get(get_args(hint)[0], 'values') if get_args(hint) else 'values'}"
        )
    if get_origin(hint) is dict:
        return "a table"
    return getattr(hint, "__name__", str(hint))


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


def from_dict(cls: type[T], d: dict[str, Any], where: str = "") -> T:
    """Build a (possibly nested) dataclass from a dict, rejecting unknown keys by name; errors
    name the field with its path (``where`` is the prefix, e.g. ``"model."``)."""
    if not isinstance(d, dict):
        name = where.rstrip(".") or cls.__name__
        raise ConfigError(f"{name} must be an object (a table), not {type(d).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(d) - set(fields))
    if unknown:
        shown = ", ".join(_show(u) for u in unknown[:5])
        raise ConfigError(f"unknown {cls.__name__} field(s): {shown}")
    kwargs: dict[str, Any] = {}
    for name, value in d.items():
        ftype = fields[name].type
        sub = _NESTED.get(ftype if isinstance(ftype, str) else getattr(ftype, "__name__", ""))
        if sub is not None and isinstance(value, dict):
            value = from_dict(sub, value, f"{where}{name}.")
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise ConfigError(f"{where}{e}") from None
    except (TypeError, ValueError) as e:
        raise ConfigError(f"bad {where.rstrip('.') or cls.__name__} config: {e}") from None


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
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'} ({e})") from None
