"""User settings for the TUI: a small TOML file under ``config_dir()``.

Read with :mod:`tomllib` and checked field by field by the config mechanism every Aether config
uses (``aether_core.config.check_fields``: types and ranges declared on the dataclass), so a bad
value (``temperature = nan``, ``top_k = -5``) falls back to its default with a warning instead of
breaking every turn. A file that cannot be read at all (not TOML, nested too deeply, not a plain
file) is set aside under a dated name and the defaults are used, with one warning. Written with
tomlkit, which keeps the user's comments and layout, atomically.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

import tomlkit
import tomlkit.exceptions

from aether_core.agent.approval import DEFAULT_APPROVAL
from aether_core.decoding import DEFAULT_SAMPLING, MAX_TEMPERATURE, SAMPLERS, SamplingConfig
from aether_core.fsutil import atomic_write_text, config_dir, read_regular, set_aside
from aether_core.validation import ConfigError, bounded, check_fields, check_value, field_hints

SETTINGS_FILE = "tui.toml"
MAX_SETTINGS_BYTES = 1 << 20
HEADER = "Aether TUI settings (aether-tui keeps your comments when it saves)"


def default_settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


@dataclass
class SamplingSettings:
    """The sampling knobs the TUI exposes; applied to ``agent.sampling`` once the agent exists."""

    temperature: float = bounded(DEFAULT_SAMPLING.temperature, ge=0.0, le=MAX_TEMPERATURE)
    top_k: int = bounded(DEFAULT_SAMPLING.top_k, ge=0, le=1 << 16)
    top_p: float = bounded(DEFAULT_SAMPLING.top_p, gt=0.0, le=1.0)
    sampler: str = bounded(DEFAULT_SAMPLING.sampler, choices=SAMPLERS)  # /sampler plain|entropy

    def __post_init__(self) -> None:
        check_fields(self)

    def config(self) -> SamplingConfig:
        """The agent's sampling: the shared defaults with these knobs applied."""
        return DEFAULT_SAMPLING.with_overrides(**dataclasses.asdict(self))


@dataclass
class ApprovalSettings:
    """``default`` is an ApprovalPolicy spec: "ask", "all", "none" or a tool list "calc,echo"."""

    default: str = DEFAULT_APPROVAL

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass
class Settings:
    checkpoint: str = ""  # empty: build_agent's default (assets/ when present)
    device: str = "auto"
    theme: str = "textual-dark"
    enter_sends: bool = True  # False: Enter inserts a newline and Shift+Enter / Ctrl+J sends
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    approval: ApprovalSettings = field(default_factory=ApprovalSettings)
    path: Path | None = field(default=None, compare=False, repr=False)
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)
    # values the file held that were refused: the file is set aside before a save replaces them
    rejected: list[str] = field(default_factory=list, compare=False, repr=False)

    # ------------------------------------------------------------------ persistence
    @classmethod
    def load(cls, path: str | Path | None = None) -> Settings:
        """Settings from ``path`` (default: config_dir()/tui.toml); defaults when it is missing."""
        p = Path(path) if path is not None else default_settings_path()
        settings = cls(path=p)
        try:
            data = tomllib.loads(read_regular(p, MAX_SETTINGS_BYTES).decode("utf-8"))
        except FileNotFoundError:
            return settings
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as e:
            problem = "nested too deeply" if isinstance(e, RecursionError) else _one_line(e)
            try:
                moved = set_aside(p)
                where = f"set aside as {moved.name}" if moved else "left as is"
            except OSError as err:
                where = f"could not set it aside ({_one_line(err)})"
            settings.warnings.append(f"settings {p}: {problem}; {where}; using defaults")
            return settings
        settings._apply(data, settings, "")
        return settings

    def save(self, path: str | Path | None = None) -> Path:
        """Write the settings atomically, keeping the file's comments; returns the path written.

        A file whose values were refused on load is set aside first, so what the user wrote is
        kept, not overwritten."""
        p = Path(path) if path is not None else (self.path or default_settings_path())
        try:
            doc = tomlkit.parse(read_regular(p, MAX_SETTINGS_BYTES).decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError, RecursionError):
            doc = None
        if self.rejected and p.exists():
            moved = set_aside(p, "invalid")
            if moved is not None:
                self.warnings.append(f"settings: the file with refused values is kept as {moved}")
            self.rejected = []
        atomic_write_text(p, dumps(self.to_dict(), doc))
        self.path = p
        return p

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for name in ("path", "warnings", "rejected"):
            d.pop(name, None)
        return d

    def _apply(self, data: dict[str, Any], target: Any, prefix: str) -> None:
        """Copy known keys of ``data`` onto the dataclass ``target``, each checked by the shared
        config mechanism; a refused value keeps its default and adds a warning."""
        hints = field_hints(type(target))
        for f in dataclasses.fields(target):
            if f.name in ("path", "warnings", "rejected") or f.name not in data:
                continue
            value = data[f.name]
            current = getattr(target, f.name)
            name = f"{prefix}{f.name}"
            if dataclasses.is_dataclass(current):
                if isinstance(value, dict):
                    self._apply(value, current, f"{name}.")
                else:
                    self.warnings.append(f"settings: [{name}] must be a table; ignored")
                    self.rejected.append(name)
                continue
            try:
                setattr(target, f.name, check_value(f, hints[f.name], value))
            except ConfigError as e:
                self.warnings.append(f"settings: {prefix}{e}; using {current!r}")
                self.rejected.append(name)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:160] or type(e).__name__


def dumps(data: dict[str, Any], doc: tomlkit.TOMLDocument | None = None) -> str:
    """TOML for ``data`` (scalars and tables of them; None values are left out). With ``doc``,
    the user's parsed file, only the values change: comments, order and other keys stay."""
    if doc is None:
        doc = tomlkit.document()
        doc.add(tomlkit.comment(HEADER))
    _update(doc, data)
    return tomlkit.dumps(doc)


def _update(container: Any, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if value is None:
            if key in container:
                del container[key]
        elif isinstance(value, dict):
            if not isinstance(container.get(key), dict):
                container[key] = tomlkit.table()
            _update(container[key], value)
        else:
            old = container.get(key)
            # an unchanged value keeps its formatting and trailing comment
            if old is None or old != value or isinstance(old, bool) != isinstance(value, bool):
                container[key] = value
