"""The memory pane: entries recalled for the current turn (highlighted), the full list, search and
forget. It only displays and asks: searching, listing and forgetting run in the app's workers
(a vector memory may embed the query with the model), which call :meth:`MemoryPane.show` back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from ..sanitize import printable

RECALLED_STYLE = "bold reverse"


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(printable(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class MemoryTable(DataTable):
    """The entries; ``delete``/``x`` forgets the highlighted one."""

    BINDINGS = [
        Binding("delete,x", "forget", "Forget", show=True, tooltip="forget the highlighted entry"),
        Binding("r", "refresh", "Refresh", show=False, tooltip="reload the entries"),
    ]

    def action_forget(self) -> None:
        pane = next((a for a in self.ancestors if isinstance(a, MemoryPane)), None)
        if pane is not None:
            pane.forget_highlighted()

    def action_refresh(self) -> None:
        self.post_message(MemoryPane.RefreshRequested())


class MemoryPane(Vertical):
    class SearchRequested(Message):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class ForgetRequested(Message):
        def __init__(self, entry_id: str) -> None:
            super().__init__()
            self.entry_id = entry_id

    class RefreshRequested(Message):
        pass

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.recalled: dict[str, float] = {}  # id -> score, for the current turn
        self.entries: list[tuple[str, str, str, float | None]] = []  # id, kind, text, score
        self.query_text = ""

    def compose(self):
        yield Input(
            placeholder="search memory (Enter); empty: list all", id="memory-search", compact=True
        )
        table = MemoryTable(id="memory-table", cursor_type="row", zebra_stripes=True)
        for label, width in (("", 6), ("id", 10), ("kind", 10), ("text", 60)):
            table.add_column(label, width=width)
        yield table
        yield Static(Text("memory: not loaded yet"), id="memory-status")

    @property
    def table(self) -> MemoryTable:
        return self.query_one(MemoryTable)

    # ------------------------------------------------------------------ calls down
    def set_status(self, text: str) -> None:
        self.query_one("#memory-status", Static).update(Text(text))

    def set_recalled(self, entries: Sequence[tuple[str, str, float]]) -> None:
        """Entries recalled for this turn: shown first and highlighted."""
        self.recalled = {str(e[0]): float(e[2]) for e in entries}
        known = {e[0] for e in self.entries}
        extra = [(str(i), "recalled", t, s) for i, t, s in entries if str(i) not in known]
        self._render_rows(extra + self.entries)

    def clear_recalled(self) -> None:
        self.recalled = {}
        self._render_rows(self.entries)

    def show(
        self,
        entries: Sequence[Any],
        scores: Sequence[float] | None = None,
        query: str = "",
    ) -> None:
        """Show memory entries (objects with id/text/kind), with search scores when searching."""
        self.query_text = query
        self.entries = [
            (
                str(e.id),
                str(getattr(e, "kind", "")),
                str(e.text),
                None if scores is None else float(scores[i]),
            )
            for i, e in enumerate(entries)
        ]
        self._render_rows(self.entries)
        what = (
            f"{len(self.entries)} match(es) for {query!r}" if query else f"{len(entries)} entries"
        )
        self.set_status(f"memory: {what} · ★ recalled this turn · x forget")

    def _render_rows(self, rows: Sequence[tuple[str, str, str, float | None]]) -> None:
        table = self.table
        table.clear()
        recalled_first = sorted(rows, key=lambda r: r[0] not in self.recalled)
        for entry_id, kind, text, score in recalled_first:
            hot = entry_id in self.recalled
            style = RECALLED_STYLE if hot else ""
            mark = "★" if hot else ""
            shown_score = self.recalled.get(entry_id) if hot else score
            if shown_score is not None:
                mark = f"{mark}{shown_score:.2f}"
            table.add_row(
                Text(mark, style=style),
                Text(entry_id, style=style),
                Text(kind, style=style),
                Text(_clip(text), style=style),
                key=entry_id,
            )

    def highlighted_id(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        return key.value

    def forget_highlighted(self) -> None:
        entry_id = self.highlighted_id()
        if entry_id is not None:
            self.post_message(self.ForgetRequested(entry_id))

    def remove(self, entry_id: str) -> None:
        self.entries = [e for e in self.entries if e[0] != entry_id]
        self.recalled.pop(entry_id, None)
        self._render_rows(self.entries)

    # ------------------------------------------------------------------ input
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "memory-search":
            event.stop()
            self.post_message(self.SearchRequested(event.value.strip()))
