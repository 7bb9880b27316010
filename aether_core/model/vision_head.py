"""The vision head: what the ViT's tokens say a shapes picture shows (shape, colour, background).

The byte model reads its ViT through cross-attention and learned to on the combinations of
(shape, colour, background) its training captions hold; on combinations it never saw, it names a
wrong shape or a neighbouring colour about one picture in ten. The ViT itself tells them apart:
one linear layer per label on its mean token, fitted on the training combinations only, reads
the held-out ones right about 98 times in 100. The agent holds a caption's words to this head
where it is sure (agent/seeing.py). The same layers are ``aether train vit``'s probe heads.

``fit_vision_head`` fits them on a checkpoint's frozen ViT (`aether train vision-head`), and the
result ships beside the weights as ``vision_head.safetensors``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..data.shapes import COLOURS, SHAPES, ShapeSpec, random_spec, render

HEAD_FILE = "vision_head.safetensors"
LABELS: dict[str, tuple[str, ...]] = {
    "shape": SHAPES,
    "colour": tuple(COLOURS),
    "background": tuple(COLOURS),
}
SURE = 0.8  # the least probability at which a label is taken as read


class VisionHead(nn.ModuleDict):
    """One linear layer per label on the mean of the ViT's tokens."""

    def __init__(self, dim: int) -> None:
        super().__init__({k: nn.Linear(dim, len(v)) for k, v in LABELS.items()})

    def forward(self, tokens: Tensor) -> dict[str, Tensor]:  # type: ignore[override]
        """tokens [N, Q, D] -> logits per label [N, len(label's names)]."""
        pooled = tokens.float().mean(1)
        return {k: head(pooled) for k, head in self.items()}


@dataclass(frozen=True)
class Sight:
    """What the head reads in one picture: a label's name where it is sure (``SURE``), else
    None."""

    shape: str | None
    colour: str | None
    background: str | None


def read_sight(head: VisionHead, tokens: Tensor) -> Sight:
    """The head's reading of one picture's ViT tokens [Q, D]."""
    with torch.inference_mode():
        logits = head(tokens[None])
    names = {}
    for k, v in LABELS.items():
        p, i = F.softmax(logits[k][0], -1).max(-1)
        names[k] = v[int(i)] if float(p) >= SURE else None
    return Sight(**names)


def load_vision_head(directory: str | Path, dim: int) -> VisionHead | None:
    """A checkpoint's vision head; None where it has none."""
    from ..checkpoint import load_weights

    path = Path(directory) / HEAD_FILE
    if not path.exists():
        return None
    head = VisionHead(dim)
    load_weights(head, path)  # names, shapes, a truncated file: one line
    return head.eval()


def fit_vision_head(
    vit: nn.Module, dim: int, images: int = 6000, seed: int = 0, steps: int = 400
) -> tuple[VisionHead, dict[str, float]]:
    """Fit the head on the frozen ``vit`` (full-batch Adam on standardised features, folded back
    into the layers) with pictures of the training combinations; returns it and its accuracy per
    label on as many pictures of the held-out combinations."""
    from ..data.skills.caption import triple_split

    rng = random.Random(seed)
    torch.manual_seed(seed)
    feats, labels = {}, {}
    for split, n in (("train", images), ("eval", images // 4)):
        specs: list[ShapeSpec] = []
        while len(specs) < n:
            spec = random_spec(rng)
            if triple_split(spec) == split:
                specs.append(spec)
        chunks = [labelled(specs[i : i + 256]) for i in range(0, n, 256)]
        with torch.inference_mode():
            dtype = next(vit.parameters()).dtype
            feats[split] = torch.cat([vit(x.to(dtype)).float().mean(1) for x, _ in chunks])
        labels[split] = {k: torch.cat([y[k] for _, y in chunks]) for k in LABELS}
    mu, sd = feats["train"].mean(0), feats["train"].std(0) + 1e-5
    x = (feats["train"] - mu) / sd
    head = VisionHead(dim)
    opt = torch.optim.Adam(head.parameters(), lr=1e-2, weight_decay=1e-4)
    for _ in range(steps):
        loss = label_loss({k: layer(x) for k, layer in head.items()}, labels["train"])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():  # w·(f-mu)/sd + b == (w/sd)·f + (b - w·mu/sd): the head takes raw tokens
        for layer in head.values():
            w = layer.weight / sd
            layer.bias -= w @ mu
            layer.weight.copy_(w)
        held = head(feats["eval"][:, None])
    acc = {k: float((held[k].argmax(-1) == labels["eval"][k]).float().mean()) for k in LABELS}
    return head.eval(), acc


def ship_vision_head(
    vit: nn.Module, dim: int, directory: str | Path, **fit: int
) -> dict[str, float]:
    """Fit the head on ``vit`` (``fit_vision_head``'s options) and write it into ``directory``
    atomically; returns its held-out accuracy per label."""
    from ..checkpoint import save_weights

    head, acc = fit_vision_head(vit, dim, **fit)
    Path(directory).mkdir(parents=True, exist_ok=True)
    save_weights(
        Path(directory) / HEAD_FILE, {k: v.contiguous() for k, v in head.state_dict().items()}
    )
    return acc


def labelled(specs: Sequence[ShapeSpec]) -> tuple[Tensor, dict[str, Tensor]]:
    """The pictures of ``specs`` [n, 3, 64, 64] and their label indices (``LABELS``)."""
    from .vq import image_to_tensor

    images = torch.stack([image_to_tensor(render(s)) for s in specs])
    return images, {
        k: torch.tensor([names.index(getattr(s, k)) for s in specs]) for k, names in LABELS.items()
    }


def label_loss(logits: dict[str, Tensor], labels: dict[str, Tensor]) -> Tensor:
    """Sum over the labels of their mean cross-entropy."""
    return sum(F.cross_entropy(logits[k], labels[k].to(logits[k].device)) for k in LABELS)  # type: ignore[return-value]
