"""Muon (hidden matrices) + AdamW (the rest) as one optimizer: orthogonalized updates, the right
parameter split, loss going down, and exact resume through the safetensors optimizer state."""

from __future__ import annotations

import torch

from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.train.muon import MuonAdamW, muon_groups, orthogonalize
from aether_core.train.optim import build_optimizer, load_optimizer, save_optimizer, set_lr


def test_orthogonalize_flattens_the_spectrum() -> None:
    g = torch.Generator().manual_seed(0)
    for shape in [(16, 48), (48, 16), (3, 32, 32)]:
        *batch, rows, cols = shape
        k = min(rows, cols)
        u = torch.linalg.qr(torch.randn(*batch, rows, k, generator=g)).Q
        v = torch.linalg.qr(torch.randn(*batch, cols, k, generator=g)).Q
        m = u @ torch.diag(torch.logspace(-1, 1, k)) @ v.mT  # condition number 100
        before, after = torch.linalg.svdvals(m), torch.linalg.svdvals(orthogonalize(m))
        assert after.max() < 1.3 and after.min() > 0.5, after  # quintic Newton-Schulz: ~U V^T
        cond = lambda s: (s.max(-1).values / s.min(-1).values).max()  # noqa: E731
        assert cond(after) < cond(before) / 5


def tiny() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(ModelConfig(dim=32, n_layers=2, n_heads=2, max_seq_len=32, cross_attn=False))


def test_hidden_matrices_go_to_muon_the_rest_to_adamw() -> None:
    model = tiny()
    groups = muon_groups(model, weight_decay=0.1, muon_lr_ratio=8.0)
    muon = {id(p) for g in groups if g.get("muon") for p in g["params"]}
    names = {n for n, p in model.named_parameters() if id(p) in muon}
    assert names == {n for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n}
    (mg,) = [g for g in groups if g.get("muon")]
    assert mg["lr_ratio"] == 8.0 and abs(mg["weight_decay"] - 0.1 / 8) < 1e-12
    opt = MuonAdamW(groups, lr=1e-3, betas=(0.9, 0.99))
    set_lr(opt, 2e-3)
    assert sorted({g["lr"] for g in opt.param_groups}) == [2e-3, 16e-3]


def _loss(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    logits = model(x[:, :-1])
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), x[:, 1:].flatten())


def test_muon_lowers_loss_and_resumes_exactly(tmp_path) -> None:
    x = torch.randint(0, 64, (4, 24), generator=torch.Generator().manual_seed(1))
    model = tiny()
    opt = build_optimizer(model, 3e-3, 0.1, (0.9, 0.99), torch.device("cpu"), "muon")
    start = _loss(model, x).item()
    for step in range(12):
        opt.zero_grad()
        _loss(model, x).backward()
        opt.step()
        if step == 5:
            save_optimizer(opt, tmp_path)
            snapshot = {k: v.clone() for k, v in model.state_dict().items()}
    assert _loss(model, x).item() < start - 1.0
    resumed = tiny()
    resumed.load_state_dict(snapshot)
    opt2 = build_optimizer(resumed, 3e-3, 0.1, (0.9, 0.99), torch.device("cpu"), "muon")
    load_optimizer(opt2, tmp_path)
    for _ in range(6):
        opt2.zero_grad()
        _loss(resumed, x).backward()
        opt2.step()
    for (k, a), b in zip(model.state_dict().items(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=k)
