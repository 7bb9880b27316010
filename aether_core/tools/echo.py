"""``echo``: returns its input; a harmless tool for wiring tests and demos."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
    for_small_talk = False  # "good night" is no request to say it back

    def understands(self, args: Mapping[str, Any], request: str = "") -> bool:
        """Only words of the user's ``request``: echo says back what they wrote, not another
        tool's result ("go to … and tell me what it says" copied the page into echo, and the
        page twice left no room for the answer)."""
        text = args.get("text")
        if not isinstance(text, str) or not request:
            return True
        return _squeezed(text) in _squeezed(request)

    def run(self, text: str) -> str:  # type: ignore[override]
        return text


def _squeezed(text: str) -> str:
    return " ".join(text.split()).casefold()
