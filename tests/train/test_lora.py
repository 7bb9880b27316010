"""LoRA: adapters save/load as safetensors, merging gives the same function, training only moves
the adapter."""

from __future__ import annotations

import json

import pytest
import torch

pytest.importorskip("peft")

from aether_core.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from aether_core.model import build_model  # noqa: E402
from aether_core.train.config import LoraSection  # noqa: E402
from aether_core.train.loop import train  # noqa: E402
from aether_core.train.lora import (  # noqa: E402
    ADAPTER_CONFIG,
    ADAPTER_FILE,
    load_lora,
    merge_lora,
    save_adapter,
    wrap_lora,
)

from .helpers import tiny_model, tiny_run  # noqa: E402


@pytest.fixture
def base_ckpt(tmp_path):
    torch.manual_seed(0)
    cfg = tiny_model()
    return save_checkpoint(tmp_path / "base", build_model(cfg), cfg)


def test_adapter_save_load_and_merge_match(tmp_path, base_ckpt):
    base, _, _ = load_checkpoint(base_ckpt)
    section = LoraSection(rank=4, alpha=8)
    model = wrap_lora(base, section)
    torch.manual_seed(1)
    for name, p in model.named_parameters():
        if "lora_B" in name:  # peft starts B at zero (an identity adapter): make it do something
            p.data.normal_(0, 0.2)
    assert {
        n.split(".lora_")[0].split(".")[-1] for n, p in model.named_parameters() if p.requires_grad
    } == {"qkv", "proj", "w13", "w2"}
    adapter = save_adapter(model, tmp_path / "adapter", section, base_ckpt)
    assert (adapter / ADAPTER_FILE).exists()
    assert json.loads((adapter / ADAPTER_CONFIG).read_text())["lora"]["rank"] == 4

    x = torch.randint(0, 256, (2, 24))
    with torch.no_grad():
        want = model.eval()(x)
        plain, _, _ = load_checkpoint(base_ckpt)
        assert not torch.allclose(plain(x), want, atol=1e-4)  # the adapter changes the function
        loaded, _, _ = load_lora(base_ckpt, adapter)
        torch.testing.assert_close(loaded(x), want)
        merged_dir = merge_lora(base_ckpt, adapter, tmp_path / "merged")
        merged, _, _ = load_checkpoint(merged_dir)  # a plain checkpoint
        torch.testing.assert_close(merged(x), want, atol=1e-5, rtol=1e-5)


def test_lora_training_moves_only_the_adapter(tmp_path, base_ckpt, text_file):
    cfg = tiny_run(tmp_path, text_file, stage="lora", max_steps=8, lr=1e-2)
    cfg.lora = LoraSection(base=str(base_ckpt), rank=4, merge=True)
    result = train(cfg)
    last = result.run_dir / "ckpt" / "last"
    assert (last / ADAPTER_FILE).exists() and (last / "optimizer.safetensors").exists()
    base, _, _ = load_checkpoint(base_ckpt)
    merged, _, _ = load_checkpoint(result.run_dir / "merged")
    x = torch.randint(0, 256, (1, 16))
    with torch.no_grad():
        assert not torch.allclose(base(x), merged(x), atol=1e-5)
    # resume works for adapters too
    cfg.train.max_steps = 10
    assert train(cfg, resume=True).state.step == 10
