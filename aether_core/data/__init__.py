"""Training data: sources of ``Example``s (text, chat JSONL, COCO captions, synthetic skills), a
weighted ``Mixture`` and the ``Packer`` that turns examples into ``Batch``es.

``build_source``/``build_mixture`` build them from config dicts (the TOML ``[[data]]`` tables);
``skill_samples`` gives the structured ground truth of the synthetic skills for evaluation.
"""

from .base import Batch, Example, Source
from .mixture import DataSpecError, Mixture, build_mixture, build_source
from .packing import Packer, pack, pack_batches
from .skills import SKILLS, SkillSample, skill_samples, to_messages

__all__ = [
    "SKILLS",
    "Batch",
    "DataSpecError",
    "Example",
    "Mixture",
    "Packer",
    "SkillSample",
    "Source",
    "build_mixture",
    "build_source",
    "pack",
    "pack_batches",
    "skill_samples",
    "to_messages",
]
