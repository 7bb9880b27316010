"""The vision head: fitted on a frozen ViT from the training combinations, saved beside the
weights, read back, and sure of a label only above ``SURE``."""

from __future__ import annotations

import pytest
import torch

from aether_core.checkpoint import CheckpointError, save_checkpoint, save_weights
from aether_core.cli import main
from aether_core.model import build_model
from aether_core.model.vision_head import (
    HEAD_FILE,
    LABELS,
    VisionHead,
    fit_vision_head,
    load_vision_head,
    read_sight,
)
from tests.train.helpers import tiny_model


def test_a_fitted_head_reads_held_out_pictures_better_than_chance_and_round_trips(tmp_path):
    model = build_model(tiny_model(cross_attn=True)).eval()
    head, acc = fit_vision_head(model.vit, model.cfg.dim, images=400, steps=150)
    assert set(acc) == set(LABELS)
    # a random ViT's tokens still carry the colours: the background fills most of the picture
    assert acc["background"] > 3 / len(LABELS["background"])
    save_weights(tmp_path / HEAD_FILE, head.state_dict())
    again = load_vision_head(tmp_path, model.cfg.dim)
    tokens = torch.randn(4, model.cfg.dim)
    assert torch.equal(again(tokens[None])["shape"], head(tokens[None])["shape"])
    assert load_vision_head(tmp_path / "none", model.cfg.dim) is None  # no head: none read
    with pytest.raises(CheckpointError):
        load_vision_head(tmp_path, model.cfg.dim + 1)  # another width: one clear line


def test_a_label_is_read_only_where_the_head_is_sure():
    head = VisionHead(8)
    with torch.no_grad():
        for layer in head.values():
            layer.weight.zero_()
            layer.bias.zero_()
        head["colour"].bias[LABELS["colour"].index("pink")] = 10.0
    sight = read_sight(head, torch.randn(3, 8))
    assert sight.colour == "pink" and sight.shape is None and sight.background is None


def test_the_cli_fits_a_head_beside_a_checkpoint_and_refuses_a_model_without_eyes(tmp_path, capsys):
    model = build_model(tiny_model(cross_attn=True))
    ckpt = save_checkpoint(tmp_path / "eyes", model, model.cfg)
    assert main(["train", "vision-head", "--checkpoint", str(ckpt), "--images", "200"]) == 0
    assert (ckpt / HEAD_FILE).exists() and "held-out combinations" in capsys.readouterr().out
    blind = build_model(tiny_model(cross_attn=False))
    ckpt = save_checkpoint(tmp_path / "blind", blind, blind.cfg)
    assert main(["train", "vision-head", "--checkpoint", str(ckpt), "--images", "200"]) != 0
    assert "no ViT" in capsys.readouterr().err
    assert main(["train", "vision-head", "--checkpoint", str(ckpt), "--images", "5"]) != 0
