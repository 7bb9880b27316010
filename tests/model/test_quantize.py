"""Decode precisions (model/quantize.py): packed int8/float16 CPU weights and --dtype."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aether_core.config import ModelConfig
from aether_core.decoding import DTYPES
from aether_core.errors import AetherError
from aether_core.model import build_model
from aether_core.model.fast_decode import FastStep
from aether_core.model.quantize import PackedLinear, apply_dtype
from aether_core.sampling import DecodeSession
from tests.core.helpers import tiny_model

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).detach().norm() / b.detach().norm())


@pytest.mark.parametrize("kind,tol", [("int8", 0.05), ("float16", 1e-3)])
def test_packed_linear_is_close_to_the_float_layer(kind, tol) -> None:
    lin = nn.Linear(96, 160, bias=False)
    packed = PackedLinear(lin, kind)
    x = torch.randn(3, 5, 96)
    ref = lin(x)
    out = packed(x)
    assert out.shape == ref.shape and out.dtype == torch.float32
    assert _rel(out, ref) < tol
    assert _rel(packed.decode_matmul(x[0, :1]), ref[0, :1]) < tol


def test_packed_linear_refuses_a_bias_and_unknown_kinds() -> None:
    with pytest.raises(ValueError):
        PackedLinear(nn.Linear(4, 4), "int8")
    with pytest.raises(ValueError):
        PackedLinear(nn.Linear(4, 4, bias=False), "int4")


@pytest.mark.parametrize("dtype", ["int8", "float16"])
def test_apply_dtype_packs_every_block_linear_and_decoding_stays_close(dtype) -> None:
    ref = tiny_model(seed=3)
    model = apply_dtype(tiny_model(seed=3), dtype)
    packed = [n for n, m in model.named_modules() if isinstance(m, PackedLinear)]
    # per block: qkv, proj, w13, w2 and the cross-attention's q, kv, proj
    assert len(packed) == 7 * model.cfg.n_layers
    assert not any(type(m) is nn.Linear for b in model.blocks for m in b.modules())
    tokens = torch.randint(0, 256, (1, 24))
    full_ref, full = ref(tokens), model(tokens)
    assert _rel(full, full_ref) < (0.1 if dtype == "int8" else 1e-3)
    session = DecodeSession(model, 64)
    assert isinstance(session.fast, FastStep)  # packed layers run their own kernels in it
    general = DecodeSession(model, 64)
    general.fast = None
    session.feed(tokens[0, :10].tolist())
    general.feed(tokens[0, :10].tolist())
    for t in tokens[0, 10:].tolist():
        torch.testing.assert_close(session.step(t), general.step(t))


def test_apply_dtype_casts_and_refuses_what_it_cannot() -> None:
    assert apply_dtype(tiny_model(), None).embed.weight.dtype == torch.float32
    assert apply_dtype(tiny_model(), "bfloat16").embed.weight.dtype == torch.bfloat16
    assert set(DTYPES) == {"float32", "bfloat16", "float16", "int8"}
    with pytest.raises(AetherError, match="unknown dtype"):
        apply_dtype(tiny_model(), "int3")
    hier = build_model(ModelConfig(arch="hierarchical", dim=64, n_layers=1, n_heads=2)).eval()
    with pytest.raises(AetherError, match="flat model"):
        apply_dtype(hier, "int8")


def test_build_agent_takes_the_dtype_and_the_checkpoints_decode_dtype(tmp_path) -> None:
    import json

    from aether_core.agent import build_agent
    from aether_core.checkpoint import save_checkpoint

    model = tiny_model(seed=7)
    ckpt = save_checkpoint(tmp_path / "tiny", model, model.cfg)
    agent = build_agent(str(ckpt), device="cpu", dtype="int8", use_memory=False)
    assert agent.info.dtype == "int8"
    assert agent.info.params == model.num_params()  # counted before packing
    cfg_path = ckpt / "config.json"
    meta = json.loads(cfg_path.read_text())
    cfg_path.write_text(json.dumps({**meta, "decode_dtype": "float16"}))
    agent = build_agent(str(ckpt), device="cpu", use_memory=False)
    assert agent.info.dtype == "float16"
    assert any(isinstance(m, PackedLinear) for m in agent.policy.model.modules())
    cfg_path.write_text(json.dumps({**meta, "decode_dtype": "int2"}))
    with pytest.raises(AetherError, match="unknown dtype"):
        build_agent(str(ckpt), device="cpu", use_memory=False)
