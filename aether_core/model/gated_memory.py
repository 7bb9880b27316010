"""Gated hierarchical memory for the global model (BLT's adaptive memory path).

A few persistent slots ``m`` [M, D] sit beside the global transformer. Its patch outputs are cut
into segments of ``segment`` patches: every patch of segment k reads ``m_k`` (attention over the
slots) and adds what it read through a learned sigmoid gate, so the model decides per patch how
much memory to use; when segment k is complete, the slots write what it said
(``m_{k+1} = m_k + g * (summary - m_k)``, the gate per slot). A patch never sees memory written
from its own segment or later, so a cached pass equals a full one, and the slots after the last
segment carry into the next window of a long stream.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .attention import RMSNorm


class GatedMemory(nn.Module):
    def __init__(self, dim: int, slots: int, segment: int, eps: float) -> None:
        super().__init__()
        self.slots, self.segment, self.scale = slots, segment, 1 / math.sqrt(dim)
        self.init = nn.Parameter(torch.randn(slots, dim))
        self.norm = RMSNorm(dim, eps)
        # the slots hold normalized summaries (unit RMS); what is read is projected back to the
        # residual stream's own scale, from zero, so an untrained memory changes nothing
        self.read_out = nn.Linear(dim, dim, bias=False)
        self.read_gate = nn.Linear(dim, 1)
        self.write_gate = nn.Linear(2 * dim, 1)
        for lin in (self.read_out, self.read_gate, self.write_gate):
            nn.init.zeros_(lin.weight)
        nn.init.zeros_(self.read_gate.bias)
        nn.init.zeros_(self.write_gate.bias)

    def initial(self, batch: int, dtype: torch.dtype) -> Tensor:
        return self.init.to(dtype).expand(batch, -1, -1)

    def read(self, h: Tensor, m: Tensor) -> Tensor:
        """h [B, T, D] (one segment's patches), m [B, M, D] -> h plus the gated read."""
        q = self.norm(h)
        attn = torch.softmax(q @ m.transpose(1, 2) * self.scale, -1)  # [B, T, M]
        return h + torch.sigmoid(self.read_gate(q)) * self.read_out(attn @ m)

    def write(self, m: Tensor, seg: Tensor) -> Tensor:
        """m [B, M, D] after segment outputs ``seg`` [B, S, D]: each slot pulls a summary of the
        segment and moves towards it as far as its gate says."""
        k = self.norm(seg)
        attn = torch.softmax(m @ k.transpose(1, 2) * self.scale, -1)  # [B, M, S]
        summary = attn @ k
        g = torch.sigmoid(self.write_gate(torch.cat([m, summary], -1)))
        return m + g * (summary - m)

    def forward(
        self,
        h: Tensor,
        first: int,
        states: list[Tensor],
        earlier: Tensor | None = None,
        final: bool = False,
    ) -> Tensor:
        """Global outputs ``h`` [B, T, D] at positions ``first .. first + T - 1``, each plus its
        gated read of the memory its segment sees (``states[k]`` for segment k; the state of
        ``first``'s segment must be there). Each segment completed here is written: its state
        is appended to ``states``. ``earlier`` [B, >= first, D] holds the outputs of positions
        before ``first`` (cached decoding, where a segment spans calls); ``final``: the window
        ends here, so its unfinished segment is written too (the carry to the next window)."""
        S, T = self.segment, h.shape[1]
        out: list[Tensor] = []
        pos = first
        while pos < first + T:
            k = pos // S
            take = min((k + 1) * S, first + T) - pos
            out.append(self.read(h[:, pos - first : pos - first + take], states[k]))
            pos += take
            if len(states) == k + 1 and (pos == (k + 1) * S or (final and pos == first + T)):
                seg = torch.cat(out, 1)[:, max(k * S - first, 0) :]
                if k * S < first:
                    seg = torch.cat([earlier[:, k * S : first], seg], 1)
                states.append(self.write(states[k], seg))
        return torch.cat(out, 1)
