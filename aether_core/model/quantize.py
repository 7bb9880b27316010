"""Decode precisions: the weights a model decodes with (``--dtype`` of every face).

``float32`` is the reference. ``bfloat16``/``float16`` cast the whole model (fast where the
hardware has them: CUDA, or a CPU with AVX-512 BF16/AMX; see :func:`bf16_native`). ``int8`` is
for the CPU: every linear layer of the transformer blocks keeps int8 weights with one scale per
output channel (symmetric), packed for fbgemm, and multiplies through fbgemm's dynamic kernel
(the activations are quantized per call, per tensor, and the int32 sums rescaled to float).
Measured on an AVX2 CPU (README, Benchmarks), it reads a quarter of the bytes per step and was
the fastest of the CPU kernels tried; ``aten._weight_int8pack_mm`` and torchao's int8
weight-only tensors are several times slower than fp32 there without torch.compile.

Embeddings, norms, the output layer (tied to the embeddings) and the vision encoder stay float:
they are a small share of a step's bytes and the output layer sets every logit.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from ..decoding import DTYPES
from ..errors import AetherError

PACKED_LAYERS = ("qkv", "proj", "w13", "w2", "q", "kv")  # the blocks' linear layers (and cross)


class PackedLinear(nn.Module):
    """A bias-free ``nn.Linear`` whose weight is packed for one of fbgemm's CPU kernels:
    ``int8`` (symmetric int8 weights, one scale per output channel; activations quantized per
    call, per tensor) or ``float16`` (fp16 weights, fp32 activations and sums)."""

    def __init__(self, linear: nn.Linear, kind: str) -> None:
        super().__init__()
        if linear.bias is not None:
            raise ValueError("PackedLinear takes bias-free layers")
        w = linear.weight.detach().float().cpu()
        self.in_features, self.out_features, self.kind = (
            linear.in_features,
            linear.out_features,
            kind,
        )
        if kind == "int8":
            scale = (w.abs().amax(1) / 127).clamp_min(1e-12).double()
            zero = torch.zeros(len(scale), dtype=torch.long)
            with warnings.catch_warnings():  # quantized tensors are deprecated as a public API;
                warnings.simplefilter("ignore")  # fbgemm's prepack still takes one
                q = torch.quantize_per_channel(w, scale, zero, 0, torch.qint8)
            self._packed = torch.ops.quantized.linear_prepack(q, None)
        elif kind == "float16":
            self._packed = torch.ops.quantized.linear_prepack_fp16(w, None)
        else:
            raise ValueError(f"no packed kernel for {kind!r}")

    def forward(self, x: Tensor) -> Tensor:
        if self.kind == "float16":
            return torch.ops.quantized.linear_dynamic_fp16(x, self._packed)
        # reduce_range (7-bit activations): fbgemm's AVX2 kernel sums pairs of u8*s8 products in
        # int16, which full-range activations can saturate
        return torch.ops.quantized.linear_dynamic(x, self._packed, True)

    decode_matmul = forward  # fast_decode: this layer's own [1, in] -> [1, out] kernel

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, {self.kind}"


def packed_available() -> bool:
    return "fbgemm" in torch.backends.quantized.supported_engines or (
        "x86" in torch.backends.quantized.supported_engines
    )


def pack_linears(model: nn.Module, kind: str) -> int:
    """Swap the transformer blocks' linear layers for :class:`PackedLinear` of ``kind``, in
    place; returns how many were swapped. CPU only."""
    if next(model.parameters()).device.type != "cpu":
        raise AetherError(f"{kind} weights are packed for the CPU (fbgemm); on a GPU cast instead")
    if not packed_available():
        raise AetherError("this torch build has no fbgemm/x86 quantized engine")
    from .transformer import ByteTransformer

    if not isinstance(model, ByteTransformer):
        raise AetherError(f"{kind} decoding supports the flat model (arch 'flat') only")
    swapped = 0
    for block in model.blocks:
        for parent in list(block.modules()):
            for name, child in list(parent.named_children()):
                if name in PACKED_LAYERS and type(child) is nn.Linear and child.bias is None:
                    setattr(parent, name, PackedLinear(child, kind))
                    swapped += 1
    return swapped


def apply_dtype(model: nn.Module, dtype: str | None) -> nn.Module:
    """``model`` set up to decode in ``dtype`` (one of :data:`DTYPES`; None: as loaded)."""
    if dtype is None:
        return model
    if dtype not in DTYPES:
        raise AetherError(f"unknown dtype {dtype!r} (choose from {', '.join(DTYPES)})")
    on_cpu = next(model.parameters()).device.type == "cpu"
    if dtype == "int8" or (dtype == "float16" and on_cpu):
        pack_linears(model.float(), dtype)
        return model
    return model.to(getattr(torch, dtype))


def bf16_native() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX); without, torch
    emulates it and bf16 decoding is slower than fp32."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
