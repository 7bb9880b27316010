"""Batches for the loop, reproducible from (seed, rank, step, micro-step).

Every training batch is a pure function of those four numbers, so a resumed run sees exactly the
batches the killed run would have seen, and each DDP rank sees a different stream. Validation
batches are a fixed sequence; ``val_batches(limit=...)`` takes an evenly spread subset of it for
cheap periodic evals, and the whole split for the final one.

Two kinds of data: plain files (``ByteFileData``: the bytes themselves, random windows for
training, the last ``val_fraction`` of each file cut into consecutive windows for validation) and
the project's sources (``MixtureData``: ``aether_core.data.mixture.build_mixture`` + its packer).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
import torch

from ..data.base import Batch
from ..errors import AetherError
from .config import DataConfig


class DataError(AetherError):
    """Data that cannot be used for training (missing file, too short for one window...)."""


class TrainData(Protocol):
    def train_batch(self, step: int, micro: int) -> Batch: ...

    def val_batches(
        self, limit: int | None = None, rank: int = 0, world: int = 1
    ) -> Iterator[Batch]: ...

    def num_val_batches(self) -> int | None: ...

    def describe(self) -> str: ...


def step_seed(seed: int, rank: int, step: int, micro: int) -> list[int]:
    """Entropy for one micro-batch; numpy's SeedSequence mixes it (no hash() involved)."""
    return [seed & 0xFFFFFFFF, rank, step, micro]


def spread(n: int, k: int | None) -> list[int]:
    """``k`` indices spread evenly over ``range(n)`` (all of them if k is None or >= n)."""
    if k is None or k >= n:
        return list(range(n))
    return sorted({int(i) for i in np.linspace(0, n - 1, max(1, k))})


