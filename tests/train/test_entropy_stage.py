"""`aether train entropy`: the hierarchical model's small flat entropy LM, trained as a stage."""

from __future__ import annotations

import torch

from aether_core.checkpoint import load_checkpoint
from aether_core.cli import main
from aether_core.config import HierConfig, ModelConfig
from aether_core.model.entropy import entropies, entropy_model_config
from aether_core.model.patching import Patcher, patch_lengths
from aether_core.train.loop import Hooks, train

from .helpers import tiny_run


def tiny_hier(patcher: str = "space", entropy_checkpoint: str | None = None) -> ModelConfig:
    hier = HierConfig(
        local_dim=32,
        local_heads=2,
        encoder_layers=1,
        decoder_layers=1,
        window=8,
        ngram_sizes=(3, 4),
        ngram_table=64,
        patcher=patcher,
        max_patch=8,
        entropy_threshold=6.0,
        entropy_checkpoint=entropy_checkpoint,
        entropy_dim=32,
        entropy_layers=1,
        entropy_heads=2,
    )
    return ModelConfig(
        arch="hierarchical", dim=32, n_layers=1, n_heads=2, max_seq_len=64, cross_attn=False,
        hier=hier,
    )  # fmt: skip


def test_entropy_stage_trains_the_flat_entropy_lm(tmp_path, text_file, capsys):
    cfg = tiny_run(tmp_path, text_file, stage="entropy", model=tiny_hier(), max_steps=6)
    res = train(cfg)
    ckpt = res.run_dir / "ckpt" / "last"
    model, mcfg, meta = load_checkpoint(ckpt)
    assert mcfg == entropy_model_config(tiny_hier())  # flat, hier.entropy_* shape
    assert mcfg.arch == "flat" and (mcfg.dim, mcfg.n_layers, mcfg.n_heads) == (32, 1, 2)
    assert (res.run_dir / "ckpt" / "best" / "model.safetensors").exists()
    assert "val_bpb" in res.final_eval

    tokens = list(text_file.read_bytes()[:200])
    ent = entropies(model.eval(), tokens).tolist()
    assert len(ent) == len(tokens) and ent[0] == 0 and all(e >= 0 for e in ent)
    lengths = patch_lengths(Patcher("entropy", max_patch=8, threshold=6.0).starts(tokens, ent))
    assert sum(lengths) == len(tokens) and max(lengths) <= 8

    # The checkpoint works with `aether patch`, and as model.hier.entropy_checkpoint.
    capsys.readouterr()
    assert main(["patch", "--checkpoint", str(ckpt), str(text_file), "--plain", "--show", "0"]) == 0
    assert "average patch length" in capsys.readouterr().out

    hier_cfg = tiny_run(tmp_path, text_file, name="hier", model=tiny_hier("entropy", str(ckpt)),
                        max_steps=1)  # fmt: skip
    got: dict = {}
    train(hier_cfg, hooks=Hooks(on_end=lambda m: got.update(m.entropy_model.state_dict())))
    want = model.state_dict()
    assert got and all(torch.equal(got[k].cpu(), want[k]) for k in got)  # loaded, and frozen


def test_cli_train_entropy(tmp_path, text_file, capsys):
    run = tmp_path / "ent"
    argv = ["train", "entropy", "--data", str(text_file), "--run-dir", str(run)]
    argv += ["--max-steps", "3", "--batch-size", "2", "--seq-len", "32", "--device", "cpu"]
    argv += ["--threads", "1", "--no-progress", "--eval-batches", "2", "--lr-control", "q"]
    for s in ("model.arch=hierarchical", "model.dim=32", "model.n_layers=1", "model.n_heads=2",
              "model.max_seq_len=64", "model.hier.entropy_dim=32", "model.hier.entropy_layers=1",
              "model.hier.entropy_heads=2", "train.final_eval_batches=2"):  # fmt: skip
        argv += ["--set", s]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "entropy model:" in out and "val_bits_per_byte" in out
    _, mcfg, _ = load_checkpoint(run / "ckpt" / "last")
    assert (mcfg.arch, mcfg.dim, mcfg.n_layers) == ("flat", 32, 1)
    argv_resume = ["train", "entropy", "--resume", str(run), "--max-steps", "4", "--no-progress"]
    assert main(argv_resume) == 0
