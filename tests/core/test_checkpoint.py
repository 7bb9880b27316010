"""Checkpoints: exact round trips, and one clear CheckpointError line for every way to break one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import aether_core
from aether_core.checkpoint import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    CheckpointError,
    average_weights,
    default_checkpoint,
    load_checkpoint,
    read_config,
    resolve_device,
    save_checkpoint,
    save_weights,
)
from aether_core.errors import AetherError

from .helpers import tiny_config, tiny_model


@pytest.fixture
def ckpt(tmp_path) -> Path:
    model = tiny_model(seed=5)
    return save_checkpoint(tmp_path / "ckpt", model, model.cfg, extra={"step": 7})


def tokens():
    return torch.randint(0, 512, (2, 24), generator=torch.Generator().manual_seed(3))


# ------------------------------------------------------------------------------ round trip
def test_round_trip_identical_logits(ckpt):
    original = tiny_model(seed=5)
    loaded, cfg, meta = load_checkpoint(ckpt)
    assert cfg == original.cfg
    assert meta["format"] == "aether-checkpoint" and meta["version"] == 1 and meta["step"] == 7
    assert not loaded.training
    assert all(p.device.type == "cpu" and not p.is_meta for p in loaded.parameters())
    assert loaded.rope_cos.shape == (128, 16) and not loaded.rope_cos.is_meta
    images = torch.rand(2, 1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        want = original(tokens(), vision=original.encode_images(images)[0])
        got = loaded(tokens(), vision=loaded.encode_images(images)[0])
    torch.testing.assert_close(got, want, atol=0, rtol=0)
    assert sorted(p.name for p in ckpt.iterdir()) == [CONFIG_FILE, WEIGHTS_FILE]  # no temp files


def test_round_trip_other_config_and_dtype(tmp_path):
    model = tiny_model(seed=1, qk_norm=True, tie_embeddings=False, n_kv_heads=1)
    save_checkpoint(tmp_path, model, model.cfg)
    loaded, cfg, _ = load_checkpoint(tmp_path, dtype=torch.bfloat16)
    assert cfg.qk_norm and not cfg.tie_embeddings and cfg.n_kv_heads == 1
    assert loaded.embed.weight.dtype == torch.bfloat16
    loaded32, _, _ = load_checkpoint(tmp_path)
    with torch.no_grad():
        torch.testing.assert_close(loaded32(tokens()), model(tokens()), atol=0, rtol=0)


def test_overwrite_checkpoint(tmp_path):
    a, b = tiny_model(seed=1), tiny_model(seed=2)
    save_checkpoint(tmp_path, a, a.cfg)
    save_checkpoint(tmp_path, b, b.cfg)
    loaded, _, _ = load_checkpoint(tmp_path)
    assert torch.equal(loaded.embed.weight, b.embed.weight)


def test_average_of_two_checkpoints_is_the_mean_of_their_weights_and_loads(tmp_path):
    a, b = tiny_model(seed=1), tiny_model(seed=2)
    save_checkpoint(tmp_path / "a", a, a.cfg)
    save_checkpoint(tmp_path / "b", b, b.cfg)
    mean = average_weights([tmp_path / "a", tmp_path / "b"])
    want = (a.embed.weight + b.embed.weight) / 2
    torch.testing.assert_close(mean["embed.weight"], want)
    assert not torch.equal(mean["embed.weight"], a.embed.weight)
    save_weights(tmp_path / "a" / WEIGHTS_FILE, mean)  # over a's: the soup is a checkpoint
    loaded, _, _ = load_checkpoint(tmp_path / "a")
    torch.testing.assert_close(loaded.embed.weight, want)
    other = tiny_model(seed=3, n_layers=1)
    save_checkpoint(tmp_path / "c", other, other.cfg)
    with pytest.raises(CheckpointError, match="model config differs"):
        average_weights([tmp_path / "a", tmp_path / "c"])


def test_read_config_only(ckpt):
    cfg, meta = read_config(ckpt)
    assert cfg == tiny_config() and meta["model"]["dim"] == 64


# ------------------------------------------------------------------------------ broken checkpoints
def expect_error(directory, names: Path, pattern: str) -> CheckpointError:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(directory)
    err = info.value
    msg = str(err)
    assert isinstance(err, AetherError)
    assert str(names) in msg, msg
    assert re.search(pattern, msg), msg
    assert "\n" not in msg
    return err


def edit_config(ckpt: Path, fn) -> None:
    path = ckpt / CONFIG_FILE
    meta = json.loads(path.read_text())
    fn(meta)
    path.write_text(json.dumps(meta))


def test_missing_directory(tmp_path):
    expect_error(tmp_path / "nope", tmp_path / "nope", "does not exist")


def test_path_is_a_file(tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"x")
    expect_error(f, f, "must be a directory")


def test_missing_config(ckpt):
    (ckpt / CONFIG_FILE).unlink()
    expect_error(ckpt, ckpt / CONFIG_FILE, "missing")


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe\x00"])
def test_config_not_json(ckpt, content):
    (ckpt / CONFIG_FILE).write_bytes(content)
    expect_error(ckpt, ckpt / CONFIG_FILE, "not JSON")


@pytest.mark.parametrize("fmt", ["other-format", None, 1])
def test_wrong_format_field(ckpt, fmt):
    edit_config(ckpt, lambda m: m.update(format=fmt))
    expect_error(ckpt, ckpt / CONFIG_FILE, "format field")


def test_config_not_an_object(ckpt):
    (ckpt / CONFIG_FILE).write_text("[1, 2]")
    expect_error(ckpt, ckpt / CONFIG_FILE, "format field")


def test_newer_version(ckpt):
    edit_config(ckpt, lambda m: m.update(version=99))
    expect_error(ckpt, ckpt / CONFIG_FILE, "newer Aether")


@pytest.mark.parametrize("version", ["1", None, 1.5, True])
def test_bad_version_type(ckpt, version):
    edit_config(ckpt, lambda m: m.update(version=version))
    expect_error(ckpt, ckpt / CONFIG_FILE, "version")


def test_unknown_config_field(ckpt):
    edit_config(ckpt, lambda m: m["model"].update(bogus=1))
    expect_error(ckpt, ckpt / CONFIG_FILE, "unknown ModelConfig field.*bogus")


def test_unknown_nested_config_field(ckpt):
    edit_config(ckpt, lambda m: m["model"]["vision"].update(colour=1))
    expect_error(ckpt, ckpt / CONFIG_FILE, "unknown ViTConfig field.*colour")


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        ({"n_heads": 0}, "n_heads"),
        ({"dim": 63}, "divisible"),
        ({"n_kv_heads": 3}, "n_kv_heads"),
        ({"dim": "64"}, "model.dim must be an integer"),
        ({"dim": 64.5}, "model.dim must be an integer"),
        ({"n_layers": True}, "model.n_layers must be an integer"),
        ({"n_layers": 0}, "model.n_layers must be at least 1"),
        ({"dim": 10**9}, "model.dim must be at most 65536"),
        ({"vision": {"n_heads": 0}}, r"model\.vision\.n_heads must be at least 1"),
        ({"attention": "sparse"}, "attention"),
    ],
)
def test_invalid_config_values(ckpt, edit, pattern):
    edit_config(ckpt, lambda m: m["model"].update(edit))
    expect_error(ckpt, ckpt / CONFIG_FILE, pattern)


def test_model_not_an_object(ckpt):
    edit_config(ckpt, lambda m: m.update(model=[1]))
    expect_error(ckpt, ckpt / CONFIG_FILE, "must be an object")


def test_missing_weights(ckpt):
    (ckpt / WEIGHTS_FILE).unlink()
    expect_error(ckpt, ckpt / WEIGHTS_FILE, "missing")


def test_truncated_weights(ckpt):
    path = ckpt / WEIGHTS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect_error(ckpt, path, "truncated or corrupt")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"garbage",
        bytes(range(256)) * 8,
        (20).to_bytes(8, "little") + b"{this is not json!!}",
        (10**12).to_bytes(8, "little") + b"{}",
    ],
    ids=["empty", "short", "random", "bad header", "huge header"],
)
def test_garbage_weights(ckpt, content):
    (ckpt / WEIGHTS_FILE).write_bytes(content)
    expect_error(ckpt, ckpt / WEIGHTS_FILE, "truncated or corrupt")


def test_weights_shape_mismatch(ckpt):
    edit_config(ckpt, lambda m: m["model"].update(dim=32))
    # caught from the safetensors header, before the model is built
    expect_error(ckpt, ckpt / WEIGHTS_FILE, r"embed\.weight has shape .*model\.dim")


def test_weights_missing_tensor(ckpt):
    path = ckpt / WEIGHTS_FILE
    tensors = load_file(str(path))
    del tensors["blocks.1.w2.weight"]
    save_file(tensors, str(path))
    expect_error(ckpt, path, r"missing 1 tensor\(s\), e\.g\. blocks\.1\.w2\.weight")


def test_weights_unexpected_tensor(ckpt):
    path = ckpt / WEIGHTS_FILE
    tensors = load_file(str(path))
    tensors["blocks.9.extra"] = torch.zeros(3)
    save_file(tensors, str(path))
    expect_error(ckpt, path, r"1 unexpected, e\.g\. blocks\.9\.extra")


def test_config_from_another_architecture(ckpt):
    # a checkpoint saved without cross-attention cannot load into a config that expects it
    plain = tiny_model(cross_attn=False)
    save_checkpoint(ckpt, plain, tiny_config())  # config says cross_attn=True
    expect_error(ckpt, ckpt / WEIGHTS_FILE, r"missing \d+ tensor")


def test_no_pickle_anywhere_in_the_package():
    root = Path(aether_core.__file__).parent
    sources = list(root.rglob("*.py"))
    assert len(sources) > 10
    offenders = [
        str(p.relative_to(root))
        for p in sources
        if re.search(r"torch\.load\s*\(|\bimport pickle\b|pickle\.loads?\(", p.read_text("utf-8"))
    ]
    assert not offenders, f"weights must never be unpickled: {offenders}"


# ------------------------------------------------------------------------------ devices
def test_resolve_device_auto():
    if torch.cuda.is_available():
        assert resolve_device("auto").type == "cuda"
    elif torch.backends.mps.is_available():
        assert resolve_device("auto").type == "mps"
    else:
        assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device() == resolve_device("auto")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["bogus", "", "gpu", "cuda:x", "cuda:-1", "meta", "xpu", "CPU!"])
def test_resolve_device_bad_names(name):
    with pytest.raises(AetherError, match="device"):
        resolve_device(name)


def test_resolve_device_unavailable():
    if not torch.cuda.is_available():
        with pytest.raises(AetherError, match="CUDA is not available"):
            resolve_device("cuda")
        with pytest.raises(AetherError, match="CUDA is not available"):
            resolve_device("cuda:0")
    if not torch.backends.mps.is_available():
        with pytest.raises(AetherError, match="MPS is not available"):
            resolve_device("mps")


def test_default_checkpoint_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AETHER_CHECKPOINT", str(tmp_path / "x"))
    assert default_checkpoint() == tmp_path / "x"
