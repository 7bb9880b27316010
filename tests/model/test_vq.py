"""TinyVQVAE codec: byte interface, training step, usage metric, checkpoints, `aether eval vq`."""

from __future__ import annotations

import json
import math

import pytest
import torch
from PIL import Image

from aether_core.cli import main
from aether_core.data.shapes import shapes_dataset
from aether_core.errors import AetherError
from aether_core.eval.vq import codebook_usage, evaluate_vq, per_stage_usage, psnr
from aether_core.model.vq import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    TinyVQVAE,
    VQCheckpointError,
    VQConfig,
    load_vq,
    save_vq,
)
from aether_core.train.vq import lr_at, make_optimizer, shapes_batch, train_vq, vq_train_step

# A small but complete model: same byte interface (128 codes, 256-entry codebooks), fast on CPU.
TINY = dict(
    enc_levels=(16,),
    enc_width=32,
    enc_blocks=1,
    dec_width=32,
    dec_blocks=1,
    dec_levels=(16,),
    up_blocks=0,
)


@pytest.fixture(scope="module", autouse=True)
def _threads():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def trained(_threads, tmp_path_factory) -> tuple[TinyVQVAE, list[float], str]:
    """One short seeded training run shared by the tests that need a non-random model."""
    torch.manual_seed(0)
    model = TinyVQVAE(VQConfig(**TINY))
    losses: list[float] = []
    train_vq(
        model,
        steps=100,
        batch_size=8,
        lr=3e-3,
        seed=0,
        log=lambda step, m: losses.append(m["recon"]),
    )
    folder = tmp_path_factory.mktemp("vq")
    save_vq(model, folder)
    return model, losses, str(folder)


def test_default_model_is_tiny():
    model = TinyVQVAE()
    assert model.cfg.n_codes == 128
    assert sum(p.numel() for p in model.parameters()) < 1_000_000


def test_encode_decode_bytes():
    torch.manual_seed(0)
    model = TinyVQVAE(VQConfig(**TINY))
    img, _ = shapes_dataset(1, seed=0)[0]
    codes = model.encode(img)
    assert isinstance(codes, bytes) and len(codes) == 128
    out = model.decode(codes)
    assert out.mode == "RGB" and out.size == (64, 64)
    # Any size/mode is resized/converted to 64x64 RGB first.
    assert len(model.encode(img.resize((100, 80)).convert("L"))) == 128
    assert model.decode(bytearray(codes)).size == (64, 64)


def test_decode_rejects_wrong_length():
    model = TinyVQVAE(VQConfig(**TINY))
    for bad in (b"", bytes(127), bytes(129)):
        with pytest.raises(ValueError, match="exactly 128"):
            model.decode(bad)
    with pytest.raises(TypeError):
        model.decode("not bytes")  # type: ignore[arg-type]


def test_tensor_shapes_and_code_order():
    torch.manual_seed(0)
    model = TinyVQVAE(VQConfig(**TINY))
    model.eval()
    x = torch.rand(3, 3, 64, 64)
    codes = model.encode_tensor(x)
    assert codes.shape == (3, 128) and codes.dtype == torch.long
    assert 0 <= int(codes.min()) and int(codes.max()) < 256
    y = model.decode_tensor(codes)
    assert y.shape == (3, 3, 64, 64) and 0 <= float(y.min()) and float(y.max()) <= 1
    recon, losses = model(x)
    assert recon.shape == x.shape and set(losses) >= {"loss", "recon", "commit"}
    # Documented order: byte 2*cell + stage, cells row-major. Changing only stage-2 of the
    # top-left cell must change only the top-left 8x8 neighbourhood's reconstruction most.
    changed = codes.clone()
    changed[:, 1] = (changed[:, 1] + 1) % 256
    diff = (model.decode_tensor(changed) - y).abs().sum(1)[0]
    assert diff[:16, :16].sum() > diff[48:, 48:].sum()
    with pytest.raises(ValueError):
        model.decode_tensor(codes[:, :100])


