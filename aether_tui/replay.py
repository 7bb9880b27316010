"""Drawing a stored conversation (``/load``, ``--resume``, the chats screen): user turns and answers
go to the chat, thoughts to the thought trace, tool calls and results to the tool log."""

from __future__ import annotations

from aether_core.segments import (
    File,
    Image,
    Message,
    SegmentError,
    Text,
    Thought,
    ToolCall,
    ToolResult,
)

from .screens.main import MainScreen


def _attachments(message: Message) -> list[str]:
    out = []
    for item in message.items:
        if isinstance(item, Image):
            out.append(f"image ({len(item.data)} VQ codes)")
        elif isinstance(item, File):
            out.append(f"{item.name} ({item.kind}, {len(item.data)} bytes)")
    return out


async def replay(main: MainScreen, messages: list[Message]) -> None:
    """Draw ``messages`` on ``main``'s panes (after they were cleared)."""
    step = 0
    call = 0
    last_call: tuple[str, str] | None = None  # (call id, tool) for the next tool result
    for m in messages:
        if m.role == "user":
            await main.thoughts.new_turn()
            main.tools.new_turn()
            step = 0
            await main.chat.add_user(m.plain_text, _attachments(m))
        elif m.role == "assistant":
            answer = []
            for item in m.items:
                if isinstance(item, Thought):
                    step += 1
                    await main.thoughts.add_delta(step, item.text)
                elif isinstance(item, ToolCall):
                    call += 1
                    try:
                        tool, args = item.parse()
                    except SegmentError:
                        tool, args = "?", {"raw": item.text}
                    last_call = (f"r{call}", tool)
                    main.tools.add_call(f"r{call}", tool, args, step or None)
                elif isinstance(item, Text):
                    answer.append(item.text)
                elif isinstance(item, Image):
                    await main.chat.add_notice(
                        f"[generated image: {len(item.data)} VQ codes, not redrawn on resume]"
                    )
            if "".join(answer).strip():
                await main.chat.add_answer("".join(answer))
        elif m.role == "tool" and last_call is not None:
            for item in m.of(ToolResult):
                out = item.output.decode("utf-8", "replace")
                main.tools.set_result(
                    last_call[0], last_call[1], "ok" if item.ok else "error", out, None
                )
