"""Reading run folders back: summaries for ``aether runs list`` and curves for ``aether runs show``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AetherError
from ..fsutil import NotRegularFileError, read_regular
from .metrics import METRICS_FILE, RUN_FILE, is_eval, read_metrics
from .state import TRAINER_STATE_FILE


@dataclass
class RunInfo:
    path: Path
    config: dict[str, Any]
    metrics: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def stage(self) -> str:
        return str(self.config.get("stage", "?"))

    @property
    def steps(self) -> int:
        steps = [int(m.get("step", 0)) for m in self.metrics]
        return max([int(self.state.get("step", 0)), *steps])

    @property
    def train_points(self) -> list[dict[str, Any]]:
        return [m for m in self.metrics if "loss" in m and not is_eval(m)]

    @property
    def eval_points(self) -> list[dict[str, Any]]:
        return [m for m in self.metrics if is_eval(m)]

    def _best(self, key: str) -> float | None:
        vals = [m[key] for m in self.eval_points if isinstance(m.get(key), (int, float))]
        return min(vals) if vals else None

    @property
    def best_bpb(self) -> float | None:
        return self._best("val_bpb")

    @property
    def best_loss(self) -> float | None:
        return self._best("val_loss")

    @property
    def elapsed_s(self) -> float:
        vals = [
            m["elapsed_s"] for m in self.metrics if isinstance(m.get("elapsed_s"), (int, float))
        ]
        return max(vals + [float(self.state.get("elapsed_s", 0.0) or 0.0)])

    @property
    def wall_time(self) -> str:
        s = int(self.elapsed_s)
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


_MAX_JSON = 16 << 20  # run.json and trainer state are a few KB


def load_run_dir(path: Path) -> RunInfo:
    try:
        config = json.loads(read_regular(path / RUN_FILE, _MAX_JSON))
        if not isinstance(config, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        raise AetherError(f"{path}: not a run folder (no {RUN_FILE})") from None
    except (OSError, ValueError, RecursionError) as e:
        problem = " ".join(str(e).split())[:160] or type(e).__name__
        raise AetherError(f"{path / RUN_FILE}: unreadable ({problem})") from None
    state: dict[str, Any] = {}
    try:  # optional: a run killed before its first checkpoint has none
        state = json.loads(read_regular(path / "ckpt" / "last" / TRAINER_STATE_FILE, _MAX_JSON))
        state = state if isinstance(state, dict) else {}
        state.pop("rng", None)
    except (OSError, ValueError, RecursionError, NotRegularFileError):
        pass
    return RunInfo(path, config, read_metrics(path / METRICS_FILE), state)


def find_runs(runs_dir: str | Path, problems: list[str] | None = None) -> list[RunInfo]:
    """The readable runs under ``runs_dir``; one line per unreadable one goes to ``problems``
    (left in place: a run folder is the user's, never moved or emptied by a listing)."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    runs = []
    for p in sorted(root.iterdir()):
        if (p / RUN_FILE).exists():
            try:
                runs.append(load_run_dir(p))
            except AetherError as e:
                if problems is not None:
                    problems.append(str(e))
    return runs


def load_run(run: str | Path, runs_dir: str | Path = "runs") -> RunInfo:
    """A run by folder path, or by name under ``runs_dir``."""
    p = Path(run)
    if (p / RUN_FILE).is_file():
        return load_run_dir(p)
    q = Path(runs_dir) / str(run)
    if (q / RUN_FILE).is_file():
        return load_run_dir(q)
    raise AetherError(f"no run {run!r} (looked for {p} and {q})")


def render_summary(run: RunInfo) -> str:
    cfg = run.config
    lines = [
        f"run {run.name}  ({run.path})",
        f"stage: {run.stage}  steps: {run.steps}  wall time: {run.wall_time}",
    ]
    best = [e for e in run.eval_points if e.get("val_bpb") == run.best_bpb] if run.best_bpb else []
    if best:
        b = best[0]
        lines.append(
            f"best: val_bpb {b['val_bpb']:.4f}  val_loss {b.get('val_loss', float('nan')):.4f}  "
            f"val_acc {b.get('val_acc', float('nan')):.4f}  at step {b['step']}"
        )
    elif run.best_loss is not None:
        lines.append(f"best: val_loss {run.best_loss:.4f}")
    finals = [e for e in run.eval_points if e.get("final")]
    if finals:
        f = finals[-1]
        figures = "  ".join(
            f"{k} {v:.4f}" for k, v in f.items() if k.startswith("val_") and isinstance(v, float)
        )
        lines.append(f"final (step {f['step']}): {figures}")
    train = run.train_points
    if train:
        speeds = [m.get("bytes_per_s") or m.get("images_per_s") for m in train]
        speeds = [s for s in speeds if isinstance(s, (int, float))]
        if speeds:
            unit = "bytes/s" if "bytes_per_s" in train[-1] else "images/s"
            lines.append(f"speed: {sum(speeds) / len(speeds):,.0f} {unit} (mean over log lines)")
    lines.append("config:")
    for section in ("model", "train", "data", "lora", "vq"):
        if (
            section in cfg
            and (section != "lora" or run.stage == "lora")
            and (section != "vq" or run.stage == "vq")
            and (section != "model" or run.stage != "vq")
        ):
            sec = dict(cfg[section])
            if section == "model":  # sub-configs that do not apply to this model
                if not sec.get("cross_attn", True):
                    sec.pop("vision", None)
                if sec.get("arch", "flat") != "hierarchical":
                    sec.pop("hier", None)
            items = ", ".join(f"{k}={_short(v)}" for k, v in sec.items() if v not in (None, [], {}))
            lines.append(f"  [{section}] {items}")
    return "\n".join(lines)


def _short(v: Any) -> str:
    s = json.dumps(v) if not isinstance(v, str) else v
    return s if len(s) <= 60 else s[:57] + "..."


def render_curves(run: RunInfo, width: int, height: int, color: bool = False) -> str:
    """Training/validation loss and validation bits per byte, as text drawn by plotext."""
    train, evals = run.train_points, run.eval_points
    if not train and not evals:
        return "(no metrics yet)"
    loss_series = []
    if train:
        loss_series.append(("train loss", [m["step"] for m in train], [m["loss"] for m in train]))
    if evals:
        loss_series.append(("val loss", [m["step"] for m in evals], [m["val_loss"] for m in evals]))
    charts = [("loss (nats)", loss_series)]
    bpb = [m for m in evals if isinstance(m.get("val_bpb"), (int, float))]
    if bpb:
        charts.append(
            (
                "validation bits per byte",
                [("val bpb", [m["step"] for m in bpb], [m["val_bpb"] for m in bpb])],
            )
        )
    return "\n".join(_plot(title, series, width, height, color) for title, series in charts)


def _plot(
    title: str, series: list[tuple[str, list[Any], list[Any]]], width: int, height: int, color: bool
) -> str:
    """One line chart as a string; plotext 5 (module-level API) and 6 (``plotext.figure``) differ."""
    import plotext as plt

    if hasattr(plt, "build"):  # plotext 5.x
        plt.clear_figure()
        plt.plotsize(width, height)
        if not color:
            plt.theme("clear")
        for label, xs, ys in series:
            plt.plot(xs, ys, label=label)
        plt.title(title)
        plt.xlabel("step")
        return plt.build()
    fig = plt.figure  # plotext 6.x
    fig.clear()
    fig.plot_size(width, height)
    for label, xs, ys in series:
        fig.draw(fig.signal(xs, ys).lines().label(label))
    fig.title(title)
    fig.label("step", axis="x")
    return fig.build().string(colorless=not color)
