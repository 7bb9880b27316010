"""``DecodeBatch``: several conversations in the rows of one KV cache, stepped together in one
forward pass, each row at its own position (what ``aether serve`` decodes on)."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from .sampling import DecodeSession


class DecodeBatch:
    """Several conversations in the rows of one KV cache. Each row is a ``DecodeSession`` on a
    view of its row (feed, rewind and choose work row by row, as for one conversation);
    :meth:`step` appends one token to any set of rows in a single forward pass, each row at its
    own position. Needs a backbone with ``batched_decode``."""

    def __init__(
        self,
        model: torch.nn.Module,
        rows: int,
        max_len: int,
        device: torch.device | str | None = None,
        vision_len: int = 0,
    ) -> None:
        if not getattr(model, "batched_decode", False):
            raise ValueError("this backbone cannot step rows at different positions together")
        self.model = model
        self.device = device or next(model.parameters()).device
        self.cache = model.new_cache(rows, max_len, device=self.device, vision_len=vision_len)
        self.max_len = self.cache.max_len
        self.sessions = [
            DecodeSession(model, self.max_len, self.device, cache=self.cache.rows(i, i + 1))
            for i in range(rows)
        ]

    @torch.inference_mode()
    def step(self, tokens: Mapping[int, int]) -> dict[int, Tensor]:
        """Append ``tokens[row]`` to each given row; return each row's next logits [V].

        Rows below the highest given one that are not stepping write a throwaway token at their
        next free position, which their next real write overwrites (nothing reads past a row's
        own tokens), so an idle row costs compute but never changes its conversation."""
        hi = max(tokens) + 1
        toks, pos = [], []
        for r, session in enumerate(self.sessions[:hi]):
            n = len(session.tokens)
            if r in tokens:
                if n >= self.max_len:
                    raise ValueError(f"context full ({self.max_len} tokens)")
            elif n >= self.max_len:  # a full idle row: give up its last token's cache entry
                session.tokens.pop()
                n -= 1
            toks.append(tokens.get(r, 0))
            pos.append(n)
        logits = self.model(
            torch.tensor(toks, device=self.device)[:, None],
            input_pos=torch.tensor(pos, device=self.device)[:, None],
            cache=self.cache.rows(0, hi),
            last_only=True,
        )
        for r, tok in tokens.items():
            self.sessions[r].tokens.append(tok)
        return {r: logits[r, -1] for r in tokens}
