"""Patchers: where the hierarchical model's patches start.

Every patcher is a left-to-right state machine (:meth:`Patcher.step`), so one piece of code serves
the training pass (a fold over the whole sequence) and generation (one token at a time; a rewind
restarts from the state saved at that position). That is what keeps cached decoding identical to
the full pass. Only the past decides a boundary: token t's start flag depends on tokens <= t and on
H(x_t), the entropy of the prediction *for* x_t, which is known before x_t is.

Rules, in order (the first that applies decides):

1. The first token, every special token and the token after a special start a patch. Segment
   markers are specials, so a segment's payload never shares a patch with surrounding text.
2. A patch never grows past ``max_patch``.
3. Inside a segment, the byte after its varint length prefix starts the payload's first patch;
   the length bytes stay together.
4. Image payloads (VQ codes, not text) are cut into fixed chunks of ``image_patch``.
5. Otherwise the patcher's own rule: ``fixed`` (every ``patch_size``), ``space`` (SpaceByte/BLT:
   after a space-like byte that follows a word byte, so a patch is " word," with its leading
   space), ``entropy`` (H(x_t) > threshold) or ``entropy_monotonic`` (H(x_t) - H(x_{t-1}) >
   threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..segments import SEGMENT_TYPES
from ..vocab import N_BYTES, Tok

PATCHERS = ("fixed", "space", "entropy", "entropy_monotonic")
_STARTS = frozenset(int(t.START) for t in SEGMENT_TYPES)
_ENDS = frozenset(int(t.END) for t in SEGMENT_TYPES)
_IMAGE = int(Tok.IMG_START)


def is_spacelike(token: int) -> bool:
    """Not part of a word: ASCII other than letters/digits, and specials. Bytes >= 0x80 count as
    word bytes so a multi-byte UTF-8 character is never split by this rule."""
    if token >= N_BYTES or token < 0:
        return True
    if token >= 0x80:
        return False
    return not (48 <= token <= 57 or 65 <= token <= 90 or 97 <= token <= 122)


class PatchState(NamedTuple):
    """Everything the next decision needs; immutable so a copy per position is cheap."""

    prev: int = -1  # previous token; -1 before the first
    prev2: int = -1  # the one before it
    length: int = 0  # tokens in the current patch
    segment: int = 0  # START marker of the enclosing segment, 0 outside segments
    in_length: bool = False  # reading a segment's varint length prefix
    length_done: bool = False  # the previous token ended that prefix
    entropy: float = 0.0  # H(prev), for the monotonic rule


@dataclass(frozen=True)
class Patcher:
    kind: str = "space"
    patch_size: int = 4
    max_patch: int = 16
    threshold: float = 2.0
    image_patch: int = 8

    def __post_init__(self) -> None:
        if self.kind not in PATCHERS:
            raise ValueError(f"patcher must be one of {', '.join(PATCHERS)}, not {self.kind!r}")
        if (
            not 1 <= self.patch_size <= self.max_patch
            or not 1 <= self.image_patch <= self.max_patch
        ):
            raise ValueError("patch_size and image_patch must be between 1 and max_patch")

    @property
    def needs_entropy(self) -> bool:
        return self.kind.startswith("entropy")

    def _starts(self, s: PatchState, token: int, entropy: float) -> bool:
        if s.prev < 0 or token >= N_BYTES or s.prev >= N_BYTES or s.length >= self.max_patch:
            return True
        if s.length_done:
            return True
        if s.in_length:
            return False
        if s.segment == _IMAGE:
            return s.length >= self.image_patch
        if self.kind == "space":
            return is_spacelike(s.prev) and not is_spacelike(s.prev2)
        if self.kind == "fixed":
            return s.length >= self.patch_size
        if self.kind == "entropy":
            return entropy > self.threshold
        return entropy - s.entropy > self.threshold

    def step(self, s: PatchState, token: int, entropy: float = 0.0) -> tuple[bool, PatchState]:
        """Consume one token: (does it start a patch, the state after it)."""
        start = self._starts(s, token, entropy)
        segment, in_length, length_done = s.segment, s.in_length, False
        if token in _STARTS:
            segment, in_length = token, True
        elif token in _ENDS:
            segment, in_length = 0, False
        elif in_length and (token >= N_BYTES or not token & 0x80):
            in_length = False  # STREAM marker, or the varint's last byte
            length_done = token < N_BYTES
        new = PatchState(
            token, s.prev, 1 if start else s.length + 1, segment, in_length, length_done, entropy
        )
        return start, new

    def starts(self, tokens: Sequence[int], entropies: Sequence[float] | None = None) -> list[bool]:
        """Patch start flags for a whole sequence; ``entropies[t]`` is H(x_t | x_<t) in bits."""
        if self.needs_entropy and entropies is None:
            raise ValueError(f"the {self.kind} patcher needs entropies")
        s = PatchState()
        out = []
        for t, tok in enumerate(tokens):
            start, s = self.step(s, int(tok), float(entropies[t]) if entropies is not None else 0.0)
            out.append(start)
        return out


# ------------------------------------------------------------------------- convenience functions
def fixed_patches(
    tokens: Sequence[int], size: int = 4, max_patch: int = 16, image_patch: int = 8
) -> list[bool]:
    max_patch = max(max_patch, size)
    return Patcher("fixed", size, max_patch, image_patch=min(image_patch, max_patch)).starts(tokens)


def space_patches(tokens: Sequence[int], max_patch: int = 16, image_patch: int = 8) -> list[bool]:
    return Patcher("space", 1, max_patch, image_patch=min(image_patch, max_patch)).starts(tokens)


def entropy_patches(
    tokens: Sequence[int],
    entropies: Sequence[float],
    threshold: float,
    max_patch: int = 16,
    image_patch: int = 8,
) -> list[bool]:
    p = Patcher("entropy", 1, max_patch, threshold, min(image_patch, max_patch))
    return p.starts(tokens, entropies)


def monotonic_patches(
    tokens: Sequence[int],
    entropies: Sequence[float],
    threshold: float,
    max_patch: int = 16,
    image_patch: int = 8,
) -> list[bool]:
    p = Patcher("entropy_monotonic", 1, max_patch, threshold, min(image_patch, max_patch))
    return p.starts(tokens, entropies)


def boundaries(starts: Sequence[bool]) -> list[int]:
    """Indices where patches start."""
    return [i for i, s in enumerate(starts) if s]


def split_patches(tokens: Sequence[int], starts: Sequence[bool]) -> list[list[int]]:
    out: list[list[int]] = []
    for tok, s in zip(tokens, starts, strict=True):
        if s or not out:
            out.append([])
        out[-1].append(tok)
    return out


def patch_lengths(starts: Sequence[bool]) -> list[int]:
    b = boundaries(starts) + [len(starts)]
    return [b[i + 1] - b[i] for i in range(len(b) - 1)]
