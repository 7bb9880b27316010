"""calc: arithmetic accepted and formatted; everything else refused before numexpr sees it."""

from __future__ import annotations

import pytest

from aether_core.tools import calc as calc_mod
from aether_core.tools.calc import CalcError, CalcTool, evaluate


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("12*(3+4)", "84"),
        ("7/2", "3.5"),
        ("10/4", "2.5"),
        ("6/3", "2"),
        ("2**10", "1024"),
        ("2^10", "1024"),
        ("3 × 4 ÷ 2", "6"),
        ("5 − 7", "-2"),
        ("-2**2", "-4"),
        ("2**-1", "0.5"),
        ("0.1 + 0.2", "0.3"),
        ("1/3", "0.333333333333"),
        ("-7 // 2", "-4"),
        ("-7 % 3", "2"),
        ("7.5 % 2", "1.5"),
        ("7.5 // 2 + 0.25", "3.25"),
        ("sqrt(16)", "4"),
        ("sqrt(2)", "1.41421356237"),
        ("abs(-3.5)", "3.5"),
        ("log(e)", "1"),
        ("ln(1)", "0"),
        ("log10(1000)", "3"),
        ("exp(0)", "1"),
        ("sin(0) + cos(0)", "1"),
        ("arctan(1) * 4", "3.14159265359"),
        ("pi", "3.14159265359"),
        ("2 * pi", "6.28318530718"),
        ("1e3 + 1", "1001"),
        ("1e20", "1e+20"),
        ("99999999999 * 99999999999", "9999999999800000000001"),
        ("2**100", "1267650600228229401496703205376"),
        ("123456789012345678901234567890 + 1", "123456789012345678901234567891"),
        ("(((1+2)))", "3"),
        ("2 + 2 =", "4"),
    ],
)
def test_arithmetic(expr: str, expected: str) -> None:
    assert evaluate(expr) == expected


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("(1).__class__", "'__' is not allowed"),
        ("__import__('os')", "'__' is not allowed"),
        ("(1).real", "attribute access is not allowed"),
        ("[1, 2][0]", "subscripts are not allowed"),
        ("x + 1", "unknown name 'x'"),
        ("open('/etc/passwd')", "function 'open' is not allowed"),
        ("eval('1')", "function 'eval' is not allowed"),
        ("sqrt(4, 2)", "exactly one argument"),
        ("sqrt(x=4)", "exactly one argument"),
        ("'a' * 3", "only numbers are allowed"),
        ("True + 1", "only numbers are allowed"),
        ("1j * 2", "complex numbers are not supported"),
        ("lambda: 1", "only arithmetic is allowed"),
        ("[i for i in range(3)]", "only arithmetic is allowed"),
        ("1 if 2 else 3", "only arithmetic is allowed"),
        ("1 < 2", "only arithmetic is allowed"),
        ("1 << 2", "operator LShift is not allowed"),
        ("~1", "operator Invert is not allowed"),
        ("1 +", "syntax error"),
        ("", "empty expression"),
        ("1" + "+1" * 100, "expression too long"),
        ("-" * 40 + "1", "too deeply nested"),
        ("sqrt(" * 25 + "1" + ")" * 25, "too deeply nested"),
        ("(" * 30 + "1" + ")" * 30, "too deeply nested"),
        ("1/0", "division by zero"),
        ("1 // 0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("1.5 // 0", "division by zero"),
        ("2.5 % (1 - 1)", "division by zero"),
        ("0.0 ** -1", "division by zero"),
        ("sqrt(-1)", "undefined result"),
        ("log(0)", "infinite or too large"),
        ("(-8) ** (1/3)", "not a real number"),
        ("1e308 * 10", "infinite or too large"),
        ("10.0 ** 400", "too large"),
        ("2 ** 2 ** 2 ** 2 ** 2", "result is too large"),
        ("9 ** 99999999", "result is too large"),
        ("10**400 / 3", "too large"),
    ],
)
def test_refusals(expr: str, message: str) -> None:
    with pytest.raises(CalcError, match=message.replace("(", r"\(")):
        evaluate(expr)


def test_numexpr_only_sees_vetted_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    import numexpr

    seen: list[str] = []
    real = numexpr.evaluate

    def spy(expr: str, **kwargs: object) -> object:
        seen.append(expr)
        assert kwargs == {"local_dict": {}, "global_dict": {}}
        return real(expr, **kwargs)

    monkeypatch.setattr(numexpr, "evaluate", spy)
    assert calc_mod.evaluate("sqrt(2) * pi + 7.5 // 2") == "7.44288293816"
    assert seen and all(set(s) <= set("0123456789.e+-*/() sqrtlogpinxabcd") for s in seen)


def test_tool_interface() -> None:
    tool = CalcTool()
    assert tool.name == "calc"
    assert tool.run(**tool.validate_args({"expression": "1+1"})) == "2"
