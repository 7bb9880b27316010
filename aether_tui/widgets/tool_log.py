"""The tool log: one row per call (tool, arguments, status, duration); the highlighted row's full
arguments and result are shown below the table (keyboard only: move with up/down)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from ..sanitize import printable

STATUS_STYLES = {
    "pending": "yellow",
    "approval": "bold yellow",
    "running": "bold cyan",
    "ok": "green",
    "error": "bold red",
    "denied": "magenta",
    "timeout": "red",
    "cancelled": "dim",
}


@dataclass
class ToolCallRow:
    call_id: str
    tool: str
    args: dict[str, Any]
    status: str = "pending"
    duration_s: float | None = None
    output: str = ""
    step: int | None = None
    key: str = ""


def _args_summary(args: dict[str, Any], limit: int = 28) -> str:
    s = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
    return s if len(s) <= limit else s[: limit - 1] + "…"


class ToolLog(Vertical):
    # fixed widths: columns do not jump around while a turn runs (and render deterministically)
    COLUMNS = (("#", 3), ("tool", 12), ("args", 28), ("status", 9), ("time", 7))

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.calls: dict[str, ToolCallRow] = {}  # by row key: "turn:call_id"
        self.turn = 0

    def new_turn(self) -> None:
        """Call ids restart each turn; rows are keyed by turn so older rows are kept."""
        self.turn += 1

    def _key(self, call_id: str) -> str:
        return f"{self.turn}:{call_id}"

    def row(self, call_id: str) -> ToolCallRow | None:
        """The row of ``call_id`` in the current turn."""
        return self.calls.get(self._key(call_id))

    def compose(self):
        table: DataTable = DataTable(id="tool-table", cursor_type="row", zebra_stripes=True)
        for label, width in self.COLUMNS:
            table.add_column(label, width=width)
        yield table
        with VerticalScroll(id="tool-detail-scroll"):
            yield Static(Text("Select a call to see its result."), id="tool-detail")

    @property
    def table(self) -> DataTable:
        return self.query_one("#tool-table", DataTable)

    def _cells(self, row: ToolCallRow) -> tuple[Any, ...]:
        idx = list(self.calls).index(row.key) + 1
        status = Text(row.status, style=STATUS_STYLES.get(row.status, ""))
        took = "" if row.duration_s is None else f"{row.duration_s:.2f}s"
        return (str(idx), row.tool, _args_summary(row.args), status, took)

    def _sync(self, row: ToolCallRow) -> None:
        table = self.table
        cells = self._cells(row)
        if row.key in table.rows:
            for col, value in zip(table.ordered_columns, cells, strict=True):
                table.update_cell(row.key, col.key, value)
        else:
            table.add_row(*cells, key=row.key)
            table.move_cursor(row=table.row_count - 1)
        if self._highlighted() == row.key:
            self._show(row)

    def _highlighted(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key
        except Exception:
            return None
        return key.value

    # ------------------------------------------------------------------ calls down
    def _get(self, call_id: str, tool: str) -> ToolCallRow:
        key = self._key(call_id)
        row = self.calls.get(key)
        if row is None:
            row = self.calls[key] = ToolCallRow(call_id, tool, {}, key=key)
        return row

    def add_call(
        self, call_id: str, tool: str, args: dict[str, Any], step: int | None = None
    ) -> ToolCallRow:
        row = self._get(call_id, tool)
        row.tool, row.args, row.step = tool, dict(args), step
        self._sync(row)
        return row

    def set_status(self, call_id: str, status: str, tool: str = "?") -> ToolCallRow:
        row = self._get(call_id, tool)
        row.status = status
        self._sync(row)
        return row

    def set_args(self, call_id: str, args: dict[str, Any]) -> None:
        row = self.row(call_id)
        if row is not None:
            row.args = dict(args)
            self._sync(row)

    def set_result(
        self, call_id: str, tool: str, status: str, output: str, duration_s: float | None
    ) -> ToolCallRow:
        row = self._get(call_id, tool)
        row.status = status
        row.output = printable(output)
        row.duration_s = duration_s
        self._sync(row)
        return row

    def clear(self) -> None:
        self.calls.clear()
        self.table.clear()
        self.query_one("#tool-detail", Static).update(Text("Select a call to see its result."))

    # ------------------------------------------------------------------ detail
    def _show(self, row: ToolCallRow) -> None:
        detail = Text()
        detail.append(f"{row.tool}", style="bold")
        detail.append(f"  [{row.status}]", style=STATUS_STYLES.get(row.status, ""))
        if row.duration_s is not None:
            detail.append(f"  {row.duration_s:.2f}s")
        detail.append("\nargs: ", style="bold")
        detail.append(json.dumps(row.args, indent=2, ensure_ascii=False))
        detail.append("\nresult:\n", style="bold")
        detail.append(row.output or ("…" if row.status in ("pending", "running") else ""))
        self.query_one("#tool-detail", Static).update(detail)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None
        if key in self.calls:
            self._show(self.calls[key])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value if event.row_key is not None else None
        if key in self.calls:
            self._show(self.calls[key])
            self.query_one("#tool-detail-scroll").scroll_home(animate=False)