class ByteFileData:
    """Plain files (or folders of .txt/.md) as one byte stream: the first ``1 - val_fraction`` is
    train, the rest val (as ``data.text.TextSource`` splits it). Batches are cut with numpy
    straight from the bytes: the benchmark path, where per-step Python overhead shows."""

    def __init__(
        self,
        paths: list[str],
        seq_len: int,
        batch_size: int,
        val_fraction: float,
        seed: int,
        rank: int = 0,
    ) -> None:
        if not paths:
            raise DataError("no data: give --data FILE (or [data] paths / sources in the config)")
        from ..data.text import read_text_bytes, split_bytes

        data = read_text_bytes(paths)  # the text source's reading and split: same bytes either way
        self.train = np.frombuffer(split_bytes(data, "train", val_fraction), dtype=np.uint8)
        self.val = np.frombuffer(split_bytes(data, "val", val_fraction), dtype=np.uint8)
        self.paths, self.seq_len, self.batch_size = list(paths), seq_len, batch_size
        self.seed, self.rank = seed, rank
        if len(self.train) < seq_len + 1:
            raise DataError(
                f"training split has {len(self.train)} bytes, fewer than one window of {seq_len + 1}"
            )
        if len(self.val) < 2:
            raise DataError("validation split is empty: the data files are too short")
        self._windows = np.lib.stride_tricks.sliding_window_view(self.train, seq_len + 1)

    def train_batch(self, step: int, micro: int) -> Batch:
        rng = np.random.default_rng(step_seed(self.seed, self.rank, step, micro))
        offsets = rng.integers(0, len(self._windows), size=self.batch_size)
        chunk = torch.from_numpy(self._windows[offsets].astype(np.int64))
        x, y = chunk[:, :-1], chunk[:, 1:]
        return Batch(x, y, torch.ones_like(y, dtype=torch.bool))

    def _val_rows(self) -> int:
        return max(1, -(-(len(self.val) - 1) // self.seq_len))

    def num_val_batches(self) -> int:
        return -(-self._val_rows() // self.batch_size)

    def val_batches(
        self, limit: int | None = None, rank: int = 0, world: int = 1
    ) -> Iterator[Batch]:
        """Consecutive windows overlapping by one byte: every val byte after the first is a target
        exactly once (the last window is padded, its padding masked out)."""
        T = self.seq_len
        rows = self._val_rows()
        for k, b in enumerate(spread(self.num_val_batches(), limit)):
            if k % world != rank:
                continue
            idx = range(b * self.batch_size, min(rows, (b + 1) * self.batch_size))
            x = torch.zeros(len(idx), T, dtype=torch.long)
            y = torch.zeros(len(idx), T, dtype=torch.long)
            m = torch.zeros(len(idx), T, dtype=torch.bool)
            for r, i in enumerate(idx):
                seg = torch.from_numpy(self.val[i * T : i * T + T + 1].astype(np.int64))
                n = len(seg) - 1
                x[r, :n], y[r, :n], m[r, :n] = seg[:-1], seg[1:], True
            yield Batch(x, y, m)

    def describe(self) -> str:
        return f"{len(self.train):,} train / {len(self.val):,} val bytes from {len(self.paths)} file(s)"


class MixtureData:
    """The project's sources (chat, COCO, synthetic, ...) through ``build_mixture`` and the packer.

    A training batch re-creates the example stream from a per-step RNG and packs one batch from
    it: no iterator state to save, exact resume for free.
    """

    def __init__(
        self,
        cfg: DataConfig,
        seq_len: int,
        batch_size: int,
        seed: int,
        rank: int = 0,
        vq: Any = None,
        val_cap: int = 200,
    ) -> None:
        try:
            from ..data import mixture, packing
        except ImportError as e:
            raise DataError(f"data sources are not available in this checkout ({e})") from None
        self._mixture_mod, self._packing = mixture, packing
        self.source = _build_mixture(mixture, cfg, vq, seq_len)
        self.seq_len, self.batch_size, self.seed, self.rank = seq_len, batch_size, seed, rank
        self.val_cap = val_cap
        self._val: list[Batch] | None = None

    def _pack(self, examples: Iterator[Any]) -> Iterator[Batch]:
        return _pack(self._packing, examples, self.seq_len, self.batch_size)

    def train_batch(self, step: int, micro: int) -> Batch:
        rng = random.Random("/".join(map(str, step_seed(self.seed, self.rank, step, micro))))
        batch = next(iter(self._pack(self.source.examples(rng, "train"))), None)
        if batch is None:
            raise DataError("the training sources produced no examples")
        return batch

    def _val_list(self) -> list[Batch]:
        if self._val is None:
            rng = random.Random(f"{self.seed}/val")
            self._val = []
            for b in self._pack(self.source.examples(rng, "val")):
                self._val.append(b)
                if len(self._val) >= self.val_cap:
                    break
        return self._val

    def num_val_batches(self) -> int:
        return len(self._val_list())

    def val_batches(
        self, limit: int | None = None, rank: int = 0, world: int = 1
    ) -> Iterator[Batch]:
        val = self._val_list()
        for k, i in enumerate(spread(len(val), limit)):
            if k % world == rank:
                yield val[i]

    def describe(self) -> str:
        return f"mixture of {getattr(self.source, 'name', 'sources')}"


def _build_mixture(mixture: Any, cfg: DataConfig, vq: Any, seq_len: int) -> Any:
    """Text sources without their own window length get the training context."""
    specs = [
        {**s, "seq_len": seq_len} if s.get("type") == "text" and "seq_len" not in s else s
        for s in cfg.sources
    ]
    return mixture.build_mixture(specs, vq=vq)


def _pack(packing: Any, examples: Iterator[Any], seq_len: int, batch_size: int) -> Iterator[Batch]:
    return packing.pack(examples, seq_len=seq_len, batch_size=batch_size)


def build_data(
    cfg: DataConfig, seq_len: int, batch_size: int, seed: int, rank: int = 0, vq: Any = None
) -> TrainData:
    if cfg.sources:
        return MixtureData(cfg, seq_len, batch_size, seed, rank, vq=vq)
    return ByteFileData(cfg.paths, seq_len, batch_size, cfg.val_fraction, seed, rank)
