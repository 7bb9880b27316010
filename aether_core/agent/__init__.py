"""The agent API every face drives: ``build_agent(...)`` then ``agent.run(text)`` -> events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .approval import DEFAULT_APPROVAL
from .limits import MAX_STEPS

if TYPE_CHECKING:
    from ..config import ModelConfig
    from ..decoding import SamplingConfig
    from .agent import AetherAgent

__all__ = ["AetherAgent", "build_agent"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not import torch
    if name == "AetherAgent":
        from .agent import AetherAgent

        return AetherAgent
    raise AttributeError(name)


def build_agent(
    checkpoint: str | None = None,
    device: str = "auto",
    approve: str = DEFAULT_APPROVAL,
    memory_path: str | None = None,
    out_dir: str | None = None,
    model_config: ModelConfig | None = None,
    max_steps: int = MAX_STEPS,
    seed: int | None = None,
    use_memory: bool = True,
    tools: Any = None,
    net_policy: Any = None,
    dtype: str | None = None,  # one of decoding.DTYPES
    sampling: SamplingConfig | None = None,
    compile: bool = False,
) -> AetherAgent:
    """Load a checkpoint (the shipped default when none is given; random weights when there is
    none) and wire it to the tools, approval policy, memory and image codec.

    ``sampling`` defaults to ``decoding.SamplingConfig()`` (greedy) with ``seed``; every face
    passes its overrides here rather than editing the agent afterwards. ``compile``: decode
    through a compiled static-shape step (model/compiled_decode.py)."""
    from pathlib import Path

    import torch

    from ..checkpoint import default_assets_dir, default_checkpoint, load_checkpoint, resolve_device
    from ..config import ModelConfig
    from ..decoding import SamplingConfig
    from ..memory import VectorMemory
    from ..model import build_model
    from ..model.quantize import apply_dtype
    from ..model.vq import TinyVQVAE, VQConfig, load_vq
    from ..tools import default_registry
    from .agent import AetherAgent, AgentConfig
    from .approval import ApprovalPolicy
    from .policy import ModelInfo, ModelPolicy

    dev = resolve_device(device)
    ckpt = Path(checkpoint) if checkpoint else (None if model_config else default_checkpoint())
    if ckpt is not None:
        model, cfg, meta = load_checkpoint(ckpt, device=dev)
        dtype = dtype or meta.get("decode_dtype")
        name, random_weights = ckpt.resolve().name, False
        if name == "default" and ckpt.resolve().parent.name in ("assets", "aether_assets"):
            name = "aether-default"
    else:
        cfg = model_config or ModelConfig()
        torch.manual_seed(0 if seed is None else seed)
        model = build_model(cfg).to(dev).eval()
        name, random_weights = "random-init", True
    head = None
    if ckpt is not None and getattr(model, "vit", None) is not None:
        from ..model.vision_head import load_vision_head

        head = load_vision_head(ckpt, cfg.dim)
        head = head.to(dev) if head is not None else None
    params = model.num_params()  # before int8 packs the weights away from the parameters
    model = apply_dtype(model, dtype)
    vq = None
    for d in [ckpt, default_assets_dir()]:  # the shipped codec serves any model without one
        if d is not None and (Path(d) / "vq.safetensors").exists():
            vq = load_vq(d)
            break
    if vq is None:
        torch.manual_seed(0)
        vq = TinyVQVAE(VQConfig()).eval()
    p = next(model.parameters())
    info = ModelInfo(
        name=name,
        params=params,
        device=str(dev),
        dtype=dtype or str(p.dtype).replace("torch.", ""),
        checkpoint=str(ckpt) if ckpt else None,
        random_weights=random_weights,
    )
    registry = tools or default_registry(net_policy=net_policy)
    memory = VectorMemory.open(memory_path) if use_memory else None
    config = AgentConfig(
        max_steps=max_steps,
        out_dir=Path(out_dir) if out_dir else None,
        sampling=sampling or SamplingConfig(seed=seed),
    )
    return AetherAgent(
        ModelPolicy(model, info, compile=compile, vision_head=head),
        registry,
        approval=ApprovalPolicy.from_spec(approve, known_tools=registry.names()),
        memory=memory,
        vq=vq,
        config=config,
        net_policy=net_policy,
    )
