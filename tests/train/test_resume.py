"""Checkpoints are atomic and a killed run resumes into the run it would have been."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from aether_core.checkpoint import load_checkpoint
from aether_core.train import loop as loop_mod
from aether_core.train import state as state_mod
from aether_core.train.loop import Hooks, train
from aether_core.train.state import atomic_dir, recover_dir

from .helpers import losses, tiny_run


class Killed(Exception):
    """Stands in for SIGKILL: the loop stops between two steps with no chance to save."""


def kill_after(step: int) -> Hooks:
    def after(s: int, _m: dict) -> None:
        if s == step:
            raise Killed

    return Hooks(after_step=after)


def test_killed_run_resumes_with_identical_losses_and_weights(tmp_path, text_file):
    full = train(tiny_run(tmp_path, text_file, name="full", max_steps=12, ckpt_every=4))

    cfg = tiny_run(tmp_path, text_file, name="killed", max_steps=12, ckpt_every=4)
    with pytest.raises(Killed):
        train(cfg, hooks=kill_after(10))  # last checkpoint: step 8; steps 9-10 are lost
    assert max(losses(cfg.train.run_dir)) == 10
    state = json.loads((tmp_path / "killed/ckpt/last/trainer_state.json").read_text())
    assert state["step"] == 8

    resumed = train(cfg, resume=True)
    assert resumed.state.step == 12
    a, b = losses(full.run_dir), losses(resumed.run_dir)
    assert sorted(b) == list(range(1, 13))  # the lost steps were replaced, not duplicated
    assert b == pytest.approx(a, rel=1e-6, abs=1e-7)
    wa = load_file(str(full.run_dir / "ckpt/last/model.safetensors"))
    wb = load_file(str(resumed.run_dir / "ckpt/last/model.safetensors"))
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)


def test_a_warm_started_run_resumes_without_its_init_checkpoint(tmp_path, text_file, capsys):
    import shutil

    from .helpers import tiny_model

    base = train(tiny_run(tmp_path, text_file, name="base", max_steps=2))
    init = str(base.run_dir / "ckpt/last")
    cfg = tiny_run(tmp_path, text_file, name="warm", max_steps=6, ckpt_every=2, init=init,
                   model=tiny_model(cross_attn=True))  # fmt: skip
    with pytest.raises(Killed):
        train(cfg, hooks=kill_after(3))
    assert "warm start from" in capsys.readouterr().out
    shutil.rmtree(base.run_dir)  # the resume reads the run's own weights, not train.init
    assert train(cfg, resume=True).state.step == 6
    assert "warm start" not in capsys.readouterr().out


def test_crash_while_saving_keeps_the_previous_checkpoint(tmp_path, text_file, monkeypatch):
    cfg = tiny_run(tmp_path, text_file, max_steps=6, ckpt_every=2)
    calls = {"n": 0}
    real = loop_mod.save_optimizer

    def flaky(optimizer, directory):
        calls["n"] += 1
        if calls["n"] == 2:  # the step-4 save dies half-way (model already written)
            raise OSError("disk full")
        real(optimizer, directory)

    monkeypatch.setattr(loop_mod, "save_optimizer", flaky)
    with pytest.raises(OSError, match="disk full"):
        train(cfg)
    last = tmp_path / "run/ckpt/last"
    assert json.loads((last / "trainer_state.json").read_text())["step"] == 2
    load_checkpoint(last)  # still a complete, loadable checkpoint
    assert not [p for p in last.parent.iterdir() if p.name.startswith(".")]  # no temp left behind

    monkeypatch.setattr(loop_mod, "save_optimizer", real)
    assert train(cfg, resume=True).state.step == 6


def test_interrupted_swap_is_recovered(tmp_path):
    final = tmp_path / "last"
    with atomic_dir(final) as d:
        (d / "a.txt").write_text("old")
    # Simulate a crash between "rename old aside" and "rename new into place".
    final.rename(state_mod._aside(final))
    assert not final.exists()
    recover_dir(final)
    assert (final / "a.txt").read_text() == "old"

    with pytest.raises(RuntimeError), atomic_dir(final) as d:
        (d / "a.txt").write_text("new")
        raise RuntimeError("crash before the swap")
    assert (final / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["last"]


def test_resume_refuses_a_different_world_size(tmp_path, text_file):
    cfg = tiny_run(tmp_path, text_file, max_steps=2)
    train(cfg)
    path = tmp_path / "run/ckpt/last/trainer_state.json"
    st = json.loads(path.read_text())
    st["world_size"] = 2
    path.write_text(json.dumps(st))
    with pytest.raises(Exception, match="process"):
        train(cfg, resume=True)


def test_new_run_refuses_to_overwrite(tmp_path, text_file):
    cfg = tiny_run(tmp_path, text_file, max_steps=1)
    train(cfg)
    with pytest.raises(Exception, match="--resume"):
        train(cfg)
