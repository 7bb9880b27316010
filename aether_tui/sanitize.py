"""Make model output safe to draw: a small or untrained model writes arbitrary bytes, and control
characters (ESC, BEL, backspace, ...) must never reach the terminal or confuse the layout."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """``text`` with control characters (other than newline and tab) replaced by U+FFFD."""
    return _CONTROL.sub(REPLACEMENT, text)
