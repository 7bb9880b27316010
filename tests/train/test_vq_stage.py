"""`aether train vq`: the VQ helper's step inside the generic loop (folders, checkpoints, resume)."""

from __future__ import annotations

import pytest

vq_train = pytest.importorskip(
    "aether_core.train.vq", reason="the VQ trainer is not in this checkout"
)

from aether_core.model.vq import load_vq  # noqa: E402
from aether_core.train.loop import train  # noqa: E402

from .helpers import losses, small_vq, tiny_run  # noqa: E402


def test_vq_stage_trains_checkpoints_and_resumes(tmp_path):
    cfg = tiny_run(
        tmp_path, stage="vq", max_steps=16, batch_size=8, lr=3e-3, eval_every=8, eval_batches=2
    )
    cfg.vq = small_vq()
    result = train(cfg)
    curve = losses(result.run_dir)
    assert sum(curve[s] for s in (14, 15, 16)) < sum(curve[s] for s in (1, 2, 3))
    assert "val_psnr" in result.final_eval
    model = load_vq(result.run_dir / "ckpt" / "last")
    assert model.cfg.codebook_size == 32
    load_vq(result.run_dir / "ckpt" / "best")
    cfg.train.max_steps = 18
    assert train(cfg, resume=True).state.step == 18
