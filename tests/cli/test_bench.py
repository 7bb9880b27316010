"""`aether_core.bench` and the `aether` command line."""

from __future__ import annotations

import json
import re

import pytest
import torch

from aether_core.bench import bench_decode, decode_weights
from aether_core.checkpoint import save_checkpoint
from aether_core.cli import main
from tests.core.helpers import tiny_model


def test_bench_decode_numbers():
    model = tiny_model(max_seq_len=1024)
    r = bench_decode(model, prompt_bytes=512, new_bytes=16, recompute_steps=4)
    assert r.params == sum(p.numel() for p in model.parameters())
    assert (r.device, r.dtype, r.threads) == ("cpu", "float32", torch.get_num_threads())
    assert (r.prompt_bytes, r.new_bytes) == (512, 16)
    for name in ("prefill_s", "cached_bytes_per_s", "recompute_bytes_per_s", "ceiling_steps_per_s"):
        value = getattr(r, name)
        assert 0 < value < float("inf"), name
    assert r.speedup == pytest.approx(r.cached_bytes_per_s / r.recompute_bytes_per_s)
    assert r.speedup > 1  # one cached step beats re-running 512+ tokens
    assert r.fraction_of_ceiling == pytest.approx(r.cached_bytes_per_s / r.ceiling_steps_per_s)
    assert 0 < r.fraction_of_ceiling < 1
    assert r.peak_memory_mb > 0
    d = r.to_dict()
    assert d["prompt_bytes"] == 512 and set(d) >= {"speedup", "peak_memory_mb"}


def test_decode_weights_are_the_text_path():
    model = tiny_model()
    ws = decode_weights(model)
    # per layer: qkv, proj, w13, w2; plus the tied output embedding
    assert len(ws) == 4 * model.cfg.n_layers + 1
    assert ws[-1] is not None and ws[-1].shape == model.embed.weight.shape
    vit_and_cross = {
        p.data_ptr() for n, p in model.named_parameters() if n.startswith("vit.") or ".cross." in n
    }
    assert not any(w.data_ptr() in vit_and_cross for w in ws)
    untied = tiny_model(tie_embeddings=False)
    assert decode_weights(untied)[-1].data_ptr() == untied.head.weight.data_ptr()


@pytest.fixture
def ckpt(tmp_path):
    model = tiny_model()
    return save_checkpoint(tmp_path / "tiny", model, model.cfg)


BENCH = ["bench", "decode", "--prompt-bytes", "64", "--new-bytes", "8", "--recompute-steps", "2"]


def test_cli_bench_decode(ckpt, capsys):
    assert main([*BENCH, "--checkpoint", str(ckpt), "--device", "cpu"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    expected = [
        r"model: 0\.2M params, cpu, float32, \d+ threads",
        r"prompt: 64 bytes \(prefill \d+ ms\), new: 8 bytes",
        r"cached: +\d+\.\d bytes/s \(\d+\.\d per CPU second\)",
        r"general: +\d+\.\d bytes/s \(\d+\.\d per CPU second; the same steps, the general forward\)",
        r"recompute: +\d+\.\d\d bytes/s",
        r"speedup: +\d+\.\dx",
        r"ceiling: +\d+\.\d steps/s \(bare mat-vec pass over the decode weights\)",
        r"cached / ceiling: \d+%",
        r"peak memory: \d+ MB",
    ]
    assert len(lines) == len(expected), out
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), (pattern, line)
    assert err == ""


def test_cli_bench_decode_json(ckpt, capsys):
    assert main([*BENCH, "--checkpoint", str(ckpt), "--device", "cpu", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["prompt_bytes"] == 64 and r["new_bytes"] == 8 and r["device"] == "cpu"
    assert r["params"] == tiny_model().num_params()
    assert r["cached_bytes_per_s"] > 0 and r["recompute_bytes_per_s"] > 0
    assert r["general_bytes_per_s"] > 0 and "hf" not in r


def test_cli_bench_decode_int8_against_hf(ckpt, capsys):
    pytest.importorskip("transformers")
    args = [*BENCH, "--checkpoint", str(ckpt), "--device", "cpu", "--dtype", "int8"]
    assert main([*args, "--compare-hf", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["dtype"] == "int8" and r["cached_bytes_per_s"] > 0
    cfg = tiny_model().cfg
    hf = r["hf"]
    # the same shape: embeddings, per layer attention (q, k, v, o) and the SwiGLU, norms
    per_layer = cfg.dim * cfg.head_dim * (2 * cfg.n_heads + 2 * cfg.kv_heads)
    per_layer += 3 * cfg.dim * cfg.ffn_dim + 2 * cfg.dim
    assert hf["params"] == cfg.vocab_size * cfg.dim + cfg.n_layers * per_layer + cfg.dim
    assert hf["cached_bytes_per_s"] > 0 and hf["cached_bytes_per_cpu_s"] > 0 and hf["prefill_s"] > 0
    assert main([*args, "--compare-hf"]) == 0
    assert re.search(
        r"HF Llama: +\d+\.\d bytes/s cached .*Aether / HF: \d+\.\d\dx \(\d+\.\d\dx per CPU second\)",
        capsys.readouterr().out,
    )


def test_cli_bench_errors(ckpt, tmp_path, capsys):
    assert main([*BENCH[:2], "--prompt-bytes", "0", "--checkpoint", str(ckpt)]) == 2
    assert "--prompt-bytes and --new-bytes must be positive" in capsys.readouterr().err
    assert main([*BENCH, "--checkpoint", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("aether: error: ") and "does not exist" in err
    assert err.count("\n") == 1
    assert main([*BENCH, "--checkpoint", str(ckpt), "--device", "bogus"]) == 1
    assert "unknown device 'bogus'" in capsys.readouterr().err
    # a prompt longer than the model's context is a usage error, not a traceback
    rc = main([*BENCH[:2], "--prompt-bytes", "200", "--new-bytes", "8", "--checkpoint", str(ckpt)])
    assert rc == 2
    assert "128-token context" in capsys.readouterr().err


def test_cli_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: aether" in capsys.readouterr().out


def test_cli_argparse_errors(capsys):
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["bench"])  # needs a benchmark name
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "bench" in capsys.readouterr().out
