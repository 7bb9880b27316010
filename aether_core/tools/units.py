"""Unit conversions for calc, through pint: "5 miles in km", "100 F to C", "how many seconds
are in a day", "convert 3 cups to ml".

The user's text never reaches pint's parser as a whole: the quantity is evaluated by calc's
allowlist, and only a unit name (letters, spaces and one "/", after the aliases below) is
looked up in pint's registry. Results are rounded to ``SIGNIFICANT`` digits and named in words
("8.04672 kilometers", "37.7778 degrees Celsius") so an answer can quote them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aether_core.tools.phrase_bounds import one_off, swapped

SIGNIFICANT = 6  # a conversion factor's digits beyond this are noise to a reader
MAX_UNIT_WORDS = 3  # "degrees fahrenheit", "us fluid ounces": no unit name is longer

# What people type -> a name pint knows. pint reads "F" as farad and "C" as coulomb, and "in"
# is both inch and a connector, so temperatures and a few short forms are spelled out here.
ALIASES = {
    "f": "degF", "°f": "degF", "fahrenheit": "degF", "farenheit": "degF", "deg f": "degF",
    "degrees f": "degF", "degrees fahrenheit": "degF", "degree fahrenheit": "degF",
    "c": "degC", "°c": "degC", "celsius": "degC", "celcius": "degC", "centigrade": "degC",
    "deg c": "degC", "degrees c": "degC", "degrees celsius": "degC", "degree celsius": "degC",
    "degrees centigrade": "degC", "k": "kelvin", "kelvins": "kelvin", "degrees kelvin": "kelvin",
    "kmh": "km/hour", "km/h": "km/hour", "kph": "km/hour", "kilometers per hour": "km/hour",
    "kilometres per hour": "km/hour", "miles per hour": "mile/hour", "mph": "mile/hour",
    "m/s": "meter/second", "meters per second": "meter/second",
    "metres per second": "meter/second", "fl oz": "fluid_ounce", "fluid ounces": "fluid_ounce",
    "fluid ounce": "fluid_ounce", "sq ft": "foot**2", "sq m": "meter**2", "sq km": "km**2",
    "sq mi": "mile**2", "hrs": "hour", "hr": "hour", "mins": "minute", "min": "minute",
    "secs": "second", "sec": "second", "yrs": "year", "yr": "year", "cc": "cm**3",
    "tons": "metric_ton", "ton": "metric_ton", "tonnes": "metric_ton", "tonne": "metric_ton",
    "us tons": "short_ton", "short tons": "short_ton", "stones": "stone", "lbs": "pound",
    "cups": "cup", "inches": "inch", "in": "inch", "gallons": "gallon", "liters": "liter",
    "litres": "liter", "litre": "liter", "metres": "meter", "metre": "meter",
    "kilometres": "kilometer", "kilometre": "kilometer", "centimetres": "centimeter",
    "centimetre": "centimeter", "millimetres": "millimeter", "millimetre": "millimeter",
}  # fmt: skip
_POWERS = {"square": 2, "sq": 2, "cubic": 3}
_IRREGULAR = {"foot": "feet", "inch": "inches", "century": "centuries", "hertz": "hertz",
              "celsius": "celsius", "fahrenheit": "fahrenheit", "stone": "stone"}  # fmt: skip
# the unit words people mistype most, looked up one letter off ("seonds in 29 weeks", "how many
# mintues"); a short one only with a letter dropped ("days in a wek")
_TYPED = (
    "seconds minutes hours days weeks months years kilometers meters centimeters millimeters "
    "miles feet inches yards kilograms grams pounds ounces liters gallons milliliters "
    "second minute hour day week month year mile yard inch gram pound ounce liter gallon meter"
).split()
_TYPO_MIN = 5  # letters a word needs before a letter changed or swapped is a typo
_ONE = r"a+n*|one|per|each|every|1"  # one of a unit ("an hour", and "aan hour" as typed)
_UNIT_TEXT = re.compile(r"^[a-z°][a-z° ]{0,40}(?:/[a-z]{1,20})?$")
_CONNECTORS = ("in terms of", "into", "in", "to", "as", "=", "equals", "is how many", "is")


class UnitError(ValueError):
    """Units that do not convert into each other ("miles in kg")."""


@dataclass(frozen=True)
class Conversion:
    quantity: str  # the amount as written ("5", "2.5*4", "a")
    source: Any  # pint Unit
    target: Any  # pint Unit


@functools.lru_cache(maxsize=1)
def registry() -> Any:
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


@functools.lru_cache(maxsize=1024)
def unit(text: str) -> Any | None:
    """The pint unit ``text`` names ("km", "miles", "degrees F", "square feet"), or None."""
    name = " ".join(text.lower().strip(" .?!,").replace(" / ", "/").split())
    if not _UNIT_TEXT.match(name):
        return None  # only letters reach pint, never the user's operators or digits
    name = ALIASES.get(name, name)
    power = 1
    first, _, rest = name.partition(" ")
    if first in _POWERS and rest:
        power, name = _POWERS[first], ALIASES.get(rest, rest)
    ureg = registry()
    try:
        found = ureg.parse_units(name.replace(" ", "_"))
    except Exception:  # pint's UndefinedUnitError and its parse errors
        typed = {u for u in _TYPED if _mistyped(name, u)}
        return unit(typed.pop()) if len(typed) == 1 and power == 1 else None
    if found.dimensionless:
        return None  # "dozen", "percent": numbers, not units
    return found**power


def _mistyped(name: str, word: str) -> bool:
    """``name`` is ``word`` mistyped: a letter changed, added, dropped or two swapped, or for a
    word too short for that to say much, only a letter dropped ("wek", not "hour" of "four")."""
    if len(name) < 3 or not one_off(name, word):
        return len(name) >= _TYPO_MIN and swapped(name, word)
    return len(name) >= _TYPO_MIN or len(name) == len(word) - 1


def read(text: str) -> Conversion | None:
    """The conversion ``text`` asks for (already lower case, number words as digits, the words
    around it stripped), or None: "<amount> <unit> in|to|as <unit>", "(how many) <unit> (are)
    in <amount> <unit>", "<amount> <unit> is how many <unit>"."""
    text = re.sub(r"^(?:convert|change|turn|translate)\s+", "", text.strip())
    how = re.match(r"^how\s+many\s+(.+)$", text)
    if how:
        return _how_many(how[1])
    text = re.sub(r"\s+(?:then|exactly|roughly|approximately)$", "", text)
    for connector in _CONNECTORS:  # the last connector whose sides both read
        for at in _finds(text, f" {connector} "):
            left, right = text[:at], text[at + len(connector) + 2 :]
            right = re.sub(r"^how\s+many\s+", "", right)
            target = unit(right)
            amount = _amount(left)
            if target is not None and amount is not None:
                return Conversion(amount[0], amount[1], target)
    return _how_many(text)  # "seconds in 12 hours": "how many" left out


