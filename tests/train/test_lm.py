"""The lm stage: loss goes down, images reach the ViT, evaluation figures are consistent."""

from __future__ import annotations

import math

import pytest
import torch

from aether_core.checkpoint import load_checkpoint
from aether_core.data.base import Batch
from aether_core.errors import AetherError
from aether_core.model import build_model
from aether_core.train.config import DataConfig
from aether_core.train.lm import batch_loss, evaluate_lm, warm_start
from aether_core.train.loop import Hooks, train
from aether_core.train.metrics import read_metrics
from aether_core.train.optim import param_groups
from aether_core.train.schedule import lr_at

from .helpers import losses, small_vq, tiny_model, tiny_run


def test_lm_loss_goes_down_and_checkpoints_load(tmp_path, text_file):
    cfg = tiny_run(tmp_path, text_file, max_steps=30, eval_every=15)
    result = train(cfg)
    curve = losses(result.run_dir)
    assert sorted(curve) == list(range(1, 31))
    first, last = sum(curve[s] for s in (1, 2, 3)) / 3, sum(curve[s] for s in (28, 29, 30)) / 3
    assert last < first - 1.0, (first, last)
    assert result.final_eval["val_bpb"] == result.final_eval["val_loss"] / math.log(2)
    for sub in ("last", "best"):
        model, mcfg, meta = load_checkpoint(result.run_dir / "ckpt" / sub)
        assert mcfg.dim == 32 and meta["train"]["train"]["max_steps"] == 30
    last = result.run_dir / "ckpt" / "last"
    for name in (
        "trainer_state.json",
        "optimizer.safetensors",
        "optimizer.json",
        "rng.safetensors",
    ):
        assert (last / name).exists(), name
    assert (result.run_dir / "run.json").exists()


def test_lm_loss_reaches_every_vit_parameter():
    torch.manual_seed(0)
    model = build_model(tiny_model(cross_attn=True)).train()
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (2, 16), generator=g)
    batch = Batch(
        x=x,
        y=torch.roll(x, -1, 1),
        loss_mask=torch.ones(2, 16, dtype=torch.bool),
        images=torch.rand(2, 1, 3, 64, 64, generator=g),
        image_mask=torch.ones(2, 1, dtype=torch.bool),
    )
    batch_loss(model, batch).backward()
    vit = dict(model.vit.named_parameters())
    assert vit
    missing = [n for n, p in vit.items() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, missing
    cross = [n for n, p in model.named_parameters() if ".cross." in n and p.grad is None]
    assert not cross


def test_a_model_with_the_vision_path_warm_starts_from_one_without():
    torch.manual_seed(0)
    flat = build_model(tiny_model(cross_attn=False)).eval()
    seeing = build_model(tiny_model(cross_attn=True)).eval()
    warm_start(seeing, flat.state_dict(), "flat")
    x = torch.randint(0, 256, (1, 12))
    vision, mask = seeing.encode_images(torch.rand(1, 1, 3, 64, 64), torch.ones(1, 1, dtype=bool))
    with torch.no_grad():  # the new cross-attention adds nothing yet: the old model's logits
        assert torch.allclose(seeing(x, vision=vision, vision_mask=mask), flat(x), atol=1e-5)
    assert any(p.abs().sum() > 0 for n, p in seeing.named_parameters() if n.startswith("vit."))
    other = build_model(tiny_model(cross_attn=False, dim=48)).state_dict()
    with pytest.raises(AetherError, match="do not fit"):
        warm_start(seeing, other, "wider")  # only vision tensors may be missing
    with pytest.raises(AetherError, match="do not fit"):
        warm_start(flat, seeing.state_dict(), "seeing")  # and none may be left over


def test_text_only_batch_leaves_vit_without_gradient():
    torch.manual_seed(0)
    model = build_model(tiny_model(cross_attn=True)).train()
    x = torch.randint(0, 256, (2, 16))
    batch_loss(model, Batch(x, x, torch.ones(2, 16, dtype=torch.bool))).backward()
    assert all(p.grad is None for p in model.vit.parameters())


def test_no_weight_decay_on_norms_biases_and_embeddings():
    model = build_model(tiny_model(cross_attn=True))
    decay, no_decay = param_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    ids = {id(p) for p in no_decay["params"]}
    assert id(model.embed.weight) in ids
    assert id(model.norm.weight) in ids
    assert all(p.dim() >= 2 for p in decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_schedule_warmup_then_cosine_to_min():
    kw = dict(lr=1.0, min_lr=0.1, warmup_steps=10)
    assert lr_at(0, progress=0, **kw) == 0.1
    assert lr_at(9, progress=0, **kw) == 1.0
    assert lr_at(10, progress=0.0, **kw) == 1.0
    assert abs(lr_at(50, progress=0.5, **kw) - 0.55) < 1e-12
    assert lr_at(99, progress=1.0, **kw) == 0.1


def test_eval_accuracy_and_bpb_on_a_perfect_predictor():
    class Oracle(torch.nn.Module):
        vit = None

        def forward(self, x, **_):
            logits = torch.full((*x.shape, 512), -30.0)
            return logits.scatter(-1, ((x + 1) % 256)[..., None], 30.0)

    x = torch.randint(0, 255, (3, 8))
    b = Batch(x, (x + 1) % 256, torch.ones(3, 8, dtype=torch.bool))
    r = evaluate_lm(Oracle(), [b], torch.device("cpu"))
    assert r["val_acc"] == 1.0 and r["val_bpb"] < 1e-6 and r["val_tokens"] == 24


def test_lm_on_a_source_mixture_with_images(tmp_path, text_file):
    """The project's sources through the packer: images arrive as codes and as ViT input."""
    pytest.importorskip("aether_core.data.packing")
    from aether_core.model.vq import TinyVQVAE, save_vq

    torch.manual_seed(0)
    save_vq(TinyVQVAE(small_vq()).eval(), tmp_path / "vq")
    cfg = tiny_run(
        tmp_path,
        model=tiny_model(cross_attn=True, max_seq_len=256),
        seq_len=192,
        max_steps=3,
        eval_batches=1,
        final_eval_batches=2,
    )
    cfg.data = DataConfig(
        sources=[
            {"type": "text", "paths": [str(text_file)]},
            {"type": "shapes", "image_pool": 8, "weight": 3.0},
        ],
        vq=str(tmp_path / "vq"),
    )
    seen = []
    result = train(cfg, hooks=Hooks(on_batches=lambda s, bs: seen.extend(bs)))
    assert any(b.images is not None and bool(b.image_mask.any()) for b in seen)
    assert math.isfinite(result.final_eval["val_loss"])
    last = result.run_dir / "ckpt" / "last"
    assert (last / "vq.safetensors").exists()  # the codec travels with the model


def test_time_budget_ends_with_final_eval_and_checkpoint(tmp_path, text_file):
    cfg = tiny_run(tmp_path, text_file, max_steps=None, max_minutes=0.05, log_every=5)
    result = train(cfg)
    assert result.state.step >= 1
    assert result.state.elapsed_s < 3.0 + 5.0  # stops on time (generous slack for a busy CPU)
    assert "val_bpb" in result.final_eval
    assert (result.run_dir / "ckpt" / "last" / "trainer_state.json").exists()
    finals = [m for m in read_metrics(result.run_dir / "metrics.jsonl") if m.get("final")]
    assert len(finals) == 1 and finals[0]["val_tokens"] > 0