def test_train_step_returns_metrics():
    torch.manual_seed(0)
    model = TinyVQVAE(VQConfig(**TINY))
    opt = make_optimizer(model, 1e-3)
    import random

    m = vq_train_step(model, opt, shapes_batch(random.Random(0), 4))
    assert set(m) >= {"loss", "recon", "commit", "psnr"} and math.isfinite(m["loss"])
    assert bool(model.quantizer.initialized)  # k-means init happened on the first batch


def test_lr_schedule_warms_up_and_decays():
    assert lr_at(0, 100, 1.0, warmup=10) == pytest.approx(0.1)
    assert lr_at(9, 100, 1.0, warmup=10) == pytest.approx(1.0)
    assert lr_at(99, 100, 1.0, warmup=10) < 0.1


def test_short_training_lowers_loss(trained):
    model, losses, _ = trained
    assert len(losses) == 100
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.6 * first
    images = [im for im, _ in shapes_dataset(16, seed=99)]
    result = evaluate_vq(model, images)
    assert result["n"] == 16 and result["psnr"] > 11
    assert 0 < result["usage"] <= 1 and len(result["stage_usage"]) == 2


def test_training_is_deterministic():
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = TinyVQVAE(VQConfig(**TINY))
        runs.append(train_vq(model, steps=3, batch_size=4, seed=5)["loss"])
    assert runs[0] == runs[1]


def test_train_on_given_images():
    torch.manual_seed(0)
    model = TinyVQVAE(VQConfig(**TINY))
    images = [im for im, _ in shapes_dataset(4, seed=1)]
    metrics = train_vq(model, steps=3, batch_size=2, images=images)
    assert math.isfinite(metrics["loss"])


def test_psnr_and_usage_metrics():
    a = torch.zeros(1, 3, 4, 4)
    assert psnr(a, a) == 100.0
    assert psnr(a, a + 0.1) == pytest.approx(20.0)
    black, grey = Image.new("RGB", (30, 20)), Image.new("RGB", (30, 20), (51, 51, 51))
    assert psnr(black, grey) == pytest.approx(20 * math.log10(5), abs=1e-4)
    with pytest.raises(ValueError):
        psnr(a, torch.zeros(1, 3, 4, 5))
    # Two images x 64 cells, order [stage1, stage2] per cell.
    codes = torch.zeros(2, 128, dtype=torch.long)
    codes[0, 0::2] = torch.arange(64)  # stage 1 uses 64 + 1 (code 0 again) entries
    codes[1, 0::2] = torch.arange(64, 128)
    codes[:, 1::2] = 5  # stage 2 uses one entry
    assert per_stage_usage(codes, 256, 2) == [128 / 256, 1 / 256]
    assert codebook_usage(codes, 256, 2) == pytest.approx((128 + 1) / 512)


def test_save_load_round_trip(trained, tmp_path):
    model, _, folder = trained
    loaded = load_vq(folder)
    images = [im for im, _ in shapes_dataset(4, seed=3)]
    for img in images:
        assert loaded.encode(img) == model.encode(img)
    codes = model.encode(images[0])
    assert loaded.decode(codes).tobytes() == model.decode(codes).tobytes()
    # EMA state travels too, so training can resume.
    for name in ("embed", "embed_sum", "cluster_size", "unused_steps", "initialized"):
        assert torch.equal(getattr(loaded.quantizer, name), getattr(model.quantizer, name))
    assert json.loads((tmp_path.parent / folder / CONFIG_FILE).read_text())["code_dim"] == 8


def _copy(folder, tmp_path):
    dst = tmp_path / "ckpt"
    dst.mkdir()
    for name in (WEIGHTS_FILE, CONFIG_FILE):
        (dst / name).write_bytes((folder / name).read_bytes())
    return dst


