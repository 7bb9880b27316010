"""HierarchicalByteModel: causality, cached == full (splits, rewinds, vision), training, checkpoints."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from aether_core import segments as seg
from aether_core.checkpoint import load_checkpoint, save_checkpoint
from aether_core.cli import main
from aether_core.config import HierConfig, ModelConfig, ViTConfig
from aether_core.model import build_model
from aether_core.model.entropy import entropies, entropy_model_config
from aether_core.model.hierarchical import HierarchicalByteModel
from aether_core.sampling import DecodeSession, SamplingConfig
from aether_core.train.entropy_weights import load_entropy_weights

ATOL = 1e-4


def hier_cfg(patcher: str = "space", cross_attn: bool = False, **kw) -> ModelConfig:
    hier = HierConfig(
        local_dim=32,
        local_heads=2,
        encoder_layers=1,
        decoder_layers=2,
        window=8,
        ngram_sizes=(3, 4, 6),
        ngram_table=64,
        patcher=patcher,
        patch_size=3,
        max_patch=8,
        image_patch=4,
        cross_patches=2,
        entropy_dim=32,
        entropy_layers=1,
        entropy_heads=2,
    )
    return ModelConfig(
        arch="hierarchical",
        dim=48,
        n_layers=2,
        n_heads=4,
        max_seq_len=160,
        cross_attn=cross_attn,
        hier=hier,
        vision=ViTConfig(dim=32, n_layers=1, n_heads=2, n_queries=4),
        **kw,
    )


def make_model(cfg: ModelConfig, seed: int = 0) -> HierarchicalByteModel:
    torch.manual_seed(seed)
    model = build_model(cfg).eval()
    assert isinstance(model, HierarchicalByteModel)
    if model.entropy_model is not None:  # sharpen the random entropy model, split at its median
        with torch.no_grad():
            model.entropy_model.embed.weight.mul_(40)
        ent = entropies(model.entropy_model, sample_tokens())
        model.patcher = dataclasses.replace(model.patcher, threshold=float(ent[1:].median()))
        if model.patcher.kind == "entropy_monotonic":
            model.patcher = dataclasses.replace(model.patcher, threshold=0.0)
    return model


def sample_tokens() -> list[int]:
    return seg.encode(
        [
            seg.Message(
                "user", (seg.Text(b"Draw me a red square, please."), seg.Image(bytes(range(9))))
            ),
            seg.Message(
                "assistant",
                (seg.ToolCall.make("draw", {"shape": "square"}), seg.Text(b"Done: here it is.")),
            ),
        ]
    )


def run_chunks(model, toks: torch.Tensor, splits: list[int], vision=None) -> torch.Tensor:
    cache = model.new_cache(1, 150)
    out, p = [], 0
    for s in splits:
        out.append(
            model(
                toks[:, p:s],
                input_pos=torch.arange(p, s),
                cache=cache,
                vision=vision if p == 0 else None,
            )
        )
        p = s
    return torch.cat(out, dim=1)


def n_patches(model: HierarchicalByteModel, toks: list[int]) -> int:
    ent = entropies(model.entropy_model, toks).tolist() if model.entropy_model is not None else None
    return sum(model.patcher.starts(toks, ent))


@pytest.mark.parametrize(
    "patcher,attention",
    [
        ("space", "standard"),
        ("fixed", "diff"),
        ("entropy", "standard"),
        ("entropy_monotonic", "standard"),
    ],
)
def test_cached_matches_full_for_any_prefill_split(patcher: str, attention: str) -> None:
    model = make_model(hier_cfg(patcher, attention=attention))
    toks = torch.tensor([sample_tokens()])
    T = toks.shape[1]
    assert 4 < n_patches(model, toks[0].tolist()) < T - 4  # patches of varied length
    with torch.no_grad():
        full = model(toks)
        for splits in ([T], [1, 2, 17, 40, T], [33, 34, 35, T], list(range(1, T + 1))):
            torch.testing.assert_close(run_chunks(model, toks, splits), full, atol=ATOL, rtol=0)


def test_batch_rows_with_different_patch_counts_match_single_rows() -> None:
    model = make_model(hier_cfg("space"))
    rows = [b"a" * 40, b"a b c d e f g h i j k l m n o p q r s t", b"one, two; three four five!!"]
    batch = torch.tensor([list(r[:27]) for r in rows])
    with torch.no_grad():
        together = model(batch)
        for i in range(len(rows)):
            torch.testing.assert_close(
                together[i : i + 1], model(batch[i : i + 1]), atol=1e-5, rtol=0
            )


def test_causal_earlier_logits_ignore_later_bytes() -> None:
    assert_causal(make_model(hier_cfg("space")))


def assert_causal(model: HierarchicalByteModel) -> None:
    """Logits before position k do not move when the bytes from k on change."""
    toks = torch.tensor([sample_tokens()])
    with torch.no_grad():
        base = model(toks)
        for k in (5, 30, 50):
            changed = toks.clone()
            changed[0, k:] = torch.randint(0, 256, (toks.shape[1] - k,))
            torch.testing.assert_close(model(changed)[:, :k], base[:, :k], atol=1e-6, rtol=0)


def test_vision_cached_matches_full() -> None:
    model = make_model(hier_cfg("space", cross_attn=True))
    toks = torch.tensor([sample_tokens()])
    T = toks.shape[1]
    with torch.no_grad():
        vision, vmask = model.encode_images(torch.rand(1, 2, 3, 64, 64))
        full = model(toks, vision=vision, vision_mask=vmask)
        assert (full - model(toks)).abs().max() > 1e-5  # the image matters
        for splits in ([T], [3, 20, 21, T], list(range(1, T + 1))):
            torch.testing.assert_close(
                run_chunks(model, toks, splits, vision), full, atol=ATOL, rtol=0
            )
    session = DecodeSession(model, 150)
    got = session.feed(toks[0].tolist(), vision=vision, vision_key="img")
    torch.testing.assert_close(got, full[0, -1], atol=ATOL, rtol=0)
    got = session.feed(toks[0, :40].tolist() + [66], vision=vision, vision_key="img")  # rewind
    with torch.no_grad():
        want = model(torch.tensor([toks[0, :40].tolist() + [66]]), vision=vision)[0, -1]
    torch.testing.assert_close(got, want, atol=ATOL, rtol=0)


@pytest.mark.parametrize("patcher", ["space", "entropy"])
def test_decode_session_generation_and_rewind(patcher: str) -> None:
    model = make_model(hier_cfg(patcher))
    prompt = sample_tokens()[:30]
    session = DecodeSession(model, 150)
    greedy = SamplingConfig(temperature=0.0)
    got = list(session.generate(prompt, greedy, 25, stop_tokens=()))
    seq = list(prompt)  # the slow way: a full pass per token
    with torch.no_grad():
        for _ in range(25):
            seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
    assert got == seq[len(prompt) :]
    # a diverging context rewinds into the middle of a patch; logits still equal a full pass
    for ctx in (prompt[:13] + list(b" xyz, abc"), prompt + got[:3], prompt[:1] + list(b"Hi")):
        logits = session.feed(ctx)
        with torch.no_grad():
            torch.testing.assert_close(logits, model(torch.tensor([ctx]))[0, -1], atol=ATOL, rtol=0)


def test_training_steps_lower_loss() -> None:
    model = make_model(hier_cfg("space")).train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(0)
    text = torch.tensor(list(b"the cat sat on the mat. " * 20))
    losses = []
    for _ in range(30):
        offs = torch.randint(0, 100, (4,), generator=g)
        batch = torch.stack([text[o : o + 49] for o in offs])
        x, y = batch[:, :-1], batch[:, 1:]
        loss = torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.6 * sum(losses[:5]) / 5, losses


def test_entropy_model_is_frozen_and_skipped_by_training() -> None:
    model = make_model(hier_cfg("entropy")).train()
    assert not any(p.requires_grad for p in model.entropy_model.parameters())
    toks = torch.tensor([sample_tokens()[:40]] * 2)
    model(toks).sum().backward()
    assert all(p.grad is None for p in model.entropy_model.parameters())
    assert model.num_params(include_entropy=True) > model.num_params()


@pytest.mark.parametrize("patcher", ["space", "entropy"])
def test_checkpoint_round_trip(tmp_path, patcher: str) -> None:
    cfg = hier_cfg(patcher, cross_attn=True)
    model = make_model(cfg)
    save_checkpoint(tmp_path, model, cfg)
    loaded, cfg2, _ = load_checkpoint(tmp_path)
    assert cfg2 == cfg and isinstance(loaded, HierarchicalByteModel)
    loaded.patcher = model.patcher  # the test's threshold tweak is not part of the config
    toks = torch.tensor([sample_tokens()])
    with torch.no_grad():
        torch.testing.assert_close(loaded(toks), model(toks), atol=0, rtol=0)
    if patcher == "entropy":
        assert not any(p.requires_grad for p in loaded.entropy_model.parameters())


def test_entropy_weights_from_a_flat_checkpoint_and_cli(tmp_path, capsys) -> None:
    cfg = hier_cfg("entropy")
    flat_cfg = entropy_model_config(cfg)
    torch.manual_seed(3)
    flat = build_model(flat_cfg)
    save_checkpoint(tmp_path / "ent", flat, flat_cfg)
    model = make_model(cfg)
    load_entropy_weights(model, tmp_path / "ent")
    toks = sample_tokens()
    ent = entropies(model.entropy_model, toks)
    assert ent.shape == (len(toks),) and ent[0] == 0
    torch.testing.assert_close(ent, entropies(flat.eval(), toks))

    text = tmp_path / "t.txt"
    text.write_bytes(b"To be, or not to be, that is the question.")
    assert (
        main(
            [
                "patch",
                "--checkpoint",
                str(tmp_path / "ent"),
                str(text),
                "--plain",
                "--threshold",
                "8.9",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "patches (entropy, threshold 8.9 bits" in out and "|" in out
    save_checkpoint(tmp_path / "hier", model, cfg)
    assert (
        main(
            [
                "patch",
                "--checkpoint",
                str(tmp_path / "hier"),
                str(text),
                "--plain",
                "--patcher",
                "entropy_monotonic",
                "--threshold",
                "0",
            ]
        )
        == 0
    )
    assert "average patch length" in capsys.readouterr().out


def test_unsupported_uses_fail_clearly() -> None:
    model = make_model(hier_cfg("space"))
    toks = torch.tensor([sample_tokens()[:10]] * 2)
    with pytest.raises(ValueError, match="padded batches"):
        model(toks, key_valid=torch.tensor([[True] * 10, [False] + [True] * 9]))
    with pytest.raises(ValueError, match="batch 1"):
        model.new_cache(2, 16)
    cache = model.new_cache(1, 16)
    with pytest.raises(ValueError, match="cannot continue"):
        model(toks[:1, :2], input_pos=torch.arange(3, 5), cache=cache)
