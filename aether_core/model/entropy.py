"""The entropy model: a small flat byte LM whose next-byte uncertainty places patch boundaries.

It is an ordinary :class:`ByteTransformer` (``arch="flat"``, no vision), so training it is plain
language-model training with :func:`entropy_model_config`. A hierarchical model with an entropy
patcher carries a frozen copy as its ``entropy_model`` submodule (saved in its own
``model.safetensors``); ``train.entropy_weights.load_entropy_weights`` fills that copy from a trained flat checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import ModelConfig


def entropy_model_config(cfg: ModelConfig) -> ModelConfig:
    """The flat LM shape for ``cfg.hier``'s entropy model (what `aether train entropy` trains)."""
    h = cfg.hier
    return ModelConfig(
        arch="flat",
        vocab_size=cfg.vocab_size,
        dim=h.entropy_dim,
        n_layers=h.entropy_layers,
        n_heads=h.entropy_heads,
        max_seq_len=cfg.max_seq_len,
        cross_attn=False,
        norm_eps=cfg.norm_eps,
    )


def logits_entropy(logits: Tensor) -> Tensor:
    """Entropy in bits of softmax(logits) over the last dim (computed in float32)."""
    logp = F.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1) / math.log(2.0)


def shift_entropies(next_entropy: Tensor) -> Tensor:
    """[..., T] entropy of the prediction made *at* t -> H(x_t | x_<t), with 0 for t = 0."""
    return torch.cat([torch.zeros_like(next_entropy[..., :1]), next_entropy[..., :-1]], dim=-1)


@torch.no_grad()
def entropies(model: nn.Module, tokens: Sequence[int] | Tensor) -> Tensor:
    """H(x_t | x_<t) in bits for every position of a token list: Tensor [T] (0 for t = 0).

    Sequences longer than the model's context are scored in independent windows.
    """
    tokens = torch.as_tensor(list(tokens) if not isinstance(tokens, Tensor) else tokens)
    device = next(model.parameters()).device
    window = model.cfg.max_seq_len
    out = []
    for i in range(0, tokens.numel(), window):
        chunk = tokens[i : i + window].to(device)[None]
        out.append(shift_entropies(logits_entropy(model(chunk))[0]).cpu())
    return torch.cat(out) if out else torch.zeros(0)
