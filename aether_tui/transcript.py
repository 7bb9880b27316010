"""Conversation (``list[Message]``) to Markdown, for ``/export``.

Pure functions over :mod:`aether_core.segments`, so the export reads exactly what was stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from aether_core.segments import File, Image, Memory, Message, Text, Thought, ToolCall, ToolResult

ROLE_TITLES = {"user": "You", "assistant": "Aether", "tool": "Tool", "system": "System"}


def _fence(body: str, lang: str = "") -> str:
    """A code fence long enough not to be closed by backticks inside ``body``."""
    ticks = "```"
    while ticks in body:
        ticks += "`"
    return f"{ticks}{lang}\n{body.rstrip()}\n{ticks}"


def item_markdown(item: object) -> str:
    if isinstance(item, Text):
        return item.text.strip()
    if isinstance(item, Thought):
        return "\n".join("> " + line for line in (item.text.strip() or "…").splitlines())
    if isinstance(item, ToolCall):
        try:
            tool, args = item.parse()
            body = json.dumps(args, indent=2, ensure_ascii=False)
        except ValueError:
            tool, body = "?", item.text
        return f"**Tool call** `{tool}`\n\n{_fence(body, 'json')}"
    if isinstance(item, ToolResult):
        status = "ok" if item.ok else "error"
        return f"**Result** ({status})\n\n{_fence(item.output.decode('utf-8', 'replace'))}"
    if isinstance(item, Image):
        return f"*[image: {len(item.data)} VQ codes]*"
    if isinstance(item, File):
        return f"*[file: {item.name} ({item.kind}, {len(item.data)} bytes)]*"
    if isinstance(item, Memory):
        return f"*[memory]* {item.text.strip()}"
    return ""


def to_markdown(messages: Sequence[Message], title: str = "Aether conversation") -> str:
    out = [f"# {title}", ""]
    for m in messages:
        parts = [p for p in (item_markdown(i) for i in m.items) if p]
        if not parts:
            continue
        out.append(f"## {ROLE_TITLES.get(m.role, m.role)}")
        out.append("")
        out.append("\n\n".join(parts))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
