"""``echo``: returns its input; a harmless tool for wiring tests and demos."""

from __future__ import annotations

from aether_core.tools.base import ArgSpec, Tool
from aether_core.tools.phrase_bounds import echoed


class EchoTool(Tool):
    """Return the text unchanged."""

    name = "echo"
    description = "Return the given text unchanged."
    schema = {
        "text": ArgSpec("string", True, "the text to return", max_length=10000, begins=echoed)
    }
    speaks = True

    def run(self, text: str) -> str:  # type: ignore[override]
        return text
