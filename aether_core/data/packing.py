"""Pack a stream of examples into fixed-shape training batches.

Rows are windows of ``seq_len + 1`` tokens (x = row[:-1], y = row[1:], loss mask aligned with y)
filled back to back. Dialogues (examples starting with BOS, and the continuations of long ones)
are kept whole when they fit a row: if one does not fit the space left, a later example from a
small look-ahead buffer that does is placed instead, and only when none fits is the row padded
(PAD, mask False) and a new one started. Plain text is split freely to fill rows; a split repeats
the cut token at the start of the next piece (as x only), so no target is lost. A dialogue longer
than a row is cut at a message boundary in the row's second half when there is one, else at the
row's end.

Images: an example's ``images`` belong, in order, to the IMG segments of its non-assistant
messages (what the user or a tool showed; pictures the assistant draws are targets, not inputs).
A row keeps the images whose whole IMG segment lies inside it, up to ``max_images``; a cut-off
segment's image is dropped. With ``isolate_images`` a row holds the images of one example only:
the cross-attention sees all of a row's images at once, so a second captioned picture in the row
would make "what is in this picture?" ambiguous.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from ..vocab import Tok
from .base import Batch, Example

_ROLE_MARKERS = frozenset({int(Tok.SYSTEM), int(Tok.USER), int(Tok.ASSISTANT), int(Tok.TOOL)})
_IMG_START, _IMG_END, _ASSISTANT = int(Tok.IMG_START), int(Tok.IMG_END), int(Tok.ASSISTANT)


def input_image_spans(tokens: list[int]) -> list[tuple[int, int]]:
    """(IMG_START index, IMG_END index) of each image in a non-assistant message, in order."""
    spans: list[tuple[int, int]] = []
    role, start = -1, -1
    for i, t in enumerate(tokens):
        if t < 256:
            continue
        if t in _ROLE_MARKERS:
            role = t
        elif t == _IMG_START:
            start = i
        elif t == _IMG_END and start >= 0:
            if role != _ASSISTANT:
                spans.append((start, i))
            start = -1
    return spans


@dataclass
class _Piece:
    tokens: list[int]
    mask: list[bool]
    images: list[tuple[int, int, Any]]  # (start, end) inside tokens, pixels
    whole: bool  # keep in one row when it fits (dialogues); text is split freely

    def cut(self, at: int, overlap: bool) -> tuple[_Piece, _Piece | None]:
        """Head ``[:at]`` and the rest (from ``at``, or ``at - 1`` repeating the cut token)."""
        head = _Piece(self.tokens[:at], self.mask[:at],
                      [im for im in self.images if im[1] < at], self.whole)  # fmt: skip
        off = at - 1 if overlap else at
        if len(self.tokens) - off < 2:
            return head, None
        mask = self.mask[off:]
        if overlap:
            mask[0] = False  # it was already a target at the end of the head
        rest = _Piece(
            self.tokens[off:],
            mask,
            [(s - off, e - off, px) for s, e, px in self.images if s >= off],
            self.whole,
        )
        return head, rest


def _piece(ex: Example) -> _Piece:
    images: list[tuple[int, int, Any]] = []
    if ex.images:
        spans = input_image_spans(ex.tokens)
        if len(spans) != len(ex.images):
            raise ValueError(
                f"example has {len(ex.images)} images but {len(spans)} input IMG segments"
            )
        images = [(s, e, px) for (s, e), px in zip(spans, ex.images, strict=True)]
    whole = bool(ex.tokens) and ex.tokens[0] == Tok.BOS
    return _Piece(list(ex.tokens), list(ex.mask), images, whole)


@dataclass
class _Row:
    tokens: list[int] = field(default_factory=list)
    mask: list[bool] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.tokens)

    def add(self, p: _Piece, max_images: int) -> None:
        self.tokens += p.tokens
        self.mask += p.mask
        for _, _, px in p.images:
            if len(self.images) < max_images:
                self.images.append(px)

    def pad(self, cap: int) -> _Row:
        k = cap - self.n
        if k:
            self.tokens += [int(Tok.PAD)] * k
            self.mask += [False] * k
        return self


class Packer:
    """Example stream -> rows -> ``Batch``es; deterministic (no randomness of its own)."""

    def __init__(self, seq_len: int, batch_size: int, max_images: int = 4,
                 isolate_images: bool = True, lookahead: int = 8) -> None:  # fmt: skip
        if seq_len < 2 or batch_size < 1 or max_images < 0 or lookahead < 1:
            raise ValueError("seq_len >= 2, batch_size >= 1, max_images >= 0, lookahead >= 1")
        self.seq_len, self.batch_size = seq_len, batch_size
        self.max_images, self.isolate, self.lookahead = max_images, isolate_images, lookahead
        self.cap = seq_len + 1

    def _images_ok(self, row: _Row, p: _Piece) -> bool:
        if not p.images or not row.images:
            return True
        return not self.isolate and len(row.images) + len(p.images) <= self.max_images

    def _split_long(self, p: _Piece) -> tuple[_Piece, _Piece | None]:
        """Cut a piece longer than a row: at a message start in the row's second half, if any."""
        cap = self.cap
        if p.whole:
            toks = p.tokens
            for c in range(cap, cap // 2, -1):
                if toks[c] in _ROLE_MARKERS:
                    return p.cut(c, overlap=False)
        return p.cut(cap, overlap=True)

    def rows(self, examples: Iterable[Example]) -> Iterator[_Row]:
        cap, it = self.cap, iter(examples)
        buf: deque[_Piece] = deque()
        done = False
        row = _Row()
        while True:
            while not done and len(buf) < self.lookahead:
                ex = next(it, None)
                if ex is None:
                    done = True
                elif ex.tokens:
                    buf.append(_piece(ex))
            if not buf:
                if row.n:
                    yield row.pad(cap)
                return
            space = cap - row.n
            k = next((k for k, p in enumerate(buf)
                      if len(p.tokens) <= space and self._images_ok(row, p)), None)  # fmt: skip
            if k is not None:
                row.add(buf[k], self.max_images)
                del buf[k]
            elif row.n == 0:  # the oldest piece is longer than a row
                head, rest = self._split_long(buf.popleft())
                row.add(head, self.max_images)
                if rest is not None:
                    buf.appendleft(rest)
            else:
                k = next(
                    (k for k, p in enumerate(buf) if not p.whole and self._images_ok(row, p)), None
                )
                if k is not None and space >= 2:  # fill the row's tail with text
                    head, rest = buf[k].cut(space, overlap=True)
                    row.add(head, self.max_images)
                    if rest is None:
                        del buf[k]
                    else:
                        buf[k] = rest
                else:
                    yield row.pad(cap)
                    row = _Row()
                    continue
            if row.n >= cap:
                yield row
                row = _Row()

    def batches(self, examples: Iterable[Example]) -> Iterator[Batch]:
        """Full batches while the stream lasts, then one smaller batch with the remaining rows."""
        rows: list[_Row] = []
        for row in self.rows(examples):
            rows.append(row)
            if len(rows) == self.batch_size:
                yield make_batch(rows)
                rows = []
        if rows:
            yield make_batch(rows)


def make_batch(rows: list[_Row]) -> Batch:
    t = torch.tensor([r.tokens for r in rows], dtype=torch.long)
    m = torch.tensor([r.mask for r in rows], dtype=torch.bool)
    n_img = max(len(r.images) for r in rows)
    images = image_mask = None
    if n_img:
        shape = tuple(rows[0].images[0].shape) if rows[0].images else None
        shape = shape or next(tuple(r.images[0].shape) for r in rows if r.images)
        images = torch.zeros(len(rows), n_img, *shape, dtype=torch.float32)
        image_mask = torch.zeros(len(rows), n_img, dtype=torch.bool)
        for b, r in enumerate(rows):
            for i, px in enumerate(r.images):
                images[b, i] = px
                image_mask[b, i] = True
    return Batch(t[:, :-1].contiguous(), t[:, 1:].contiguous(), m[:, 1:].contiguous(),
                 images, image_mask)  # fmt: skip


def pack(examples: Iterable[Example], seq_len: int, batch_size: int, max_images: int = 4,
         isolate_images: bool = True) -> Iterator[Batch]:  # fmt: skip
    """``Packer(seq_len, batch_size, ...).batches(examples)``: what the training loop calls."""
    return Packer(seq_len, batch_size, max_images, isolate_images).batches(examples)


pack_batches = pack
