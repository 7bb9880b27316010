"""What the written-prompts checker (human.py) and the sample builder (human_samples.py) share:
the fixed "now" of every time line, the skill each tool call stands for, and how a prompt's words
are read."""

from __future__ import annotations

import re
from datetime import UTC, datetime

MOMENT = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)  # "now" for every time line

CALL_SKILLS = {"calc": "arithmetic", "time": "time", "web_search": "search",
               "browse_page": "browse", "echo": "echo"}  # fmt: skip


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))
