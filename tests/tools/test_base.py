"""Schema validation, the registry and the default registry."""

from __future__ import annotations

from typing import Any

import pytest

from aether_core.errors import AetherError
from aether_core.tools import (
    ArgSpec,
    Tool,
    ToolArgError,
    ToolRegistry,
    ToolsConfig,
    UnknownToolError,
    default_registry,
    make_sandbox,
)


class Demo(Tool):
    name = "demo"
    description = "Exercise every argument type."
    schema = {
        "text": ArgSpec("string", True, "some text", max_length=5),
        "count": ArgSpec("integer", False),
        "ratio": ArgSpec("number", False),
        "flag": ArgSpec("boolean", False),
        "color": ArgSpec("string", False, enum=("red", "blue")),
    }

    def run(self, **args: Any) -> str:
        return repr(sorted(args.items()))


def test_valid_args_are_coerced() -> None:
    args = Demo().validate_args(
        {"text": "hi", "count": "3", "ratio": "0.5", "flag": "true", "color": "red"}
    )
    assert args == {"text": "hi", "count": 3, "ratio": 0.5, "flag": True, "color": "red"}
    assert Demo().validate_args({"text": 12, "count": 4.0, "ratio": 2}) == {
        "text": "12",
        "count": 4,
        "ratio": 2,
    }


def test_none_for_optional_is_dropped() -> None:
    assert Demo().validate_args({"text": "a", "count": None}) == {"text": "a"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"text": "a", "bogus": 1}, "unknown argument 'bogus'"),
        ({}, "missing required argument 'text'"),
        ({"text": None}, "must be a string, got null"),
        ({"text": ["a"]}, "must be a string, got array"),
        ({"text": "toolong"}, "too long"),
        ({"text": "a", "count": "x"}, "must be an integer"),
        ({"text": "a", "count": 1.5}, "must be an integer"),
        ({"text": "a", "count": True}, "must be an integer, got boolean"),
        ({"text": "a", "ratio": "nan"}, "finite"),
        ({"text": "a", "ratio": {}}, "must be a number, got object"),
        ({"text": "a", "flag": 1}, "must be a boolean"),
        ({"text": "a", "color": "green"}, "must be one of red, blue"),
    ],
)
def test_bad_args(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolArgError, match=message) as info:
        Demo().validate_args(args)
    assert isinstance(info.value, AetherError)
    assert str(info.value).startswith("demo: ")


def test_non_object_args() -> None:
    with pytest.raises(ToolArgError, match="must be an object"):
        Demo().validate_args(["text"])  # type: ignore[arg-type]


def test_argspec_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        ArgSpec("array")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ArgSpec("integer", max_length=3)


def test_registry() -> None:
    reg = ToolRegistry([Demo()])
    assert reg.names() == ["demo"] and "demo" in reg and len(reg) == 1
    assert [t.name for t in reg] == ["demo"]
    with pytest.raises(ValueError, match="already registered"):
        reg.register(Demo())
    with pytest.raises(UnknownToolError, match="unknown tool 'nope' \\(available: demo\\)"):
        reg.get("nope")
    assert reg.describe() == (
        "- demo(text: string, count?: integer, ratio?: number, flag?: boolean, "
        "color?: 'red'|'blue'): Exercise every argument type."
    )


def test_default_registry() -> None:
    reg = default_registry(ToolsConfig(browse_max_chars=123), search_backend=lambda q, n: [])
    assert reg.names() == ["web_search", "browse_page", "calc", "time", "echo"]
    assert reg.get("browse_page").max_chars == 123  # type: ignore[attr-defined]
    for tool in reg:
        assert tool.description and isinstance(tool.schema, dict)
        for spec in tool.schema.values():
            assert isinstance(spec, ArgSpec)
    assert len(reg.describe().splitlines()) == 5
    out = make_sandbox().call(reg.get("web_search"), {"query": "q"})
    assert out.ok and out.output == "no results for 'q'"
