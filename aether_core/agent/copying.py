"""A copy prior for decoding: tool arguments and answers mostly quote the conversation.

A small byte model learns *that* "repeat after me: X" calls echo long before it learns to copy X
exactly. This prior gives the copying a nudge at decode time, in the style of prompt-lookup
decoding: find the longest tail of what is being written (the current string argument, or the
answer so far) that occurs in the turn's sources (the user's words, tool results, recalled
memories), and move probability onto the bytes that follow it there, more the longer the match.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from ..segments import Memory, Message, Text, ToolResult

MAX_MATCH = 24  # longest tail looked up
MAX_SOURCE = 16_384  # bytes of sources kept (the newest)
END = -1  # "the quoted span ends here" (the end of a source, or a stop byte)
MAX_WEIGHT = 0.95  # the model always keeps a say
DIGIT_EVIDENCE = 3  # a digit run that starts a number of the sources counts as 3 matched bytes
_PUNCT, _SPACE = frozenset(b".,;:!?)"), frozenset(b" \t\r\n")  # sentence punctuation after a value


class CopyPrior:
    """Mixes a copy distribution into the model's: p = (1 - λ) p_model + λ p_copy, where p_copy
    is uniform over the bytes that follow the longest matching tail (k bytes) in the sources and
    λ = min(MAX_WEIGHT, rate * k): one shared byte is weak evidence, a long match is strong. A
    pointer-generator mixture at decode time, with no training needed."""

    def __init__(self, sources: Iterable[bytes], rate: float = 0.12) -> None:
        joined = b"\x00".join(s for s in sources if s)
        self.source = joined[-MAX_SOURCE:]
        self.rate = float(rate)

    def candidates(self, prefix: bytes, stop: bytes = b"") -> tuple[set[int], int]:
        """(next bytes or END, match length k) for the longest tail of ``prefix`` in the sources.
        END: the end of a source, a ``stop`` byte, or (where there are stop bytes) sentence
        punctuation followed by a space ("see https://x.org/a? thanks")."""
        if not prefix or not self.source or self.rate <= 0:
            return set(), 0
        for k in range(min(MAX_MATCH, len(prefix)), 0, -1):
            tail = prefix[-k:]
            nxt: set[int] = set()
            at = self.source.find(tail)
            while at >= 0:
                end = at + k
                b = self.source[end] if end < len(self.source) else 0
                after = self.source[end + 1] if end + 1 < len(self.source) else 0
                closing = stop and b in _PUNCT and (after == 0 or after in _SPACE)
                nxt.add(END if b == 0 or b in stop or closing else b)
                at = self.source.find(tail, at + 1)
            if nxt:
                return nxt, k
        return set(), 0

    def mix(
        self, logits: torch.Tensor, prefix: bytes, stop: bytes = b"", end_token: int | None = None
    ) -> torch.Tensor:
        """The mixed distribution as logits (same shape); END becomes ``end_token``."""
        found, k = self.candidates(prefix, stop)
        if END in found:
            found.discard(END)
            if end_token is not None:
                found.add(end_token)
        return self._mix(logits, found, k)

    def _mix(self, logits: torch.Tensor, found: set[int], k: float) -> torch.Tensor:
        """(1 - λ) p_model + λ uniform(found), λ = min(MAX_WEIGHT, rate * k), as logits."""
        if not found or self.rate <= 0:
            return logits
        weight = min(MAX_WEIGHT, self.rate * k)
        p = torch.softmax(logits.float(), -1) * (1.0 - weight)
        p[list(found)] += weight / len(found)
        return torch.log(p.clamp_min(1e-30)).to(logits.dtype)

    def mix_digits(self, logits: torch.Tensor, number: bytes) -> torch.Tensor:
        """For numbers inside an expression: where every number in the sources that starts with
        ``number`` goes on with a digit, move probability onto those digits ("900" of "9000").
        Where one of them ends there, the number may be complete: leave the model alone."""
        nxt: set[int] = set()
        at = self.source.find(number)
        while at >= 0:
            end = at + len(number)
            if at == 0 or not _is_numeric(self.source[at - 1]):
                b = self.source[end] if end < len(self.source) else 0
                if not _is_numeric(b):
                    return logits
                nxt.add(b)
            at = self.source.find(number, at + 1)
        return self._mix(logits, nxt, DIGIT_EVIDENCE * len(number))


def _is_numeric(b: int) -> bool:
    return 48 <= b <= 57 or b == 46  # a digit or "."


def copy_sources(messages: Iterable[Message], user: bool = True) -> list[bytes]:
    """What the step may quote: the user's words (for tool arguments; ``user=False`` for answers,
    which otherwise parrot the question: "the answer to 6*5?"), tool outputs, recalled memories."""
    out: list[bytes] = []
    for m in messages:
        for item in m.items:
            if isinstance(item, Text) and m.role == "user" and user:
                out.append(item.data)
            elif isinstance(item, ToolResult):
                out.append(item.output)
            elif isinstance(item, Memory):
                out.append(item.data)
    return out
