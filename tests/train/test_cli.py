"""The command line: config resolution, `aether train`, `aether runs`, `aether eval bpb`."""

from __future__ import annotations

import json
import math

import pytest
import torch

from aether_core.checkpoint import load_checkpoint, save_checkpoint
from aether_core.cli import build_parser, main
from aether_core.config import ConfigError
from aether_core.eval import bpb as bpb_mod
from aether_core.model import build_model
from aether_core.train.config import parse_assignment, resolve_config

from .helpers import tiny_model

TOML = """
stage = "lm"
[model]
dim = 32
n_layers = 1
n_heads = 2
max_seq_len = 64
cross_attn = false
[train]
lr = 0.002
batch_size = 4
seq_len = 32
max_steps = 5
threads = 1
[data]
paths = ["data.txt"]
"""


def test_toml_then_flags_then_set(tmp_path, text_file, monkeypatch):
    cfg_file = tmp_path / "cfgs" / "c.toml"
    cfg_file.parent.mkdir()
    cfg_file.write_text(TOML.replace("data.txt", "../data.txt"))
    monkeypatch.chdir(tmp_path / "cfgs")  # relative data paths: from cwd when they exist there
    args = build_parser().parse_args(
        [
            "train",
            "lm",
            "--config",
            str(cfg_file),
            "--lr",
            "0.01",
            "--n-layers",
            "2",
            "--set",
            "train.warmup_steps=7",
            "--set",
            "model.qk_norm=true",
        ]
    )
    from aether_core.cli.train import resolve_from_args

    cfg, resume = resolve_from_args(args)
    assert not resume
    assert cfg.train.lr == 0.01  # flag beats file
    assert cfg.train.batch_size == 4  # file beats default
    assert cfg.model.n_layers == 2 and cfg.model.dim == 32 and cfg.model.cross_attn is False
    assert cfg.train.warmup_steps == 7 and cfg.model.qk_norm is True
    assert cfg.data.paths == [str(text_file.resolve())]  # stored absolute: resumable anywhere
    monkeypatch.chdir(tmp_path.parent)  # elsewhere: resolved against the config file's folder
    assert resolve_config(cfg_file).data.paths == [str(text_file.resolve())]


def test_bad_config_is_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown TrainConfig field"):
        resolve_config(None, {"train": {"learning_rate": 1}})
    with pytest.raises(ConfigError, match="seq_len"):
        resolve_config(None, {"train": {"seq_len": 128}, "model": {"max_seq_len": 64}})
    assert parse_assignment("data.paths=['a', 'b']") == {"data": {"paths": ["a", "b"]}}
    assert parse_assignment("train.name=hello") == {"train": {"name": "hello"}}
    assert main(["train", "lm", "--set", "train.nope=1"]) == 1


