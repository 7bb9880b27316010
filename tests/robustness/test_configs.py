"""Absurd configs: checkpoint config.json, training --set values and TUI settings are refused or
fall back in one line naming the file and the field, before anything big is allocated."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from aether_core.checkpoint import (
    CONFIG_FILE,
    MAX_PARAMS,
    WEIGHTS_FILE,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from aether_core.config import ConfigError, ModelConfig
from aether_core.model import build_model
from aether_core.train.config import resolve_config
from aether_tui.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"dim": 32, "n_layers": 2, "n_heads": 2, "max_seq_len": 64, "cross_attn": False}


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    cfg = ModelConfig(**SMALL)
    return save_checkpoint(tmp_path_factory.mktemp("ck") / "ck", build_model(cfg), cfg)


def with_model(ckpt: Path, tmp_path: Path, model: object | str) -> Path:
    """A copy of ``ckpt`` whose config.json has ``model`` (a dict, or raw JSON text)."""
    d = tmp_path / "bad"
    d.mkdir()
    (d / WEIGHTS_FILE).write_bytes((ckpt / WEIGHTS_FILE).read_bytes())
    body = model if isinstance(model, str) else json.dumps(model)
    (d / CONFIG_FILE).write_text(
        '{"format": "aether-checkpoint", "version": 1, "model": ' + body + "}"
    )
    return d


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ({**SMALL, "dim": 16384, "n_layers": 10**6}, "model.n_layers"),
        ({**SMALL, "dim": 10**9}, "model.dim"),
        ({**SMALL, "n_layers": 0}, "model.n_layers"),
        ({**SMALL, "n_layers": -1}, "model.n_layers"),
        ({**SMALL, "vocab_size": 10**9}, "model.vocab_size"),
        ({**SMALL, "max_seq_len": 10**12}, "model.max_seq_len"),
        ({**SMALL, "dim": "64"}, "model.dim"),
        ({**SMALL, "dim": 64.5}, "model.dim"),
        ({**SMALL, "dropout": float("nan")}, "model.dropout"),
        ({**SMALL, "rope_theta": -1}, "model.rope_theta"),
        ({**SMALL, "ngram_sizes": [3, "x"]}, "model.ngram_sizes"),
        ({**SMALL, "vision": {"patch_size": 0}}, "model.vision.patch_size"),
        ({**SMALL, "hier": {"local_dim": 10**7}}, "model.hier.local_dim"),
        ({**SMALL, "arch": ["flat"]}, "model.arch"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_absurd_checkpoint_config_is_one_line_naming_file_and_field(ckpt, tmp_path, model, field):
    d = with_model(ckpt, tmp_path, model)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(d)
    msg = str(info.value)
    assert str(d / CONFIG_FILE) in msg and field in msg and "\n" not in msg, msg


def test_config_within_ranges_but_over_the_parameter_limit(ckpt, tmp_path):
    # every field in range, but 4096 wide x 1024 layers is ~2e11 parameters
    d = with_model(ckpt, tmp_path, {**SMALL, "dim": 4096, "n_heads": 32, "n_layers": 1024})
    with pytest.raises(CheckpointError, match=re.escape(f"over the limit of {MAX_PARAMS:.3g}")):
        load_checkpoint(d)


def test_config_that_does_not_fit_the_weights_is_refused_before_building(ckpt, tmp_path):
    # 300M parameters: under the limit, but the weights file holds a few thousand numbers
    d = with_model(ckpt, tmp_path, {**SMALL, "dim": 2048, "n_heads": 16, "n_layers": 2})
    with pytest.raises(CheckpointError, match=r"embed\.weight has shape .* model\.dim"):
        load_checkpoint(d)
    d2 = tmp_path / "layers"
    d2.mkdir()
    (d2 / WEIGHTS_FILE).write_bytes((ckpt / WEIGHTS_FILE).read_bytes())
    meta = json.loads((ckpt / CONFIG_FILE).read_text())
    meta["model"]["n_layers"] = 900
    (d2 / CONFIG_FILE).write_text(json.dumps(meta))
    with pytest.raises(
        CheckpointError, match="holds 2 blocks, config.json's model.n_layers is 900"
    ):
        load_checkpoint(d2)


def test_absurd_config_peak_memory_stays_small(ckpt, tmp_path):
    """In a fresh process: refusing n_layers=10**6 must not allocate (the old code climbed past
    4.5 GB); the peak stays at what importing torch costs."""
    d = with_model(ckpt, tmp_path, {**SMALL, "dim": 4096, "n_heads": 32, "n_layers": 1000})
    code = (
        "import resource, sys\n"
        "from aether_core.checkpoint import load_checkpoint, CheckpointError\n"
        "try:\n    load_checkpoint(sys.argv[1])\nexcept CheckpointError as e:\n    print(e)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code, str(d)], capture_output=True, text=True,
                         env=env, timeout=240, check=True).stdout.splitlines()  # fmt: skip
    assert "over the limit" in out[0] or "GiB" in out[0], out
    assert int(out[1]) < 1_000_000, out  # KB: well under 1 GB (4096 x 1000 would be ~200 GB)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0


def test_config_json_that_is_a_fifo_or_huge_does_not_hang(ckpt, tmp_path):
    d = tmp_path / "fifo"
    d.mkdir()
    os.mkfifo(d / CONFIG_FILE)
    with pytest.raises(CheckpointError, match="not a regular file"):
        load_checkpoint(d)
    d2 = tmp_path / "huge"
    d2.mkdir()
    (d2 / CONFIG_FILE).write_bytes(b" " * (2 << 20))
    with pytest.raises(CheckpointError, match="bytes"):
        load_checkpoint(d2)
    d3 = tmp_path / "fifo-weights"
    d3.mkdir()
    (d3 / CONFIG_FILE).write_bytes((ckpt / CONFIG_FILE).read_bytes())
    os.mkfifo(d3 / WEIGHTS_FILE)
    with pytest.raises(CheckpointError, match="not a regular file"):
        load_checkpoint(d3)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("train.batch_size=1.5", "train.batch_size must be an integer, not 1.5"),
        ("train.batch_size=0", "train.batch_size must be at least 1"),
        ("train.lr=nan", "train.lr must be a finite number"),
        ("train.lr=-1e-3", "train.lr must be above 0"),
        ("train.beta2=1.5", "train.beta2 must be below 1"),
        ("train.compile=1", "train.compile must be true or false"),
        ("train.optimizer=sgd", "train.optimizer must be one of adamw, muon"),
        ("data.val_fraction=0", "data.val_fraction must be above 0"),
        ("lora.rank=2.0", "lora.rank must be an integer"),
        ("model.n_layers=100000", "model.n_layers must be at most 1024"),
    ],
)
def test_training_config_is_typed_and_range_checked(assignment, message):
    with pytest.raises(ConfigError) as info:
        resolve_config(sets=[assignment])
    assert message in str(info.value) and "\n" not in str(info.value)


def test_training_config_file_nested_too_deeply(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(ConfigError, match="deep.toml"):
        resolve_config(path)


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 50_000 + "]" * 50_000,
        "x = {" * 5_000 + "}" * 5_000,
        "\x00\xff not toml",
    ],
    ids=["deep-array", "deep-table", "binary"],
)
def test_unreadable_settings_are_set_aside_not_lost(tmp_path, text):
    path = tmp_path / "tui.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    original = path.read_bytes()
    s = Settings.load(path)
    assert s == Settings() and len(s.warnings) == 1 and "set aside" in s.warnings[0]
    (kept,) = tmp_path.glob("tui.toml.corrupt-*")
    assert kept.read_bytes() == original


def test_settings_that_is_a_fifo_is_set_aside(tmp_path):
    path = tmp_path / "tui.toml"
    os.mkfifo(path)
    s = Settings.load(path)
    assert s == Settings() and "not a regular file" in s.warnings[0]
    assert not path.exists() and list(tmp_path.glob("tui.toml.corrupt-*"))


def test_settings_out_of_range_never_reach_the_agent(tmp_path):
    path = tmp_path / "tui.toml"
    path.write_text("[sampling]\ntemperature = nan\ntop_k = -5\ntop_p = 7\n")
    cfg = Settings.load(path).sampling.config()
    assert (cfg.temperature, cfg.top_k, cfg.top_p) == (0.0, 0, 1.0)
