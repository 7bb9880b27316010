"""Run the TUI against the fake agent, for trying it by hand without a model:

    python -m tests.tui.demo            # or: tmux new -d -s t 'python -m tests.tui.demo'

Every message runs a scripted turn: a thought, a ``calc`` tool call (asks for approval), an
image, and a markdown answer streamed slowly enough to watch (and cancel with Esc).
"""

from __future__ import annotations

import os
import tempfile

from aether_core.agent.events import (
    AnswerDelta,
    ImageProduced,
    MemoryRecalled,
    StepStarted,
    ThoughtDelta,
)
from aether_tui.app import AetherApp
from aether_tui.settings import Settings
from aether_tui.store import ChatStore
from tests.tui.fakes import Delay, FakeFactory, FakeMemory, MemoryEntry, Tool


def gradient(size: int = 64):
    from PIL import Image

    img = Image.new("RGB", (size, size))
    img.putdata([(x * 4 % 256, y * 4 % 256, 128) for y in range(size) for x in range(size)])
    return img


def demo_script(text: str) -> list:
    out_dir = tempfile.gettempdir()
    path = os.path.join(out_dir, "aether-demo.png")
    img = gradient()
    img.save(path)
    answer = (
        f"Here is what I found about *{text}*.\n\n"
        "| x | x² |\n|---|---|\n| 2 | 4 |\n| 3 | 9 |\n\n"
        "```python\nprint(6 * 7)\n```\n\nThe answer is **42**."
    )
    items: list = [
        MemoryRecalled((("m1", "the user likes short answers", 0.91),)),
        StepStarted(1),
    ]
    for word in "I should compute this with the calculator first.".split(" "):
        items += [ThoughtDelta(1, word + " "), Delay(0.03)]
    items.append(Tool("calc", {"expr": "6*7"}, output="42", duration=0.5))
    items += [StepStarted(2), ThoughtDelta(2, "Now draw something and answer."), Delay(0.2)]
    items.append(ImageProduced(path, bytes(128), img))
    for i in range(0, len(answer), 4):
        items += [AnswerDelta(answer[i : i + 4]), Delay(0.02)]
    return items


def main() -> None:
    memory = FakeMemory(
        [
            MemoryEntry("m1", "the user likes short answers", "preference"),
            MemoryEntry("m2", "project Aether is a bytes-first agent", "fact"),
            MemoryEntry("m3", "the cat is called Pixel", "fact"),
        ]
    )
    factory = FakeFactory(delay=1.0, script=demo_script, memory=memory)
    app = AetherApp(agent_factory=factory, settings=Settings(), store=ChatStore(":memory:"))
    app.run()


if __name__ == "__main__":
    main()
