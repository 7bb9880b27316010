"""The data contract: every source yields ``Example``s (tokens + loss mask + the images the ViT
sees); a packer turns a stream of examples into fixed-shape ``Batch``es for training."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch


@dataclass
class Example:
    tokens: list[int]
    mask: list[bool]  # True where the token is a training target
    images: list[Any] = field(
        default_factory=list
    )  # FloatTensor[3, 64, 64] in [0, 1], in stream order

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.mask):
            raise ValueError(
                f"tokens ({len(self.tokens)}) and mask ({len(self.mask)}) differ in length"
            )


class Source(Protocol):
    """A data source. ``split`` is "train" or "val"; sources that are finite may end."""

    name: str

    def examples(self, rng: random.Random, split: str = "train") -> Iterator[Example]: ...


@dataclass
class Batch:
    """x/y are inputs/targets [B, T]; loss_mask [B, T] says which targets count.

    images [B, N, 3, 64, 64] with image_mask [B, N] are the pictures the ViT encodes for each row
    (N may be 0: no images in this batch, cross-attention is skipped).
    """

    x: torch.Tensor
    y: torch.Tensor
    loss_mask: torch.Tensor
    images: torch.Tensor | None = None
    image_mask: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> Batch:
        mv = lambda t: None if t is None else t.to(device, non_blocking=True)  # noqa: E731
        return Batch(
            mv(self.x), mv(self.y), mv(self.loss_mask), mv(self.images), mv(self.image_mask)
        )

    @property
    def n_target_tokens(self) -> int:
        return int(self.loss_mask.sum())
