"""Decoding defaults: the one ``SamplingConfig`` every face starts from.

``aether ask``, the TUI, ``aether eval skills`` and the server all build their sampling from this
class's defaults, so what the README says (greedy) is what each face does. Torch-free: the TUI's
settings import it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

MAX_TEMPERATURE = 10.0  # the highest a face accepts: beyond it sampling is noise
SAMPLER_HELP = {
    "plain": "temperature, top-k and top-p as set",
    "entropy": "argmax when the model is sure, top-p between, cooler when it is unsure",
}
"""The samplers, with what each does (help texts of every face). entropy: the strategy follows the
entropy of each next-byte distribution (entropy_sampling.py)."""
SAMPLERS = tuple(SAMPLER_HELP)

DTYPE_HELP = {
    "float32": "the reference",
    "bfloat16": "half the bytes; fast on GPUs and CPUs with AVX-512 BF16/AMX, slow elsewhere",
    "float16": "half the bytes; for GPUs",
    "int8": "CPU: int8 weights per output channel (fbgemm), a quarter of the bytes",
}
"""The precisions a model decodes in (``--dtype`` of every face; model/quantize.py applies them).
A checkpoint may name its own in config.json as ``decode_dtype``."""
DTYPES = tuple(DTYPE_HELP)


def add_compile_argument(parser: Any) -> None:
    """``--compile`` as every face spells it."""
    parser.add_argument(
        "--compile",
        action="store_true",
        help="decode through a torch.compile'd static-shape step (the first compile takes tens "
        "of seconds, cached for later runs)",
    )


def add_dtype_argument(parser: Any) -> None:
    """``--dtype`` as every face spells it (an argparse parser)."""
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default=None,
        help="decode precision (default: the checkpoint's decode_dtype, else as saved): "
        + "; ".join(f"{k}: {v}" for k, v in DTYPE_HELP.items()),
    )


@dataclass
class SamplingConfig:
    # Greedy: the skills table is measured so, and a 2M-parameter model's sampled answers break
    # off mid-word. --temperature / /temp change it per face.
    temperature: float = 0.0  # 0: greedy
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1: off
    repetition_penalty: float = 1.0  # 1: off; applied to byte tokens seen in the window
    repetition_window: int = 64
    seed: int | None = None
    sampler: str = "plain"  # one of SAMPLERS
    entropy_low: float = 0.5  # bits: below, take the argmax (sampler "entropy")
    entropy_high: float = 3.0  # bits: above, sample at temperature * entropy_cool
    entropy_top_p: float = 0.9  # top-p of the band in between
    entropy_cool: float = 0.5
    # prompt-lookup drafts (lookahead.py): copied runs cost one forward pass, not one per byte;
    # the picks are the same up to float rounding of a several-token pass
    lookahead: bool = True

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(
                f"unknown sampler {self.sampler!r} (choose from {', '.join(SAMPLERS)})"
            )
        if not 0 <= self.entropy_low <= self.entropy_high:
            raise ValueError("entropy thresholds must satisfy 0 <= entropy_low <= entropy_high")

    def with_overrides(self, **values: object) -> SamplingConfig:
        """A copy with every value that is not None replaced (CLI flags left unset stay default)."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown sampling option(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in values.items() if v is not None})


DEFAULT_SAMPLING = SamplingConfig()
"""The defaults, for reading (e.g. argparse help); build a fresh ``SamplingConfig()`` to change."""