def _how_many(rest: str) -> Conversion | None:
    """ "seconds are in a day", "cm in 5 inches", "feet is 3 meters", "ml make a cup"."""
    words = rest.split()
    for n in range(1, min(len(words), MAX_UNIT_WORDS) + 1):
        target = unit(" ".join(words[:n]))
        if target is None:
            continue
        tail = " ".join(words[n:])
        tail = re.sub(
            r"^(?:are\s+there|is\s+there|are|is|do|does|make(?:\s+up)?|makes|fit|go|equal)"
            r"(?:\s+(?:there|it|you))?\s+",
            "",
            tail,
        )
        tail = re.sub(r"^(?:in|to|into|per|make|makes|equal|equals|for)\s+", "", tail)
        tail = re.sub(r"\s+(?:have|has|make|makes|equal|equals|is|are|contain)$", "", tail)
        amount = _amount(tail)
        if amount is not None:
            return Conversion(amount[0], amount[1], target)
    return None


def _finds(text: str, needle: str) -> list[int]:
    """Where ``needle`` occurs in ``text``, last first."""
    out, at = [], text.find(needle)
    while at >= 0:
        out.append(at)
        at = text.find(needle, at + 1)
    return out[::-1]


# Where the next part of an amount in two units starts: "5 feet | 10 inches", "1 hour, and | 30
# minutes". Each part is a plain number and its unit.
_NEXT_PART = re.compile(r"(?:\s*,)?(?:\s+and)?\s+(?=\d)")
_PART = re.compile(r"^\d+(?:\.\d+)?$")


