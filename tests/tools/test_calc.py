"""calc: arithmetic accepted and formatted; everything else refused before numexpr sees it."""

from __future__ import annotations

import re

import pytest

from aether_core.tools import calc as calc_mod
from aether_core.tools.calc import CalcError, CalcTool, computes, evaluate, is_math


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
        ("factorial(2.5)", "factorial takes a whole number from 0 to 1000"),
        ("factorial(-3)", "factorial takes a whole number"),
        ("factorial(10**9)", "factorial takes a whole number"),  # refused before any work
        ("factorial(999)", "result is too large"),
        ("factorial(3, 4)", "takes exactly one argument"),
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


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("15% of 80", "12"),
        ("what is 15% of 80?", "12"),
        ("what's a 15% tip on $80", "12"),
        ("80 plus 15%", "92"),
        ("100 minus 20%", "80"),
        ("20% off 50", "40"),
        ("increase 50 by 10%", "55"),
        ("add 15% to 240", "276"),
        ("take 20% off 50", "40"),
        ("20% of 50 dollars", "10"),
        ("what percent of 80 is 20", "25"),
        ("20 is what percentage of 80", "25"),
        ("9 squared", "81"),
        ("3 cubed", "27"),
        ("cube root of 27", "3"),
        ("the cube root of -8", "-2"),
        ("the square root of 144", "12"),
        ("4th root of 81", "3"),
        ("2 to the power of 10", "1024"),
        ("2 to the 10th power", "1024"),
        ("3 to the fifth", "243"),
        ("twelve times seven", "84"),
        ("4.5 times 6", "27"),
        ("one hundred and five minus twenty-three", "82"),
        ("two point five times four", "10"),
        ("three million divided by 4", "750000"),
        ("1,250 times 3", "3750"),
        ("the sum of 3, 9 and 14", "26"),
        ("add up 3, 9, and 14", "26"),
        ("the average of 3, 9 and 14", "8.66666666667"),
        ("mean of 10 20 30", "20"),
        ("the product of 4, 5 and 6", "120"),
        ("the difference between 100 and 37", "63"),
        ("subtract 7 from 20", "13"),
        ("divide 100 by 8", "12.5"),
        ("what do you get if you multiply 64 by 37", "2368"),
        ("half of 250", "125"),
        ("two thirds of 90", "60"),
        ("17 mod 5", "2"),
        ("what is 7 x 8", "56"),
        ("negative 5 plus 3", "-2"),
        ("a dozen times 4", "48"),
        ("what's 7 times 8 please", "56"),
        ("can you calculate 345 * 12", "4140"),
        ("what is 5 factorial?", "120"),
        ("factorial of 10", "3628800"),
        ("factorial(5)/2", "60"),  # exact in Python, then on through numexpr
        ("3 factorial plus 1", "7"),
        ("(66 ÷ 970) x 7", "0.476288659794"),  # pasted signs beside words for operators
        ("2514 x (37 − 2)", "87990"),
        ("split 120 between 4 people", "30"),
        ("split 3 37 ways", "0.0810810810811"),
        ("divide 100 among 5", "20"),
        ("reduce 7584 by 90", "7494"),  # by an amount, beside "reduce 80 by 25%"
        ("328 reduced by 51", "277"),
        ("50 increased by 10", "60"),
        ("what do you get for seven plus sixteen?", "23"),
        ("5!", "120"),  # a factorial sign, not an exclamation: "5" was the answer
        ("whats 6!", "720"),
        ("4! times 3", "72"),
        ("12 times 3!", "36"),  # a "!" that ends a sum of two numbers ends the sentence
        ("3/4 as a percentage", "75%"),
        ("0.35 in percent", "35%"),
        ("3 out of 4 as a percent", "75%"),
        ("what is 3 out of 4", "0.75"),
        ("tip of 18% on 50", "9"),
        ("18% tip for 50", "9"),
    ],
)
def test_everyday_arithmetic(phrase: str, expected: str) -> None:
    assert evaluate(phrase) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("5 miles in km", "8.04672 kilometers"),
        ("convert 5 miles to km", "8.04672 kilometers"),
        ("what is 5 miles in kilometers?", "8.04672 kilometers"),
        ("100 F to C", "37.7778 degrees Celsius"),
        ("37 C to F", "98.6 degrees Fahrenheit"),
        ("convert 20 celsius to fahrenheit", "68 degrees Fahrenheit"),
        ("3 cups in ml", "709.765 milliliters"),
        ("how many seconds are in a day", "86400 seconds"),
        ("how many minutes are in a week?", "10080 minutes"),
        ("how many cm in 5 inches", "12.7 centimeters"),
        ("how many feet is 3 meters", "9.84252 feet"),
        ("how many ounces in a pound", "16 ounces"),
        ("10 kg in pounds", "22.0462 pounds"),
        ("60 mph in km/h", "96.5606 kilometers per hour"),
        ("1000 square feet in square meters", "92.903 square meters"),
        ("1 mile in feet", "5280 feet"),
        ("twenty miles in km", "32.1869 kilometers"),
        ("2.5*4 miles in km", "16.0934 kilometers"),
        ("seconds in 12 hours", "43200 seconds"),  # "how many" left out
        ("Seconds in 9 weeks?", "5443200 seconds"),
        ("seconds in an hour", "3600 seconds"),  # "an hour": one hour, not "a n" hours
        ("how many cm in an inch", "2.54 centimeters"),
        ("5 feet 10 inches in cm", "177.8 centimeters"),  # parts in units of one kind add up
        ("how many cm is 5 feet 10 inches", "177.8 centimeters"),
        ("6 ft 2 in to cm", "187.96 centimeters"),
        ("1 hour and 30 minutes in seconds", "5400 seconds"),
        ("2.5 * 4 miles in km", "16.0934 kilometers"),  # one amount, not two parts
    ],
)
def test_unit_conversions(phrase: str, expected: str) -> None:
    assert evaluate(phrase) == expected


