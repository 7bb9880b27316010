"""The thought trace: each step's thought as it streams, numbered by step, grouped by turn."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..sanitize import printable


class ThoughtStep(Static):
    """The thought of one step; grows as deltas arrive."""

    def __init__(self, turn: int, step: int, text: str = "") -> None:
        super().__init__(Text(text), classes="thought-step")
        self.turn = turn
        self.step = step
        self.text = text
        self.border_title = f"Step {step}"

    def append(self, fragment: str) -> None:
        self.text += printable(fragment)
        self.update(Text(self.text))


class TurnRule(Static):
    """A divider between turns in the trace."""

    def __init__(self, turn: int) -> None:
        super().__init__(Text(f"── turn {turn} ──"), classes="turn-rule")
        self.turn = turn


class ThoughtsView(VerticalScroll):
    can_focus = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.turn = 0
        self._steps: dict[tuple[int, int], ThoughtStep] = {}

    def on_mount(self) -> None:
        self.anchor()

    async def new_turn(self) -> None:
        self.turn += 1
        await self.mount(TurnRule(self.turn))

    async def add_delta(self, step: int, text: str) -> ThoughtStep:
        key = (self.turn, step)
        block = self._steps.get(key)
        if block is None:
            block = ThoughtStep(self.turn, step)
            self._steps[key] = block
            await self.mount(block)
        block.append(text)
        return block

    def steps(self, turn: int | None = None) -> list[ThoughtStep]:
        """The step blocks of ``turn`` (default: the current one)."""
        turn = self.turn if turn is None else turn
        return [b for (t, _), b in sorted(self._steps.items()) if t == turn]

    @property
    def last_thought(self) -> str:
        blocks = self.steps()
        return blocks[-1].text if blocks else ""

    async def clear(self) -> None:
        self._steps.clear()
        await self.remove_children()