def test_train_runs_and_eval_commands(tmp_path, text_file, capsys):
    runs = tmp_path / "runs"
    rc = main(
        [
            "train",
            "lm",
            "--data",
            str(text_file),
            "--runs-dir",
            str(runs),
            "--name",
            "t1",
            "--dim",
            "32",
            "--n-layers",
            "1",
            "--n-heads",
            "2",
            "--no-cross-attn",
            "--set",
            "model.max_seq_len=64",
            "--seq-len",
            "32",
            "--batch-size",
            "4",
            "--max-steps",
            "6",
            "--eval-every",
            "3",
            "--log-every",
            "2",
            "--threads",
            "1",
            "--no-progress",
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "val_bits_per_byte:" in out

    # --resume with a larger budget continues the same run folder
    assert (
        main(["train", "lm", "--resume", str(runs / "t1"), "--max-steps", "8", "--no-progress"])
        == 0
    )
    state = json.loads((runs / "t1/ckpt/last/trainer_state.json").read_text())
    assert state["step"] == 8
    assert main(["train", "vq", "--resume", str(runs / "t1")]) == 2  # wrong stage: usage error
    capsys.readouterr()

    assert main(["runs", "list", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "t1" in out and "lm" in out and " 8 " in out

    assert (
        main(["runs", "show", "t1", "--runs-dir", str(runs), "--width", "70", "--height", "12"])
        == 0
    )
    out = capsys.readouterr().out
    assert "best: val_bpb" in out and "[model]" in out
    assert "loss (nats)" in out and "validation bits per byte" in out
    assert main(["runs", "show", "nope", "--runs-dir", str(runs)]) == 1

    argv = [
        "--checkpoint",
        str(runs / "t1/ckpt/best"),
        str(text_file),  # twice in the table run: per-file rows and an overall row
        "--max-bytes",
        "3000",
        "--threads",
        "1",
    ]
    assert main(["eval", "bpb", *argv[:2], str(text_file), *argv[2:]]) == 0
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    assert last.startswith("bits_per_byte: ")
    assert 0 < float(last.split()[-1]) < 9
    rows = [line for line in out.splitlines() if "│ 2,999 │" in line or "│ 5,998 │" in line]
    assert len(rows) == 3 and "overall" in rows[-1]  # a row per file, then the total
    assert "perplexity" in out and "true byte" in out
    assert main(["eval", "bpb", *argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (one,) = report["files"]
    assert one["bytes"] == 2999 and report["bytes"] == 2999
    assert math.isclose(report["perplexity"], 2 ** report["bits_per_byte"], rel_tol=1e-9)
    assert 0 <= report["conf_min"] <= report["conf_mean"] <= report["conf_max"] <= 1
    assert 0 <= report["accuracy"] <= 1


def test_sliding_windows_score_every_byte_once():
    for n, ctx, stride in [(10, 4, 2), (100, 16, 8), (17, 16, 5), (5, 16, 8), (33, 8, 8)]:
        spans = bpb_mod.windows(n, ctx, stride)
        assert sum(new for _, _, new in spans) == n - 1
        assert all(e - s <= ctx and 0 < new <= e - s for s, e, new in spans)


def test_sliding_bpb_matches_a_full_context_pass(tmp_path):
    torch.manual_seed(0)
    cfg = tiny_model(max_seq_len=128)
    model = build_model(cfg).eval()
    data = bytes(range(40)) * 2
    m = bpb_mod.stream_metrics(model, data, context=64, stride=32)
    x = torch.tensor(list(data))
    with torch.no_grad():
        logits = model(x[None, :-1])[0]
    want = float(torch.nn.functional.cross_entropy(logits, x[1:], reduction="sum"))
    assert m.count == 79 and math.isclose(m.nats, want, rel_tol=1e-5)
    p_true = torch.softmax(logits, -1).gather(-1, x[1:, None]).squeeze(-1)
    assert m.correct == int((logits.argmax(-1) == x[1:]).sum())
    assert math.isclose(m.conf_mean, float(p_true.mean()), rel_tol=1e-5)
    assert math.isclose(m.conf_min, float(p_true.min()), rel_tol=1e-5)
    assert math.isclose(m.conf_max, float(p_true.max()), rel_tol=1e-5)
    ckpt = save_checkpoint(tmp_path / "ck", model, cfg, extra={"train": {"train": {"seq_len": 32}}})
    _, c, meta = load_checkpoint(ckpt)
    assert bpb_mod.default_context(c, meta) == 32


def test_stage_defaults_sit_under_file_and_flags(tmp_path):
    assert resolve_config(stage="vq").train.weight_decay == 1e-4
    assert resolve_config(stage="lm").train.weight_decay == 0.1
    f = tmp_path / "v.toml"
    f.write_text('stage = "vq"\n[train]\nbatch_size = 4\n')
    cfg = resolve_config(f, {"train": {"lr": 1e-3}})
    assert (cfg.train.batch_size, cfg.train.lr, cfg.train.beta2) == (4, 1e-3, 0.99)
