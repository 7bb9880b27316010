"""Muon for the hidden weight matrices, AdamW for everything else, as one optimizer.

Why: under a fixed CPU budget, tokens are the scarce resource, and Muon (momentum, then an
approximate orthogonalization of each matrix update by Newton-Schulz iterations; Keller Jordan
2024) reaches a given loss in fewer steps than AdamW on small transformers. Embeddings, the (tied)
output head, norms and biases are not hidden matrices and stay on AdamW. One ``Optimizer`` keeps
the loop, the lr schedule and the safetensors optimizer state unchanged: each group carries
``muon`` and an ``lr_ratio`` (its lr relative to the schedule's AdamW lr).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .param_groups import param_groups

NS_COEFFS = (3.4445, -4.7750, 2.0315)  # quintic Newton-Schulz (Keller Jordan's Muon)


def orthogonalize(g: Tensor, steps: int = 5, eps: float = 1e-7) -> Tensor:
    """Approximately U V^T of each g = U S V^T (g: [..., m, n]), so every direction of the update
    has a similar size. Batched: matrices of one shape go through together (few, larger ops)."""
    a, b, c = NS_COEFFS
    x = g.float()
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = x.mT
    x = x / (x.norm(dim=(-2, -1), keepdim=True) + eps)
    for _ in range(steps):
        s = x @ x.mT
        x = a * x + (b * s + c * s @ s) @ x
    return (x.mT if tall else x).to(g.dtype)


class MuonAdamW(torch.optim.Optimizer):
    """Groups with ``muon=True`` take Muon steps (Nesterov momentum, orthogonalized, scaled by
    sqrt(max(1, rows/cols)) as in the original), the others AdamW steps."""

    def __init__(self, groups: list[dict[str, Any]], lr: float, betas: tuple[float, float],
                 momentum: float = 0.95, eps: float = 1e-8, ns_steps: int = 5) -> None:  # fmt: skip
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=0.0, muon=False,
                        momentum=momentum, ns_steps=ns_steps, lr_ratio=1.0)  # fmt: skip
        super().__init__(groups, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:  # noqa: ARG002 - the loop never passes one
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if group["muon"]:
                self._muon(params, group)
            else:
                for p in params:
                    self._adamw(p, self.state[p], group, group["lr"], group["weight_decay"])
        return None

    def _muon(self, params: list[Tensor], group: dict) -> None:
        """Muon for a group's matrices. The orthogonalization is the costly part, so under DDP each
        rank does every world-th matrix of each shape (as a batch) and one all-reduce shares the
        results: the ranks' (identical) momentum makes the updates identical everywhere."""
        if not params:
            return
        lr, wd, mu = group["lr"], group["weight_decay"], group["momentum"]
        world, rank = 1, 0
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            world, rank = torch.distributed.get_world_size(), torch.distributed.get_rank()
        nesterov: dict[Tensor, Tensor] = {}
        by_shape: dict[tuple[int, ...], list[Tensor]] = {}
        for p in params:
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(p)
            buf = state["momentum_buffer"]
            buf.mul_(mu).add_(p.grad)
            nesterov[p] = p.grad.add(buf, alpha=mu)
            by_shape.setdefault(tuple(p.shape), []).append(p)
        updates: dict[Tensor, Tensor] = {}
        for same in by_shape.values():
            mine = same[rank::world]
            if mine:
                done = orthogonalize(torch.stack([nesterov[p] for p in mine]), group["ns_steps"])
                updates.update(zip(mine, done, strict=True))
        if world > 1:
            flat = torch.zeros(sum(p.numel() for p in params), dtype=params[0].dtype,
                               device=params[0].device)  # fmt: skip
            offsets, off = [], 0
            for p in params:
                if p in updates:
                    flat[off : off + p.numel()] = updates[p].flatten()
                offsets.append(off)
                off += p.numel()
            torch.distributed.all_reduce(flat)  # zeros elsewhere: the sum is each owner's result
            updates = {
                p: flat[o : o + p.numel()].view_as(p) for p, o in zip(params, offsets, strict=True)
            }
        for p in params:
            if wd:
                p.mul_(1 - lr * wd)
            scale = max(1.0, p.shape[0] / p.shape[1]) ** 0.5
            p.add_(updates[p], alpha=-lr * scale)

    @staticmethod
    def _adamw(p: Tensor, state: dict, group: dict, lr: float, wd: float) -> None:
        if "step" not in state:
            state["step"] = torch.zeros(())
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t = float(state["step"])
        b1, b2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(p.grad, 1 - b1)
        v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
        denom = (v / (1 - b2**t)).sqrt_().add_(group["eps"])
        if wd:
            p.mul_(1 - lr * wd)
        p.addcdiv_(m, denom, value=-lr / (1 - b1**t))


def muon_groups(model: nn.Module, weight_decay: float, muon_lr_ratio: float) -> list[dict]:
    """Hidden 2-D matrices (not embeddings, not the vision patch stem) -> Muon; the rest -> AdamW
    with the usual decay split (see ``param_groups``)."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    hidden: list[nn.Parameter] = []
    seen: set[int] = set()
    for _, p in model.named_parameters():
        if p.requires_grad and p.dim() == 2 and id(p) not in embeddings and id(p) not in seen:
            hidden.append(p)
        seen.add(id(p))
    hidden_ids = {id(p) for p in hidden}
    groups = []
    for g in param_groups(model, weight_decay):
        rest = [p for p in g["params"] if id(p) not in hidden_ids]
        if rest:
            groups.append({**g, "params": rest})
    if hidden:
        # decay per step is lr * wd: divide by the ratio so Muon's larger lr decays as AdamW's would
        groups.append({"params": hidden, "weight_decay": weight_decay / muon_lr_ratio,
                       "muon": True, "lr_ratio": muon_lr_ratio})  # fmt: skip
    return groups
