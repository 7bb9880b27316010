"""The default model's recipe (configs/default_vit.toml, then configs/default.toml), shrunk to
seconds: the ViT learns the shapes, then the byte model trains through the CLI with it fixed on
the synthetic skills mixture + text, the checkpoint carries the VQ, the agent loads it, and the
skills evaluation scores it (a model this small scores near zero; the point is the pipeline)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from aether_core.checkpoint import default_assets_dir
from aether_core.cli import main

from .helpers import write_text

ROOT = Path(__file__).resolve().parents[2]


def _toml(value: object) -> str:
    """A TOML value: JSON's scalars and lists are TOML; tables become inline tables."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


SHRUNK = dict(dim=32, n_layers=1, n_heads=2, max_seq_len=256)


def _write(cfg: dict, path: Path) -> Path:
    lines = [f'stage = "{cfg["stage"]}"']
    for section in ("model", "train"):
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml(v)}" for k, v in cfg[section].items()]
    if "data" in cfg:
        lines += ["[data]", f"vq = {json.dumps(cfg['data']['vq'])}"]
        for s in cfg["data"]["sources"]:
            lines.append("[[data.sources]]")
            lines += [f"{k} = {_toml(v)}" for k, v in s.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _shrunk_vit(tmp_path: Path) -> Path:
    """configs/default_vit.toml for the same (shrunk) byte model, a few steps."""
    cfg = tomllib.loads((ROOT / "configs" / "default_vit.toml").read_text())
    lm = tomllib.loads((ROOT / "configs" / "default.toml").read_text())
    assert cfg["model"]["vision"] == lm["model"]["vision"]  # the lm run can take the ViT over
    assert cfg["model"]["dim"] == lm["model"]["dim"]
    cfg["model"]["dim"] = SHRUNK["dim"]
    cfg["train"].update(max_steps=2, batch_size=4, eval_every=2, progress=False)
    return _write(cfg, tmp_path / "vit.toml")


def _shrunk_recipe(tmp_path: Path, vit: Path) -> Path:
    """configs/default.toml with the same data mixture and a tiny model/budget."""
    cfg = tomllib.loads((ROOT / "configs" / "default.toml").read_text())
    cfg["model"].update(SHRUNK)
    assert cfg["train"]["freeze_vision"] and cfg["train"]["vision_init"]
    cfg["train"]["vision_init"] = str(vit)
    cfg["train"].update(
        max_steps=4, max_minutes=None, seq_len=256, batch_size=2, compile=False, eval_every=4,
        eval_batches=1, log_every=1, ckpt_every=4, warmup_steps=1, progress=False,
    )  # fmt: skip
    cfg["train"] = {k: v for k, v in cfg["train"].items() if v is not None}
    text = write_text(tmp_path / "text.txt", 4000)
    kinds = [s["type"] for s in cfg["data"]["sources"]]
    assert kinds == ["synthetic", "text"]  # the recipe's mixture: skills dialogues + plain text
    for s in cfg["data"]["sources"]:
        if s["type"] == "text":
            s["paths"] = [str(text)]  # tinyshakespeare lives outside the repo
        if "image_pool" in s:
            s["image_pool"] = 64  # seconds, not the recipe's pool of fresh pictures
    cfg["data"]["vq"] = str(default_assets_dir())
    return _write(cfg, tmp_path / "recipe.toml")


@pytest.mark.skipif(default_assets_dir() is None, reason="the shipped VQ is not in this checkout")
def test_default_recipe_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vit = tmp_path / "vit"
    cmd = ["train", "vit", "--config", str(_shrunk_vit(tmp_path)), "--run-dir", str(vit)]
    assert main(cmd) == 0
    recipe = _shrunk_recipe(tmp_path, vit / "ckpt" / "last")
    run = tmp_path / "run"
    assert (
        main(["train", "lm", "--config", str(recipe), "--run-dir", str(run), "--threads", "1"]) == 0
    )
    ckpt = run / "ckpt" / "last"
    for name in ("config.json", "model.safetensors", "vq.safetensors", "vq_config.json"):
        assert (ckpt / name).is_file(), name
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == [1, 2, 3, 4]
    assert any("val_bpb" in r for r in rows)
    assert "ViT tensors from" in capsys.readouterr().out  # the lm run took the trained ViT over
    args = ["eval", "skills", "--checkpoint", str(ckpt), "--n", "1", "--json", "--device", "cpu"]
    assert main([*args, "--skills", "arithmetic,chat,draw"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert set(table) >= {"arithmetic", "chat", "draw_colour", "draw_shape", "skills_mean"}
    assert all(0.0 <= v <= 1.0 for k, v in table.items() if k not in ("model", "n", "seed"))
