"""Putting the server together: the agent (``build_agent``, the one sampling default), a policy
that batches every client's turns on one model, the fixed approval policy, and the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..agent.agent import AetherAgent
from ..decoding import SamplingConfig
from .config import ServeConfig


def build_server_agent(
    config: ServeConfig,
    checkpoint: str | None = None,
    *,
    device: str = "auto",
    dtype: str | None = None,
    compile: bool = False,
    sampling: SamplingConfig | None = None,
    out_dir: str | Path | None = None,
    model_config: Any = None,
    max_steps: int = 8,
    tools: Any = None,
    net_policy: Any = None,
) -> AetherAgent:
    """The agent every request forks. No memory: clients are strangers to each other, and one
    client's facts must not surface in another's turn."""
    from ..agent import build_agent
    from .batcher import BatchedPolicy

    agent = build_agent(
        checkpoint,
        device=device,
        dtype=dtype,
        compile=compile,
        approve=config.approve,
        out_dir=str(out_dir) if out_dir else None,
        model_config=model_config,
        max_steps=max_steps,
        use_memory=False,
        tools=tools,
        net_policy=net_policy,
        sampling=sampling,
    )
    approval = agent.approval  # no one to ask on a server: what would ask is refused
    for tool in agent.tools.names():
        if approval.mode_for(tool) == "ask":
            approval.set_mode(tool, "deny")
    if approval.default_mode == "ask":
        approval.default_mode = "deny"
    policy = agent.policy
    if getattr(policy.model, "batched_decode", False):
        policy = BatchedPolicy(
            policy.model,
            policy.info,
            rows=config.batch,
            max_images=config.max_images,
            max_context=policy.max_context,
            gather_s=config.gather_s,
            vision_head=policy.vision_head,
        )
    return agent.fork(policy=policy)


def model_id(agent: AetherAgent, config: ServeConfig) -> str:
    return config.model_name or agent.info.name


def close(agent: AetherAgent) -> None:
    closer = getattr(agent.policy, "close", None)
    if closer is not None:
        closer()
