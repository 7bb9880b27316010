"""Tool contract: an introspectable argument schema, validation, and a registry.

The agent's constrained JSON decoder reads ``Tool.schema`` to constrain argument names and types,
so the schema is plain data (``ArgSpec``), never a callable.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aether_core.errors import AetherError

ArgType = Literal["string", "integer", "number", "boolean"]
ARG_TYPES: tuple[str, ...] = ("string", "integer", "number", "boolean")


class ToolError(AetherError):
    """A tool failed in a way the model (and user) should read as one line."""


class ToolArgError(ToolError):
    """The arguments of a tool call do not match the tool's schema."""


class UnknownToolError(ToolArgError):
    """The model asked for a tool that is not registered."""


@dataclass(frozen=True)
class ArgSpec:
    """One argument of a tool: JSON type, whether it is required, and optional constraints."""

    type: ArgType
    required: bool = True
    description: str = ""
    enum: tuple[str, ...] | None = None
    max_length: int | None = None  # strings only, in characters
    copy: bool = True  # usually quoted from the conversation (the agent's copy prior applies)
    copy_stop: bytes = b""  # bytes a quoted value never runs into (whitespace for a URL)
    copy_numbers: bool = False  # not quoted as a whole, but its numbers are (calc expressions)
    copy_phrase: bool = False  # a phrase out of a sentence: where it ends is the model's call
    pick_span: bool = False  # a span of the user's words, picked whole by the model's likelihood
    reads: bool = False  # the tool reads the user's own phrase for it (``Tool.reading``)
    # which picked spans can be the value: fits(before, span, after) in the user's words
    fits: Callable[[str, str, str], bool] | None = field(default=None, compare=False)
    # where in the user's words a quoted value may begin (character offsets; none: anywhere)
    begins: Callable[[str], tuple[int, ...]] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.type not in ARG_TYPES:
            raise ValueError(f"unknown argument type {self.type!r}")
        if (self.enum is not None or self.max_length is not None) and self.type != "string":
            raise ValueError("enum and max_length apply to string arguments only")


class Tool(abc.ABC):
    """A named capability the agent can call. Subclasses set the three attributes and ``run``."""

    name: str
    description: str
    schema: dict[str, ArgSpec]
    # The output is written for the user ("It's 05:31 on Monday in Tokyo, Japan.", echo's text):
    # a turn whose one call went well answers with it as it stands, as the training data does,
    # without the model retyping it.
    speaks: bool = False
    # Small talk may call it ("good night" is no search, agent/small_talk.py).
    for_small_talk: bool = True

    def openings(self, output: str, ok: bool = True) -> tuple[str, ...]:
        """How an answer after ``output`` (a good result, or where not ``ok`` the error) may
        begin, as the training data's answers do; () where any way may. A small model that reads
        a search for a time difference begins "It's …" as for the clock, and says nothing of
        the result; told the search failed, it said so in calc's words ("I can't compute
        that: …")."""
        return ()

    @abc.abstractmethod
    def run(self, **args: Any) -> str:
        """Do the work and return text for the model; raise on failure (the sandbox reports it)."""

    def reading(self, arg: str, phrase: str) -> str | None:
        """What the tool makes of ``phrase`` (a span of the user's words, or a value the model
        wrote) as argument ``arg`` of an ``ArgSpec(reads=True)``, or None where it makes nothing
        of it. Where a span is picked, the agent offers the phrases the tool reads over a value
        the model writes itself, which drops words ("9+1" for "9 squared plus 1"); a part of a
        message whose call the tool would not read is no request of its own (agent/requests.py).
        Runs in the agent's process while it decodes: it must be quick and bounded."""
        return None

    def understands(self, args: Mapping[str, Any], request: str = "") -> bool:
        """Whether the tool can make anything of a call with ``args`` at all, its outcome aside,
        for ``request`` (the user's words it answers). A call it cannot (calc given "2018 world
        cup" for "who won the 2018 world cup?") means the model chose the wrong tool: the agent
        decides the step again without this one. Quick and bounded, like ``reading``; by
        default every call is understood."""
        return True

    def validate_args(self, args: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check ``args`` against ``schema`` and coerce harmless mismatches (``"5"`` → 5).

        Optional arguments given as ``None`` are dropped so ``run``'s defaults apply.
        """
        if args is None:
            args = {}
        if not isinstance(args, Mapping):
            raise ToolArgError(f"{self.name}: arguments must be an object")
        out: dict[str, Any] = {}
        for key, value in args.items():
            spec = self.schema.get(key)
            if spec is None:
                allowed = ", ".join(self.schema) or "none"
                raise ToolArgError(f"{self.name}: unknown argument {key!r} (allowed: {allowed})")
            if value is None and not spec.required:
                continue
            out[key] = _coerce(self.name, key, spec, value)
        for key, spec in self.schema.items():
            if spec.required and key not in out:
                raise ToolArgError(f"{self.name}: missing required argument {key!r}")
        return out

    def signature(self) -> str:
        """``name(arg: type, opt?: type)``: how the tool is shown to the model."""
        parts = []
        for key, spec in self.schema.items():
            typ = "|".join(repr(v) for v in spec.enum) if spec.enum else spec.type
            parts.append(f"{key}{'' if spec.required else '?'}: {typ}")
        return f"{self.name}({', '.join(parts)})"


def _coerce(tool: str, key: str, spec: ArgSpec, value: Any) -> Any:
    """Return ``value`` as ``spec.type`` or raise; accepts the obvious string/number spellings."""
    where = f"{tool}: argument {key!r}"
    if spec.type == "string":
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ToolArgError(f"{where} must be a string, got {_json_type(value)}")
        text = value if isinstance(value, str) else str(value)
        if spec.max_length is not None and len(text) > spec.max_length:
            raise ToolArgError(f"{where} is too long ({len(text)} > {spec.max_length} characters)")
        if spec.enum is not None and text not in spec.enum:
            raise ToolArgError(f"{where} must be one of {', '.join(spec.enum)}")
        return text
    if spec.type == "integer":
        if isinstance(value, bool):
            raise ToolArgError(f"{where} must be an integer, got boolean")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ToolArgError(f"{where} must be an integer, got {_json_type(value)}")
    if spec.type == "number":
        if isinstance(value, bool):
            raise ToolArgError(f"{where} must be a number, got boolean")
        if isinstance(value, (int, float)):
            number = value
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ToolArgError(f"{where} must be a number, got string") from None
        else:
            raise ToolArgError(f"{where} must be a number, got {_json_type(value)}")
        if isinstance(number, float) and not math.isfinite(number):
            raise ToolArgError(f"{where} must be a finite number")
        return number
    # boolean
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ToolArgError(f"{where} must be a boolean, got {_json_type(value)}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


class ToolRegistry:
    """Tools by name, in registration order (the order ``describe`` lists them)."""

    def __init__(self, tools: list[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools or []:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if not getattr(tool, "name", ""):
            raise ValueError("a tool needs a name")
        if tool.name in self._tools:
            raise ValueError(f"tool {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            available = ", ".join(self._tools) or "none"
            raise UnknownToolError(f"unknown tool {name!r} (available: {available})") from None

    def names(self) -> list[str]:
        return list(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def describe(self) -> str:
        """One line per tool, for the system prompt: signature and what it is for."""
        return "\n".join(f"- {t.signature()}: {t.description}" for t in self._tools.values())
