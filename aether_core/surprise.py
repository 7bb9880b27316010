"""Surprisal maps: each byte of a file coloured by how many bits the model needs for it.

Corrupted regions, foreign insertions and unusual passages cost many more bits than the text
around them, so they stand out. The costs are ``compress.byte_costs``: exactly what the coder
would spend, so the map and ``aether compress`` always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image
from rich.text import Text

HEAT_MAX = 12.0  # bits; anything above is drawn at the top of the scale
# dark blue (predictable) -> green -> yellow -> red (surprising)
_STOPS = np.array(
    [[0.0, 40, 60, 140], [0.25, 40, 150, 90], [0.5, 220, 210, 40], [0.75, 240, 120, 30],
     [1.0, 230, 20, 30]]
)  # fmt: skip


def heat(bits: np.ndarray) -> np.ndarray:
    """Bits [N] -> RGB uint8 [N, 3] on the heat scale (0 .. HEAT_MAX bits)."""
    x = np.clip(np.asarray(bits, dtype=np.float64) / HEAT_MAX, 0.0, 1.0)
    rgb = [np.interp(x, _STOPS[:, 0], _STOPS[:, k]) for k in (1, 2, 3)]
    return np.stack(rgb, axis=-1).round().astype(np.uint8)


def _glyph(b: int) -> str:
    if b == 0x0A:
        return "↵\n"
    if b == 0x09:
        return "→"
    if 0x20 <= b < 0x7F:
        return chr(b)
    return "·"  # other bytes (control, non-ASCII): one cell each, so offsets stay visible


def render(data: bytes, bits: np.ndarray, limit: int | None = None) -> Text:
    """The file as rich Text, each byte on its heat colour (the first ``limit`` bytes)."""
    text = Text()
    colours = heat(bits)
    end = len(data) if limit is None else min(len(data), limit)
    for i in range(end):
        r, g, b = (int(c) for c in colours[i])
        fg = "black" if (r * 299 + g * 587 + b * 114) > 140_000 else "white"
        text.append(_glyph(data[i]), style=f"{fg} on rgb({r},{g},{b})")
    return text


def legend(steps: int = 7) -> Text:
    text = Text("bits/byte: ")
    for v in np.linspace(0, HEAT_MAX, steps):
        r, g, b = (int(c) for c in heat(np.array([v]))[0])
        text.append(f" {v:.0f}{'+' if v >= HEAT_MAX else ''} ", style=f"black on rgb({r},{g},{b})")
    return text


@dataclass(frozen=True)
class Span:
    start: int
    end: int  # exclusive
    mean_bits: float


def top_spans(bits: np.ndarray, n: int = 5, width: int = 16) -> list[Span]:
    """The ``n`` most surprising non-overlapping stretches: peaks of the ``width``-byte moving
    average, each grown while its neighbours stay above the file's mean + 1 std."""
    bits = np.asarray(bits, dtype=np.float64)
    if len(bits) == 0 or n <= 0:
        return []
    w = max(1, min(width, len(bits)))
    avg = np.convolve(bits, np.ones(w) / w, mode="valid")  # avg[i] = mean of bits[i : i + w]
    high = bits.mean() + bits.std()
    taken = np.zeros(len(bits), dtype=bool)
    spans: list[Span] = []
    for i in np.argsort(-avg, kind="stable"):
        if len(spans) >= n:
            break
        if taken[i : i + w].any():
            continue
        start, end = int(i), int(i) + w
        while start > 0 and not taken[start - 1] and bits[start - 1] > high:
            start -= 1
        while end < len(bits) and not taken[end] and bits[end] > high:
            end += 1
        taken[start:end] = True
        spans.append(Span(start, end, float(bits[start:end].mean())))
    return spans


def heat_png(bits: np.ndarray, path_width: int = 128, scale: int = 4) -> Image.Image:
    """The map as an image: ``path_width`` bytes per row, each byte a ``scale``-pixel square."""
    n = max(1, len(bits))
    rows = -(-n // path_width)
    grid = np.zeros((rows * path_width, 3), dtype=np.uint8)
    grid[: len(bits)] = heat(bits)
    img = grid.reshape(rows, path_width, 3)
    img = img.repeat(scale, axis=0).repeat(scale, axis=1)
    return Image.fromarray(img, "RGB")
