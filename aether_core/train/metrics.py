"""Run metrics: JSONL lines in ``metrics.jsonl`` (one object per log or eval event, appended and
flushed so a killed run loses at most the line being written) and a rich progress bar."""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..fsutil import atomic_write_text

METRICS_FILE = "metrics.jsonl"
RUN_FILE = "run.json"  # the resolved RunConfig of a run folder


class MetricsLog:
    """Append-only JSONL writer; ``None`` path (non-main ranks) writes nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._f = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the run

    def write(self, record: dict[str, Any]) -> None:
        if self._f is None:
            return
        clean = {k: _jsonable(v) for k, v in record.items()}
        self._f.write(json.dumps(clean) + "\n")
        self._f.flush()

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


def _jsonable(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6) if math.isfinite(v) else None
    return v


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """All well-formed lines of a metrics file (a torn last line from a kill is skipped)."""
    return list(iter_metrics(path))


def iter_metrics(path: Path) -> Iterator[dict[str, Any]]:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would hang the listing
            return
        text = path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(rec, dict):
            yield rec


def truncate_metrics(path: Path, step: int) -> None:
    """Drop lines after ``step``: on resume, the killed run's steps past its last checkpoint are
    recomputed, and the curve must not show them twice."""
    if not path.exists():
        return
    keep = [r for r in iter_metrics(path) if int(r.get("step", 0)) <= step]
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in keep))


def is_eval(rec: dict[str, Any]) -> bool:
    return "val_loss" in rec


class Progress:
    """A rich progress bar: step, loss, bytes/s and ETA (by steps, or by the time budget)."""

    def __init__(
        self,
        enabled: bool,
        total_steps: int | None,
        budget_s: float | None,
        start_step: int,
        echo: bool = True,
    ) -> None:
        self.enabled = enabled and os.environ.get("AETHER_NO_PROGRESS") is None
        self.echo = echo  # without a bar, eval lines still go to stderr
        self._bar = None
        if not self.enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self.console = Console(stderr=True)
        self.by_time = total_steps is None and budget_s is not None
        total = budget_s if self.by_time else total_steps
        self._bar = RichProgress(
            TextColumn("[bold]train"),
            BarColumn(),
            TextColumn("{task.fields[where]}") if self.by_time else MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[speed]} B/s"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            console=self.console,
            transient=False,
        )
        self._task = self._bar.add_task(
            "train",
            total=total,
            completed=0 if self.by_time else start_step,
            loss="-",
            speed="-",
            eta="-",
            where=f"step {start_step}",
        )
        self._bar.start()

    def update(
        self, step: int, loss: float, bytes_per_s: float, elapsed_s: float, eta_s: float | None
    ) -> None:
        if self._bar is None:
            return
        self._bar.update(
            self._task,
            completed=elapsed_s if self.by_time else step,
            loss=f"{loss:.4f}",
            speed=f"{bytes_per_s:,.0f}",
            eta=_fmt_s(eta_s),
            where=f"step {step}",
        )

    def log(self, text: str) -> None:
        if self._bar is not None:
            self._bar.console.print(text)
        elif self.echo:
            print(re.sub(r"\[/?[a-z ]*\]", "", text), file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _fmt_s(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "-"
    s = max(0, int(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
