"""train.lr_control = "q": the learned controller drives the loop, is logged, and resumes exactly."""

from __future__ import annotations

import json

import pytest

from aether_core.cli import build_parser
from aether_core.config import ConfigError
from aether_core.train.config import TrainConfig, resolve_config
from aether_core.train.loop import Hooks, train
from aether_core.train.metrics import read_metrics
from aether_core.train.schedule import lr_at, progress_of

from .helpers import tiny_run

CTL_FIELDS = ("ctl_lr_scale", "ctl_beta1", "ctl_action", "ctl_action_name", "ctl_trend")


class Killed(Exception):
    pass


def train_rows(run_dir) -> dict[int, dict]:
    return {m["step"]: m for m in read_metrics(run_dir / "metrics.jsonl") if "loss" in m}


def test_q_control_logs_its_decisions_and_scales_the_lr(tmp_path, text_file):
    cfg = tiny_run(tmp_path, text_file, max_steps=16, lr_control="q", seed=1)  # seed 1 explores
    res = train(cfg)
    rows = train_rows(res.run_dir)
    assert sorted(rows) == list(range(1, 17))
    for r in rows.values():
        assert set(CTL_FIELDS) <= set(r)
        assert 0.05 <= r["ctl_lr_scale"] <= 2.0 and 0.8 <= r["ctl_beta1"] <= 0.99
        assert isinstance(r["ctl_action"], int) and isinstance(r["ctl_action_name"], str)
    # The first calls only build the loss history (no trend, no-op); then it decides.
    assert rows[1]["ctl_trend"] is None and rows[1]["ctl_action"] == 0
    assert all(rows[s]["ctl_trend"] is not None for s in range(5, 17))
    assert rows[16]["ctl_epsilon"] < rows[5]["ctl_epsilon"]  # exploration decays
    decisions = {(r["ctl_lr_scale"], r["ctl_beta1"]) for r in rows.values()}
    assert len(decisions) > 1  # it did change something over 16 steps (seeded: deterministic)
    # "lr" is what each step used: the schedule x the scale decided at the previous log step.
    t = cfg.train
    for s in range(2, 17):
        sched = lr_at(
            s - 1,
            lr=t.lr,
            min_lr=t.floor_lr,
            warmup_steps=t.warmup,
            progress=progress_of(s - 1, t.total_steps, t.warmup, 0.0, None),
        )
        assert rows[s]["lr"] == pytest.approx(
            sched * rows[s - 1]["ctl_lr_scale"], rel=1e-4, abs=1e-6
        )  # metrics are rounded to 6 decimals
    state = json.loads((res.run_dir / "ckpt/last/trainer_state.json").read_text())
    assert state["lr_control"]["calls"] == 16
    assert state["lr_control"]["lr_scale"] == pytest.approx(rows[16]["ctl_lr_scale"])
    best = json.loads((res.run_dir / "ckpt/best/trainer_state.json").read_text())
    assert best["lr_control"] == {}  # best/ is for using, not resuming


def test_plain_runs_log_no_controller_fields(tmp_path, text_file):
    res = train(tiny_run(tmp_path, text_file, max_steps=3))
    assert not any(k.startswith("ctl_") for r in train_rows(res.run_dir).values() for k in r)


def test_killed_q_run_resumes_with_the_same_decisions(tmp_path, text_file):
    kw = dict(max_steps=12, ckpt_every=4, lr_control="q", seed=1)
    full = train(tiny_run(tmp_path, text_file, name="full", **kw))
    cfg = tiny_run(tmp_path, text_file, name="killed", **kw)

    def after(s: int, _m: dict) -> None:
        if s == 10:
            raise Killed

    with pytest.raises(Killed):
        train(cfg, hooks=Hooks(after_step=after))  # last checkpoint: step 8
    saved = json.loads((tmp_path / "killed/ckpt/last/trainer_state.json").read_text())
    assert saved["step"] == 8 and saved["lr_control"]["calls"] == 8

    resumed = train(cfg, resume=True)
    a, b = train_rows(full.run_dir), train_rows(resumed.run_dir)
    assert sorted(b) == list(range(1, 13))
    assert len({a[s]["ctl_lr_scale"] for s in a}) > 1  # the controller acted (and will again)
    for s in range(1, 13):
        for k in ("ctl_lr_scale", "ctl_beta1", "ctl_action", "ctl_trend"):
            assert b[s][k] == a[s][k], (s, k)
        assert b[s]["loss"] == pytest.approx(a[s]["loss"], rel=1e-6, abs=1e-7)
        assert b[s]["lr"] == pytest.approx(a[s]["lr"], rel=1e-6)
    fa = json.loads((full.run_dir / "ckpt/last/trainer_state.json").read_text())["lr_control"]
    fb = json.loads((resumed.run_dir / "ckpt/last/trainer_state.json").read_text())["lr_control"]
    assert fb["rng"] == fa["rng"] and fb["calls"] == fa["calls"] == 12
    flat = [x for row in fb["q"] for x in row]
    assert flat == pytest.approx([x for row in fa["q"] for x in row], rel=1e-5, abs=1e-6)


def test_lr_control_config_and_flags(tmp_path):
    with pytest.raises(ConfigError, match="lr_control"):
        TrainConfig(lr_control="adam")
    with pytest.raises(ConfigError, match="lr_control"):
        resolve_config(sets=["train.lr_control=sometimes"])
    assert resolve_config(sets=["train.lr_control=q"]).train.lr_control == "q"
    assert TrainConfig().lr_control == "none"

    from aether_core.cli.train import resolve_from_args

    for argv in (["--lr-control", "q"], ["--set", "train.lr_control=q"]):
        args = build_parser().parse_args(["train", "lm", *argv])
        cfg, resume = resolve_from_args(args)
        assert cfg.train.lr_control == "q" and not resume
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "lm", "--lr-control", "adam"])
