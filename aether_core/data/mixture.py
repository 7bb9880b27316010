"""Weighted mixtures of sources, and building sources from config dicts (TOML ``[[data]]``).

Weights count examples, not tokens: a text window of ``seq_len`` bytes and a 150-token dialogue
are one draw each. Each source gets its own rng derived from the caller's (in list order), so a
given seed always gives the same stream.

Spec keys per ``type`` (``weight`` is the mixture weight, default 1.0; ``name`` optional):

- ``text``: ``paths`` (list or string), ``seq_len`` (default 1024), ``val_fraction`` (0.1)
- ``chat``: ``path``, ``val_fraction`` (0.05), ``train_roles`` (["assistant"]), ``system_prompt``
- ``coco``: ``annotations``, ``images`` (folder), ``val_fraction`` (0.05)
- ``synthetic``: ``skills`` (list; default all, image skills only with a VQ), ``weights``
  (skill -> weight), ``multi_turn`` (0.1), ``two_requests`` (0: share of turns that ask for two tool calls at
  once), ``image_pool`` (1024), ``stray_memories`` (0.1:
  share of non-memory turns that carry 1-2 irrelevant recalled memories)
- ``shapes``: synthetic shape captions only; ``image_pool``, ``multi_turn``
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import AetherError
from .base import Example, Source


class DataSpecError(AetherError, ValueError):
    """A data source spec (from the config) that cannot be built."""


class Mixture:
    """Draws each example from one of its sources, chosen by weight with the caller's rng.

    Finite sources (val splits) drop out when they end; the mixture ends when all have.
    """

    def __init__(self, sources: Sequence[tuple[Source, float]], name: str | None = None) -> None:
        if not sources:
            raise DataSpecError("a mixture needs at least one source")
        for src, w in sources:
            if not w >= 0:
                raise DataSpecError(f"source {getattr(src, 'name', src)!r}: weight must be >= 0")
        if sum(w for _, w in sources) <= 0:
            raise DataSpecError("mixture weights are all zero")
        self.sources = [(s, float(w)) for s, w in sources]
        self.name = name or " + ".join(f"{getattr(s, 'name', '?')}:{w:g}" for s, w in self.sources)

    def examples(self, rng: random.Random, split: str = "train") -> Iterator[Example]:
        live = [
            (src.examples(random.Random(rng.getrandbits(64)), split), w)
            for src, w in self.sources
            if w > 0
        ]
        while live:
            k = rng.choices(range(len(live)), weights=[w for _, w in live])[0]
            ex = next(live[k][0], None)
            if ex is None:
                del live[k]
                continue
            yield ex


_KEYS: dict[str, set[str]] = {
    "text": {"paths", "seq_len", "val_fraction"},
    "chat": {"path", "val_fraction", "train_roles", "system_prompt"},
    "coco": {"annotations", "images", "val_fraction"},
    "synthetic": {
        "skills",
        "weights",
        "multi_turn",
        "image_pool",
        "stray_memories",
        "two_requests",
    },
    "shapes": {"image_pool", "multi_turn"},
}
_COMMON = {"type", "weight", "name"}


def build_source(spec: dict[str, Any], vq: Any = None) -> Source:
    """A source from a config dict, e.g. ``{"type": "chat", "path": "sft.jsonl"}``."""
    if not isinstance(spec, dict):
        raise DataSpecError(f"data source spec must be a table, not {type(spec).__name__}")
    kind = spec.get("type")
    if kind not in _KEYS:
        raise DataSpecError(f"data source type {kind!r} unknown (choose from {', '.join(_KEYS)})")
    extra = set(spec) - _KEYS[kind] - _COMMON
    if extra:
        raise DataSpecError(f"data source {kind!r}: unknown option(s) {', '.join(sorted(extra))}")
    kw: dict[str, Any] = {k: spec[k] for k in _KEYS[kind] if k in spec}
    if "name" in spec:
        kw["name"] = spec["name"]

    def need(key: str) -> Any:
        if key not in spec:
            raise DataSpecError(f"data source {kind!r} needs {key!r}")
        return kw.pop(key)

    if kind == "text":
        from .text import TextSource

        return TextSource(need("paths"), **kw)
    if kind == "chat":
        from .chat import ChatSource

        return ChatSource(need("path"), vq=vq, **kw)
    if kind == "coco":
        from .coco import CocoCaptionSource

        return CocoCaptionSource(need("annotations"), need("images"), vq, **kw)
    from .synthetic import SyntheticSource, shapes_source

    if kind == "shapes":
        return shapes_source(vq, **kw)
    return SyntheticSource(vq=vq, **kw)


def build_mixture(specs: Sequence[dict[str, Any]], vq: Any = None) -> Mixture:
    """A mixture from ``[{"type": ..., "weight": w, ...}, ...]`` (the config's ``[[data]]``)."""
    if not specs:
        raise DataSpecError("no data sources configured")
    pairs = []
    for spec in specs:
        weight = spec.get("weight", 1.0) if isinstance(spec, dict) else 1.0
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise DataSpecError(f"data source weight must be a number, not {weight!r}")
        pairs.append((build_source(spec, vq=vq), float(weight)))
    return Mixture(pairs)