def test_a_unit_word_a_letter_off_is_read_as_the_unit() -> None:
    assert evaluate("seonds in 29 weeks") == "17539200 seconds"
    assert evaluate("5 kilometrs in miles") == "3.10686 miles"
    assert evaluate("how many mintues in 3 hours") == "180 minutes"  # two letters swapped
    # a short word only with a letter dropped: "wek" is a week, "four" is no "hour"
    assert evaluate("days in a wek") == "7 days"
    assert evaluate("5 mles in km") == "8.04672 kilometers"
    assert computes("hours in a yeer") is None and computes("hours in a for") is None
    assert computes("minutes in a dya") is None  # three letters swapped: too short
    assert evaluate("secknds in aan hour") == "3600 seconds"  # and "an" as typed


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("5 miles in kg", "cannot convert miles to kilograms"),
        ("what time is it", "syntax error"),
        ("bananas", "unknown name 'bananas'"),
        ("open('/etc/passwd') miles in km", "function 'open' is not allowed"),
        ("__import__('os') in km", "'__' is not allowed"),
        ("5 miles in __class__", "'__' is not allowed"),
        ("2 to the power of 99999999", "result is too large"),
        ("the sum of " + ", ".join(["9"] * 70), "expression too long"),
        ("ten divided by zero", "division by zero"),
        ("square root of -4", "undefined result"),
        ("2.5!", "factorial takes a whole number"),
        ("5 feet 3 kg in cm", "syntax error"),  # parts that do not add up
    ],
)
def test_everyday_refusals(phrase: str, message: str) -> None:
    with pytest.raises(CalcError, match=message):
        evaluate(phrase)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("it's 25 C here, 25 C in F", "77 degrees Fahrenheit"),
        ("price is 240 but there's 15% off, so 240 minus 15 percent", "204"),
        ("my scores were 72, 85 and 91; the average of 72, 85 and 91", "82.6666666667"),
        ("I have 3 boxes. 3 times 12", "36"),
    ],
)
def test_a_context_clause_before_the_math_is_left_out(phrase: str, expected: str) -> None:
    assert evaluate(phrase) == expected


@pytest.mark.parametrize(
    ("phrase", "message"),
    [
        ("12, 47 and 88", "only arithmetic is allowed"),  # a bare "88" computes nothing
        ("the sum of 9, " + ", ".join(["9"] * 70), "expression too long"),
        ("hi, __import__('os')", "'__' is not allowed"),
        ("note: open('/etc/passwd')", "syntax error"),
        ("ok, 5 miles in kg", "cannot convert miles to kilograms"),
    ],
)
def test_a_clause_that_computes_nothing_keeps_the_whole_error(phrase: str, message: str) -> None:
    with pytest.raises(CalcError, match=message):
        evaluate(phrase)


def test_words_reach_numexpr_and_pint_only_vetted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A phrase becomes vetted arithmetic before numexpr sees it, and pint sees only unit
    names (letters), never the user's text."""
    import numexpr

    from aether_core.tools import units

    seen: list[str] = []
    real_eval = numexpr.evaluate
    monkeypatch.setattr(numexpr, "evaluate", lambda e, **kw: seen.append(e) or real_eval(e, **kw))
    ureg = units.registry()
    units.unit.cache_clear()  # looked up afresh, through the spy
    names: list[str] = []
    real_parse = ureg.parse_units
    monkeypatch.setattr(ureg, "parse_units", lambda n: names.append(n) or real_parse(n))
    assert evaluate("the average of 3, 9 and 14") == "8.66666666667"
    assert evaluate("how many seconds are in a day") == "86400 seconds"
    assert evaluate("3 cups in ml") == "709.765 milliliters"
    assert seen and all(set(s) <= set("0123456789.e+-*/() sqrtlogpinxabcd") for s in seen)
    assert names and all(re.fullmatch(r"[A-Za-z_°/*23]+", n) for n in names), names


@pytest.mark.parametrize(
    ("phrase", "reading"),
    [
        ("9 squared plus 1", "82"),
        ("15 percent tip on 64 dollars", "9.6"),
        ("seconds in 12 hours", "43200 seconds"),
        ("twelve times seven", "84"),
        ("20%", "0.2"),
        ("144/12", "12"),  # two numbers: arithmetic, though the value is one of them
        ("minutes in a day", "1440 minutes"),  # no number written: a conversion of one day
        # no arithmetic: a bare number, in digits or words, or nothing that reads
        ("12", None),
        ("twelve", None),
        ("the sum of 9", None),
        ("3 apples and buy 5 more", None),
        ("what time is it", None),
        ("a day", None),
        ("what happened in 1969", None),
    ],
)
def test_what_calc_reads_as_a_phrase_of_the_users_words(phrase: str, reading: str | None) -> None:
    assert computes(phrase) == reading
    assert CalcTool().reading("expression", phrase) == reading


@pytest.mark.parametrize(
    ("text", "math"),
    [
        ("2+2", True),
        ("15% of 80", True),
        ("seconds in an hour", True),
        ("5/0", True),  # arithmetic whose answer is an error
        ("2**99999999", True),
        ("1969", False),  # a bare number: nothing to compute
        ("2018 world cup", False),
        ("when did world war 2 end", False),
        ("__import__('os')", False),
        ("5 foos in bars", False),
    ],
)
def test_what_calc_understands_as_a_call(text: str, math: bool) -> None:
    assert is_math(text) is math
    assert CalcTool().understands({"expression": text}) is math
