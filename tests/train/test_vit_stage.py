"""`aether train vit`: the ViT learns the shapes from labels, and an lm run takes it over."""

from __future__ import annotations

import pytest
import torch

from aether_core.checkpoint import CheckpointError
from aether_core.data.base import Batch
from aether_core.data.shapes import COLOURS
from aether_core.errors import AetherError
from aether_core.model import build_model
from aether_core.train.lm import batch_loss
from aether_core.train.loop import Hooks, train
from aether_core.train.vit_stage import LABELS, load_pretrained_vit

from .helpers import losses, tiny_model, tiny_run


def vit_run(tmp_path, **kw):
    kw = {"max_steps": 30, "batch_size": 16, "lr": 3e-3, "eval_every": 30, **kw}
    return tiny_run(tmp_path, stage="vit", name="vit", model=tiny_model(cross_attn=True), **kw)


def test_vit_stage_learns_the_colours_checkpoints_and_resumes(tmp_path):
    result = train(vit_run(tmp_path))
    curve = losses(result.run_dir)
    assert sum(curve[s] for s in (28, 29, 30)) < sum(curve[s] for s in (1, 2, 3))
    # chance is 1/13; the background (most of the pixels) is the easiest label and comes first
    assert result.final_eval["val_background_acc"] > 3 / len(COLOURS)
    assert set(result.final_eval) >= {f"val_{k}_acc" for k in LABELS}
    last = result.run_dir / "ckpt" / "last"
    assert (last / "vit.safetensors").exists() and not (last / "model.safetensors").exists()
    cfg = vit_run(tmp_path, max_steps=32)
    assert train(cfg, resume=True).state.step == 32


def test_an_lm_run_takes_over_the_pretrained_vit_and_can_keep_it_fixed(tmp_path, text_file):
    vit_dir = train(vit_run(tmp_path, max_steps=3)).run_dir / "ckpt" / "last"
    model = build_model(tiny_model(cross_attn=True))
    assert load_pretrained_vit(model, vit_dir) == len(model.vit.state_dict())
    cfg = tiny_run(tmp_path, text_file, name="lm", max_steps=2, model=tiny_model(cross_attn=True),
                   vision_init=str(vit_dir), freeze_vision=True)  # fmt: skip
    seen: list = []
    result = train(cfg, hooks=Hooks(on_end=seen.append))
    lm = seen[0]
    assert all(not p.requires_grad for p in lm.vit.parameters())
    fresh = build_model(tiny_model(cross_attn=True))
    load_pretrained_vit(fresh, vit_dir)
    for (name, a), b in zip(
        lm.vit.state_dict().items(), fresh.vit.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name  # frozen: exactly the pretrained weights
    assert result.state.step == 2
    # gradients still reach the cross-attention from a batch with a picture
    x = torch.randint(0, 256, (1, 16))
    b = Batch(x, x, torch.ones(1, 16, dtype=torch.bool), torch.rand(1, 1, 3, 64, 64),
              torch.ones(1, 1, dtype=torch.bool))  # fmt: skip
    batch_loss(lm, b).backward()
    assert any(p.grad is not None for n, p in lm.named_parameters() if ".cross." in n)


def test_a_vit_checkpoint_must_fit_the_model(tmp_path, text_file):
    vit_dir = train(vit_run(tmp_path, max_steps=1)).run_dir / "ckpt" / "last"
    with pytest.raises(CheckpointError, match="differs"):
        load_pretrained_vit(build_model(tiny_model(cross_attn=True, dim=48)), vit_dir)
    with pytest.raises(CheckpointError, match="no ViT"):
        load_pretrained_vit(build_model(tiny_model(cross_attn=False)), vit_dir)
    (vit_dir / "vit.safetensors").write_bytes(b"\x00" * 8)  # truncated
    with pytest.raises(CheckpointError, match="corrupt"):
        load_pretrained_vit(build_model(tiny_model(cross_attn=True)), vit_dir)
    with pytest.raises(AetherError, match="no --data"):
        train(
            tiny_run(
                tmp_path, text_file, stage="vit", name="vit2", model=tiny_model(cross_attn=True)
            )
        )
    lm_dir = train(tiny_run(tmp_path, text_file, name="lm", max_steps=1)).run_dir / "ckpt/last"
    with pytest.raises(CheckpointError, match="not a `aether train vit` checkpoint"):
        load_pretrained_vit(build_model(tiny_model(cross_attn=True)), lm_dir)
