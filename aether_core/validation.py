"""Typed, range-checked configuration: the one mechanism every Aether config is loaded through
(model and checkpoint configs, training runs, the TUI's settings).

:func:`check_fields`, called from a config dataclass's ``__post_init__``, holds each field to its
annotation (``int`` is not ``bool`` or ``1.5``, floats are finite, ``tuple[int, ...]`` holds ints)
and to the bounds declared with :func:`bounded`; cross-field rules stay in ``__post_init__``.
:func:`from_dict` builds nested dataclasses from JSON/TOML, rejecting unknown keys. Errors are
one line naming the field with its path (``model.dim must be at most 65536, not 1000000000``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from dataclasses import field
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

from .errors import AetherError

T = TypeVar("T")


class ConfigError(AetherError, ValueError):
    """A config file or dict that does not describe a valid configuration."""


# ----------------------------------------------------------------------------- typed fields
def bounded(
    default: Any = dataclasses.MISSING,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    choices: tuple[Any, ...] | None = None,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field whose value :func:`check_fields` keeps within the bounds or choices."""
    meta = {"ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices}
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


@functools.cache
def field_hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of a dataclass (``from __future__ import annotations`` makes
    them strings)."""
    return typing.get_type_hints(cls)


def check_fields(obj: Any) -> None:
    """Hold every field of the dataclass ``obj`` to its type and bounds (coercing int to float
    and lists to tuples in place); raise :class:`ConfigError` naming the first bad field."""
    hints = field_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name in hints:
            object.__setattr__(obj, f.name, check_value(f, hints[f.name], getattr(obj, f.name)))


def check_value(f: dataclasses.Field, hint: Any, value: Any) -> Any:
    """``value`` checked (and coerced) for the field ``f`` of type ``hint``, or ConfigError."""
    value = _coerce(hint, value, f.name)
    meta = f.metadata
    if value is None or not meta:
        return value
    if meta.get("choices") is not None and value not in meta["choices"]:
        options = ", ".join(map(str, meta["choices"]))
        raise ConfigError(f"{f.name} must be one of {options}, not {_show(value)}")
    for key, ok, words in (
        ("ge", lambda v, b: v >= b, "at least"),
        ("gt", lambda v, b: v > b, "above"),
        ("le", lambda v, b: v <= b, "at most"),
        ("lt", lambda v, b: v < b, "below"),
    ):
        bound = meta.get(key)
        if bound is not None and isinstance(value, int | float) and not ok(value, bound):
            shown = bound if isinstance(bound, int) else f"{bound:g}"
            raise ConfigError(f"{f.name} must be {words} {shown}, not {_show(value)}")
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _coerce(hint: Any, value: Any, name: str) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is not type(None):
                try:
                    return _coerce(arg, value, name)
                except ConfigError:
                    continue
        raise ConfigError(f"{name} must be {_describe(hint)}, not {_show(value)}")
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ConfigError(f"{name} must be a finite number, not {_show(value)}")
            return float(value)
    elif hint is int or hint is bool or hint is str:
        if type(value) is hint or (hint is str and isinstance(value, str)):
            return value
    elif origin in (tuple, list) and isinstance(value, list | tuple):
        item = args[0] if args else Any
        items = [_coerce(item, v, f"{name}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    elif origin is dict and isinstance(value, dict):
        return {k: _coerce(args[1] if args else Any, v, f"{name}.{k}") for k, v in value.items()}
    elif isinstance(hint, type) and isinstance(value, hint):
        return value
    raise ConfigError(f"{name} must be {_describe(hint)}, not {_show(value)}")


def _describe(hint: Any) -> str:
    if get_origin(hint) in (Union, types.UnionType):
        return " or ".join("null" if a is type(None) else _describe(a) for a in get_args(hint))
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    if hint in names:
        return names[hint]
    if get_origin(hint) in (tuple, list):
        plural = {int: "integers", float: "numbers", bool: "booleans", str: "strings"}
        return (
            f"a list of {plural.get(get_args(hint)[0], 'values') if get_args(hint) else 'values'}"
        )
    if get_origin(hint) is dict:
        return "a table"
    return getattr(hint, "__name__", str(hint))


def from_dict(cls: type[T], d: dict[str, Any], where: str = "") -> T:
    """Build a (possibly nested) dataclass from a dict, rejecting unknown keys by name; errors
    name the field with its path (``where`` is the prefix, e.g. ``"model."``)."""
    if not isinstance(d, dict):
        name = where.rstrip(".") or cls.__name__
        raise ConfigError(f"{name} must be an object (a table), not {type(d).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(d) - set(fields))
    if unknown:
        shown = ", ".join(_show(u) for u in unknown[:5])
        raise ConfigError(f"unknown {cls.__name__} field(s): {shown}")
    kwargs: dict[str, Any] = {}
    for name, value in d.items():
        ftype = fields[name].type
        sub = _NESTED.get(ftype if isinstance(ftype, str) else getattr(ftype, "__name__", ""))
        if sub is not None and isinstance(value, dict):
            value = from_dict(sub, value, f"{where}{name}.")
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except ConfigError as e:
        raise ConfigError(f"{where}{e}") from None
    except (TypeError, ValueError) as e:
        raise ConfigError(f"bad {where.rstrip('.') or cls.__name__} config: {e}") from None


_NESTED: dict[str, type] = {}  # nested config dataclasses by name (see register_nested)


def register_nested(cls: type) -> type:
    """Let from_dict rebuild another nested config dataclass (used by train configs)."""
    _NESTED[cls.__name__] = cls
    return cls


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or TOML config file into a dict, with a one-line error on failure."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read config ({e.strerror or e})") from None
    try:
        if path.suffix == ".toml":
            return tomllib.loads(raw.decode("utf-8"))
        return json.loads(raw)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'} ({e})") from None
