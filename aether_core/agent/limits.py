"""The limits of one agent turn. Torch-free, so each face's flags (``aether ask --max-steps``)
read the same numbers as ``AgentConfig``."""

from __future__ import annotations

MAX_STEPS = 8  # think/act steps before a turn ends without an answer
MAX_THOUGHT_BYTES = 300
MAX_ANSWER_BYTES = 2000