def test_bad_checkpoints(trained, tmp_path):
    from pathlib import Path

    folder = Path(trained[2])
    with pytest.raises(VQCheckpointError, match="folder not found"):
        load_vq(tmp_path / "nowhere")

    d = _copy(folder, tmp_path)
    (d / WEIGHTS_FILE).unlink()
    with pytest.raises(VQCheckpointError, match="weights not found"):
        load_vq(d)

    (d / WEIGHTS_FILE).write_bytes((folder / WEIGHTS_FILE).read_bytes()[:5000])
    with pytest.raises(VQCheckpointError, match="truncated"):
        load_vq(d)

    (d / WEIGHTS_FILE).write_bytes((folder / WEIGHTS_FILE).read_bytes())
    (d / CONFIG_FILE).unlink()
    with pytest.raises(VQCheckpointError, match="config not found"):
        load_vq(d)

    (d / CONFIG_FILE).write_text("{not json")
    with pytest.raises(VQCheckpointError, match="not valid JSON"):
        load_vq(d)

    cfg = json.loads((folder / CONFIG_FILE).read_text())
    (d / CONFIG_FILE).write_text(json.dumps({**cfg, "dec_width": 48}))
    with pytest.raises(VQCheckpointError, match="has shape"):
        load_vq(d)

    (d / CONFIG_FILE).write_text(json.dumps({**cfg, "dec_blocks": 2}))
    with pytest.raises(VQCheckpointError, match="missing"):
        load_vq(d)

    (d / CONFIG_FILE).write_text(json.dumps({**cfg, "bogus": 1}))
    with pytest.raises(VQCheckpointError, match="unknown field"):
        load_vq(d)

    (d / CONFIG_FILE).write_text(json.dumps({**cfg, "codebook_size": 300}))
    with pytest.raises(VQCheckpointError, match="one byte"):
        load_vq(d)
    assert issubclass(VQCheckpointError, AetherError)


def test_cli_eval_vq_on_shapes(trained, capsys):
    rc = main(["eval", "vq", "--checkpoint", trained[2], "--n", "8", "--seed", "3"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert rc == 0
    assert lines[-2].startswith("psnr_db: ") and float(lines[-2].split()[1]) > 10
    assert lines[-1].startswith("codebook_usage: ") and 0 < float(lines[-1].split()[1]) <= 1


def test_cli_eval_vq_on_files_and_json(trained, tmp_path, capsys):
    paths = []
    for i, (img, _) in enumerate(shapes_dataset(2, seed=4)):
        paths.append(tmp_path / f"img{i}.png")
        img.resize((96, 96)).save(paths[-1])
    rc = main(["eval", "vq", "--checkpoint", trained[2], *map(str, paths), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["n"] == 2 and out["psnr"] > 10


def test_cli_eval_vq_errors(trained, tmp_path, capsys):
    assert main(["eval", "vq", "--checkpoint", str(tmp_path / "none")]) == 1
    assert "folder not found" in capsys.readouterr().err
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert main(["eval", "vq", "--checkpoint", trained[2], str(bad)]) == 1
    err = capsys.readouterr().err
    assert "cannot read image" in err and err.count("\n") == 1
    assert main(["eval", "vq", "--checkpoint", trained[2], str(tmp_path / "missing.png")]) == 1
    assert "image not found" in capsys.readouterr().err


def test_cli_eval_without_kind_prints_help(capsys):
    assert main(["eval"]) == 2
    assert "vq" in capsys.readouterr().out


def test_image_helpers_round_trip():
    from aether_core.model.vq import image_to_tensor, tensor_to_image

    img = Image.new("RGB", (64, 64), (10, 200, 30))
    assert tensor_to_image(image_to_tensor(img)).tobytes() == img.tobytes()


def test_forward_under_bf16_autocast_keeps_codebooks_float32():
    torch.manual_seed(0)
    model = TinyVQVAE(VQConfig(**TINY))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, losses = model(torch.rand(2, 3, 64, 64))
    losses["loss"].backward()
    assert math.isfinite(float(losses["loss"].detach()))
    assert model.quantizer.embed.dtype == torch.float32