def _amount(text: str) -> tuple[str, Any] | None:
    """("5", mile) of "5 miles"; ("1", day) of "a day"; the amount may be an expression, or a
    sum of parts in units of one kind ("5 feet 10 inches", in the first part's unit)."""
    parts = _NEXT_PART.split(text.strip())
    return (len(parts) > 1 and _parts(parts)) or _single(text)


def _parts(parts: list[str]) -> tuple[str, Any] | None:
    """ "5+10*0.0833…", foot of ["5 feet", "10 inches"]: each part a plain number and a unit
    that converts into the first one; else None."""
    read = [_single(p) for p in parts]
    if any(r is None or not _PART.match(r[0]) for r in read):
        return None
    first = read[0][1]  # type: ignore[index]
    terms = []
    for amount, source in read:  # type: ignore[misc]
        try:
            factor, _ = convert(1, source, first)
        except UnitError:  # "5 feet 3 kg": parts that do not add up
            return None
        terms.append(amount if source == first else f"{amount}*{factor!r}")
    return "+".join(terms), first


def _single(text: str) -> tuple[str, Any] | None:
    candidates = []  # one of a unit first: "an hour" is not the amount "a n" of "hour"
    whole = re.match(rf"^(?:({_ONE})\s+)?([a-z°][a-z° /]*)$", text.strip())
    if whole:
        candidates.append(("1", whole[2]))
    m = re.match(r"^(.*?[\d)a-z.])\s*([a-z°][a-z° /]*)$", text.strip())
    if m:
        candidates.append((m[1].strip(), m[2]))
    for amount, name in candidates:
        # the longest unit name at the end: "5 fluid ounces", not "5 fluid" + "ounces"
        words = name.split()
        for k in range(max(0, len(words) - MAX_UNIT_WORDS), len(words)):
            found = unit(" ".join(words[k:]))
            if found is None:
                continue
            head = " ".join([amount, *words[:k]]).strip()
            if re.fullmatch(rf"(?:{_ONE})?", head):
                head = "1"
            return head, found
    return None


def convert(value: float, source: Any, target: Any) -> tuple[float, Any]:
    """``value`` in ``source`` as ``target``: (magnitude, unit); ``UnitError`` if they do not
    convert."""
    ureg = registry()
    try:
        result = ureg.Quantity(value, source).to(target)
    except Exception as exc:  # DimensionalityError, OffsetUnitCalculusError
        raise UnitError(f"cannot convert {name(source, 2)} to {name(target, 2)}") from exc
    return float(result.magnitude), result.units


def rounded(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, SIGNIFICANT - 1 - math.floor(math.log10(abs(value))))


def name(u: Any, value: float) -> str:
    """A unit in words, plural unless ``value`` is 1: "kilometers", "degrees Celsius",
    "miles per hour", "square feet"."""
    text = str(u)
    plural = value != 1
    parts = text.split(" / ")
    head = _words(parts[0], plural)
    return " per ".join([head, *(_words(p, False) for p in parts[1:])])


def _words(text: str, plural: bool) -> str:
    power = ""
    if text.endswith(" ** 2"):
        power, text = "square ", text[:-5]
    elif text.endswith(" ** 3"):
        power, text = "cubic ", text[:-5]
    words = text.split("_")
    if words[0] == "degree" and len(words) > 1:  # degree_Celsius -> degrees Celsius
        return power + ("degrees " if plural else "degree ") + " ".join(words[1:])
    last = words[-1]
    if plural:
        last = _IRREGULAR.get(last) or (
            last + "es" if last.endswith(("s", "sh", "ch", "x")) else last + "s"
        )
    return power + " ".join([*words[:-1], last])


def answer(conversion: Conversion, number: Callable[[str], float]) -> str:
    """The converted amount in words; ``number`` evaluates the amount (calc's allowlist)."""
    value, target = convert(number(conversion.quantity), conversion.source, conversion.target)
    shown = rounded(value)
    return f"{format_amount(shown)} {name(target, shown)}"


def format_amount(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{SIGNIFICANT}g}"
