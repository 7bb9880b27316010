"""The decode paths on a CUDA device (skipped without one; scripts/gpu_check.sh runs them)."""

from __future__ import annotations

import pytest
import torch

from aether_core.sampling import DecodeSession
from tests.core.helpers import tiny_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-4), (torch.bfloat16, 5e-2)])
def test_cached_steps_match_the_full_forward_on_cuda(dtype, tol) -> None:
    model = tiny_model(seed=1).cuda().to(dtype)
    seq = torch.randint(0, 256, (1, 40), device="cuda")
    with torch.inference_mode():
        full = model(seq)[0].float()
    session = DecodeSession(model, 64)
    rows = [session.feed(seq[0, :20].tolist())]
    rows += [session.step(int(t)) for t in seq[0, 20:-1]]
    torch.testing.assert_close(torch.stack(rows).float(), full[19:-1], rtol=tol, atol=tol)


def test_fast_step_equals_the_general_forward_on_cuda() -> None:
    model = tiny_model(seed=2).cuda()
    fast, general = DecodeSession(model, 64), DecodeSession(model, 64)
    general.fast = None
    fast.feed([1, 2, 3])
    general.feed([1, 2, 3])
    for t in (4, 5, 6, 7):
        torch.testing.assert_close(fast.step(t), general.step(t), rtol=1e-5, atol=1e-5)


def test_compiled_step_on_cuda_agrees_with_the_eager_step() -> None:
    model = tiny_model(seed=3, max_seq_len=64).cuda()
    compiled, eager = DecodeSession(model, 64, compile=True), DecodeSession(model, 64)
    compiled.feed([1, 2, 3])
    eager.feed([1, 2, 3])
    tok = 65
    for _ in range(8):
        a, b = compiled.step(tok), eager.step(tok)
        assert compiled.fast.failed is None
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-3)
        tok = int(b.argmax())


def test_int8_is_refused_on_cuda() -> None:
    from aether_core.errors import AetherError
    from aether_core.model.quantize import apply_dtype

    with pytest.raises(AetherError, match="CPU"):
        apply_dtype(tiny_model().cuda(), "int8")
