"""User settings for the TUI: a small TOML file under ``config_dir()``.

Read with :mod:`tomllib`; written by :func:`dumps`, a deliberately tiny writer for the flat tables
used here (top-level scalars, then ``[section]`` tables of scalars), atomically so a crash never
leaves a half-written file. Unknown keys are ignored on read, bad values fall back to defaults with
a warning instead of stopping the app from starting.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from aether_core.decoding import DEFAULT_SAMPLING, SamplingConfig
from aether_core.fsutil import atomic_write_text, config_dir

SETTINGS_FILE = "tui.toml"
APPROVAL_MODES = ("ask", "all", "none")


def default_settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


@dataclass
class SamplingSettings:
    """The sampling knobs the TUI exposes; applied to ``agent.sampling`` once the agent exists."""

    temperature: float = DEFAULT_SAMPLING.temperature  # /temp X
    top_k: int = DEFAULT_SAMPLING.top_k
    top_p: float = DEFAULT_SAMPLING.top_p

    def config(self) -> SamplingConfig:
        """The agent's sampling: the shared defaults with these knobs applied."""
        return DEFAULT_SAMPLING.with_overrides(**dataclasses.asdict(self))


@dataclass
class ApprovalSettings:
    """``default`` is an ApprovalPolicy spec: "ask", "all", "none" or a tool list "calc,echo"."""

    default: str = "ask"


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

    # ------------------------------------------------------------------ persistence
    @classmethod
    def load(cls, path: str | Path | None = None) -> Settings:
        """Settings from ``path`` (default: config_dir()/tui.toml); defaults when it is missing."""
        p = Path(path) if path is not None else default_settings_path()
        settings = cls(path=p)
        if not p.exists():
            return settings
        try:
            data = tomllib.loads(p.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            settings.warnings.append(f"{p}: {e}; using defaults")
            return settings
        settings._apply(data, settings, "")
        return settings

    def save(self, path: str | Path | None = None) -> Path:
        """Write the settings atomically; returns the path written."""
        p = Path(path) if path is not None else (self.path or default_settings_path())
        atomic_write_text(p, dumps(self.to_dict()))
        self.path = p
        return p

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("path", None)
        d.pop("warnings", None)
        return d

    def _apply(self, data: dict[str, Any], target: Any, prefix: str) -> None:
        """Copy known keys of ``data`` onto the dataclass ``target``, type-checked."""
        for f in dataclasses.fields(target):
            if f.name in ("path", "warnings") or f.name not in data:
                continue
            value = data[f.name]
            current = getattr(target, f.name)
            name = f"{prefix}{f.name}"
            if dataclasses.is_dataclass(current):
                if isinstance(value, dict):
                    self._apply(value, current, f"{name}.")
                else:
                    self.warnings.append(f"settings: [{name}] must be a table")
                continue
            coerced = _coerce(value, type(current))
            if coerced is None:
                self.warnings.append(
                    f"settings: {name} = {value!r} is not a {type(current).__name__}; ignored"
                )
            else:
                setattr(target, f.name, coerced)


def _coerce(value: Any, kind: type) -> Any:
    """``value`` as ``kind`` (int is accepted for float), or None when it does not fit."""
    if kind is bool:
        return value if isinstance(value, bool) else None
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    return None


# ---------------------------------------------------------------------- TOML writer
def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "-_" for c in key):
        return key
    return _toml_str(key)


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def dumps(data: dict[str, Any]) -> str:
    """TOML for a dict of scalars and one level of tables of scalars (None values are omitted)."""
    lines = ["# Aether TUI settings (written by aether-tui; comments are not kept)"]
    tables = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            tables.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for name, table in tables:
        lines.append("")
        lines.append(f"[{_toml_key(name)}]")
        for key, value in table.items():
            if value is None:
                continue
            if isinstance(value, dict):
                raise TypeError("nested tables are not supported")
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
