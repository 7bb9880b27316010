"""Every face (aether ask, the TUI, aether serve, aether eval skills, a bare AgentConfig) decodes with the same
defaults, read from aether_core.decoding: four copies of the temperature once shipped a bug."""

from __future__ import annotations

import dataclasses

import pytest

import aether_core.agent as agent_pkg
from aether_core.agent.agent import AgentConfig
from aether_core.cli import build_parser
from aether_core.decoding import DEFAULT_SAMPLING, SamplingConfig
from aether_core.eval.skills import SkillRunner
from aether_core.tools.base import ToolRegistry
from aether_tui.agent import BuildAgentFactory
from aether_tui.settings import Settings


class _Built(Exception):
    pass


@pytest.fixture
def captured(monkeypatch):
    """Replace build_agent: record the sampling each face asks for, then stop."""
    seen: list[SamplingConfig] = []

    def fake_build_agent(*args, sampling=None, **kwargs):
        seen.append(sampling)
        raise _Built

    monkeypatch.setattr(agent_pkg, "build_agent", fake_build_agent)
    return seen


def _face_sampling(captured: list, call) -> SamplingConfig:
    with pytest.raises(_Built):
        call()
    return captured[-1]


def _ask(argv: list[str]):
    args = build_parser().parse_args(["ask", *argv])
    return lambda: args.func(args)


def _serve(argv: list[str]):
    args = build_parser().parse_args(["serve", *argv])
    return lambda: args.func(args)


def test_every_face_reads_the_same_defaults(captured):
    ask = _face_sampling(captured, _ask(["hi"]))
    tui = _face_sampling(captured, BuildAgentFactory(Settings()))
    serve = _face_sampling(captured, _serve([]))
    evaluation = SkillRunner(None, None, ToolRegistry([]), out_dir=None, seed=0).sampling
    faces = {"ask": ask, "tui": tui, "serve": serve, "eval": evaluation}
    faces["agent"] = AgentConfig().sampling
    for name, cfg in faces.items():
        assert dataclasses.replace(cfg, seed=None) == DEFAULT_SAMPLING, name
    assert DEFAULT_SAMPLING.temperature == 0.0  # greedy, as the README and the skills table say


def test_overrides_reach_the_agent_and_nothing_else_changes(captured):
    ask = _face_sampling(captured, _ask(["hi", "--temperature", "0.5", "--seed", "3"]))
    assert ask == dataclasses.replace(DEFAULT_SAMPLING, temperature=0.5, seed=3)
    settings = Settings()
    settings.sampling.top_k = 7
    tui = _face_sampling(captured, BuildAgentFactory(settings))
    assert tui == dataclasses.replace(DEFAULT_SAMPLING, top_k=7)
    evaluation = SkillRunner(None, None, ToolRegistry([]), None, temperature=0.2, seed=1).sampling
    assert evaluation == dataclasses.replace(DEFAULT_SAMPLING, temperature=0.2, seed=1)


def test_unknown_override_is_refused():
    with pytest.raises(TypeError, match="temprature"):
        DEFAULT_SAMPLING.with_overrides(temprature=1.0)
