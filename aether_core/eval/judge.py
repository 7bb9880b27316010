"""Judging one transcript of ``aether eval skills``: was the call right, and is the answer right?

Two verdicts per row, reported side by side:

- **call**: the step a skill needs was taken as it should be: the right tool with arguments that
  mean the right thing (a calc expression with the right value, a place in the same zone, the
  query, the URL, the text), or no tool where none is wanted, or a picture where one is drawn.
- **end to end** (what ``score`` returns): the answer the user reads carries what they asked for:
  the calc result, the HH:MM and the place, the top result's title, the page's first sentence,
  the echoed text, the recalled fact, the shape drawn or described. calc and echo run for real in
  the evaluation and the clock runs at the sample's moment, so a wrong call gives a wrong answer
  by itself; search and browse are replayed (no network), and a replay answers any call the same,
  so for them the call must be right as well.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ..data.skills import SkillSample

# an answer that says the call failed ("Sorry, I couldn't open that page: <the page>") is wrong
# after a good result, whatever it quotes
APOLOGY = re.compile(r"\b(sorry|couldn't|could not|failed)\b", re.IGNORECASE)
HEDGES = ("only recognize", "only recognise", "simple shapes", "not sure", "can't tell",
          "cannot tell", "can't say", "hard to tell", "hard to say", "photo", "not certain",
          "don't know", "unsure", "no idea")  # fmt: skip


def norm(s: str) -> str:
    return " ".join(s.lower().split())


def has_number(answer: str, number: str) -> bool:
    """``number`` stands in ``answer`` as a number of its own ("12" in "it's 12.", not in "128"
    or "1.12"), or rounded to two or more decimals ("8.67" for "8.66666666667")."""
    text = answer.replace(",", "")
    if re.search(rf"(?<![\d.]){re.escape(number)}(?![\d]|\.\d)", text):
        return True
    try:
        value = float(number)
    except ValueError:
        return False
    for match in re.finditer(r"(?<![\d.])(-?\d+\.(\d{2,}))(?![\d]|\.\d)", text):
        places = len(match[2])
        if places < len(number.partition(".")[2]) and round(value, places) == float(match[1]):
            return True
    return False


def same_zone(got: str, want: str) -> bool:
    """Both empty (local time), or both resolve (as the time tool resolves places) to zones with
    the same UTC offsets across a year: "Tokyo" and "Asia/Tokyo" are the same."""
    from datetime import datetime

    from ..tools.clock import TimeZoneError, find_zone

    if not got.strip() or not want.strip():
        return not got.strip() and not want.strip()
    try:
        a, b = find_zone(got), find_zone(want)
    except TimeZoneError:
        return False
    moments = [datetime(2026, m, 15, 12, tzinfo=UTC) for m in (1, 4, 7, 10)]
    return all(t.astimezone(a).utcoffset() == t.astimezone(b).utcoffset() for t in moments)


def names_shape(answer: str, spec: Any) -> bool:
    """The answer names exactly the shape and its colour (a mention of the background aside)."""
    from ..data.shapes import COLOURS, SHAPES

    text = re.sub(
        r"\b(?:on|against|over|with|in front of)\s+(?:a|an|the)?\s*\w+\s+background", " ", answer
    )
    words = set(re.findall(r"[a-z]+", text.replace("grey", "gray")))
    return words & set(COLOURS) == {spec.colour} and words & set(SHAPES) == {spec.shape}


def honest_about_photo(answer: str) -> bool:
    """A photograph is not a drawn shape: the answer names no shape as what it shows, or says
    it cannot tell ("I can only recognize simple shapes", "not sure")."""
    from ..data.shapes import SHAPES

    text = norm(answer)
    if not text:
        return False
    return any(h in text for h in HEDGES) or not set(re.findall(r"[a-z]+", text)) & set(SHAPES)


def _query_ok(sample: SkillSample, got: str, want: str) -> bool:
    """Generated prompts: the query exactly. Written ones: a query that holds the subject the
    line names and is copied from the message ("the mona lisa", "who painted the mona lisa" for
    "mona lisa"): a search engine reads both the same."""
    got, want = norm(got), norm(want)
    if sample.split != "human":
        return got == want
    return bool(got) and want in got and got in norm(sample.prompt)


def _url_ok(got: str, want: str) -> bool:
    from ..tools.browse import page_url

    return page_url(str(got)) == page_url(str(want))


def _calls(sample: SkillSample) -> list[dict[str, Any]]:
    """The calls a sample expects: its ``extra["calls"]`` (written prompts), else the one
    generated call with what its answer must carry."""
    if "calls" in sample.extra:
        return sample.extra["calls"]
    if not sample.expected_tool:
        return []
    call: dict[str, Any] = {"tool": sample.expected_tool, "args": sample.expected_args or {}}
    if sample.expected_tool == "calc":
        call["result"] = sample.extra.get("result", "")
    if sample.expected_tool == "web_search":
        call["results"] = sample.extra.get("results", [])
    return [call]


def call_ok(sample: SkillSample, want: dict[str, Any], got: tuple[str, dict]) -> bool:
    """``got`` (tool, args) is the call ``want`` describes."""
    from ..tools.calc import evaluate

    tool, args = got
    if tool != want["tool"]:
        return False
    expected = want["args"]
    if tool == "calc":
        try:
            got_value = evaluate(str(args.get("expression", ""))).split()
        except Exception:  # noqa: BLE001 - a wrong expression is just a miss
            return False
        # the number is what the call must get right: "12*60*60" -> "43200" and "seconds in 12
        # hours" -> "43200 seconds" are the same call
        return got_value[:1] == str(want["result"]).split()[:1]
    if tool == "time":
        return same_zone(str(args.get("timezone", "") or ""), expected.get("timezone", ""))
    if tool == "web_search":
        return _query_ok(sample, str(args.get("query", "")), expected.get("query", ""))
    if tool == "browse_page":
        return _url_ok(args.get("url", ""), expected.get("url", ""))
    if tool == "echo":
        return args.get("text") == expected.get("text")
    return args == expected


def _answered(sample: SkillSample, want: dict[str, Any], answer: str, calls: list) -> bool:
    """The answer carries what ``want`` (one expected call) should tell the user."""
    tool = want["tool"]
    if tool == "calc":
        return has_number(answer, str(want.get("want") or want["result"]).split()[0])
    if tool == "time":
        said = [c for c in sample.expected_answer_contains if c]
        hhmm = want.get("want")
        if hhmm and "calls" in sample.extra:
            said = [hhmm]
        places = [norm(p) for p in want.get("place", _places(sample))]
        return all(_says(answer, c) for c in said) and (
            not places or any(p and p in norm(answer) for p in places)
        )
    right = any(call_ok(sample, want, c) for c in calls)  # a replay answers any call alike
    right = right and not (sample.tool_ok and APOLOGY.search(answer))  # a good page read as failed
    if tool == "web_search":
        results = want.get("results") or sample.extra.get("results", [])
        return right and any(
            norm(r["title"]) in norm(answer) or r["href"] in answer for r in results
        )
    if tool == "echo":  # the text, not more: "after me please — the fox" for "the fox" is wrong
        return right and want["args"].get("text", "") in answer
    if tool == "browse_page":
        first = want.get("want") or (sample.expected_answer_contains or ("",))[0]
        return right and norm(first) in norm(answer)
    return right


def _says(answer: str, what: str) -> bool:
    """``what`` is in the answer; a date, written either way ("2026-03-14" or "14 March 2026",
    as the clock says it), also counts in the other forms people write: "March 14", "14 March"."""
    text = norm(answer)
    if norm(what) in text:
        return True
    for form in ("%Y-%m-%d", "%d %B %Y"):
        try:
            day = datetime.strptime(what, form)
            break
        except ValueError:
            continue
    else:
        return False
    spelled = (
        f"{day:%Y-%m-%d}",
        f"{day.day} {day:%B %Y}",
        f"{day:%B} {day.day}",
        f"{day.day} {day:%B}",
    )
    return any(norm(s) in text for s in spelled)


def _places(sample: SkillSample) -> list[str]:
    """Words that name a generated time sample's place: what the user typed, and the city and
    country the tool said ("… in Tokyo, Japan.")."""
    typed = (sample.expected_args or {}).get("timezone", "")
    if not typed:
        return []
    said = re.search(r" in (.+)\.$", sample.tool_output or "")
    return [typed, *(said[1].split(", ") if said else ())]


def score_calls(sample: SkillSample, t: Any) -> dict[str, bool]:
    """Call accuracy per row: the right tool with the right arguments (every one of a
    ``multi`` line's, in any order), no tool where none is wanted, a picture for a drawing."""
    skill = sample.skill
    if skill == "draw":
        drew = bool(t.images) and not t.calls
        return {"draw_colour": drew, "draw_shape": drew}
    wants = _calls(sample)
    if not wants:  # chat, caption, photo, memory: answered without a tool
        return {skill: not t.calls}
    if skill == "multi":
        return {skill: all(any(call_ok(sample, w, c) for c in t.calls) for w in wants)}
    return {skill: bool(t.calls) and call_ok(sample, wants[0], t.calls[0])}


def score(sample: SkillSample, t: Any) -> dict[str, bool]:
    """End-to-end accuracy per row (draw gives two: colour and shape): the answer the user
    reads is right."""
    skill, answer = sample.skill, t.answer
    if skill == "draw":
        from ..data.shapes import analyze_shape_image

        if not t.images:
            return {"draw_colour": False, "draw_shape": False}
        a = analyze_shape_image(t.images[0])
        return {
            "draw_colour": a.colour == sample.draw_spec.colour,
            "draw_shape": a.shape == sample.draw_spec.shape,
        }
    if skill == "chat":
        return {"chat": not t.calls and bool(norm(answer))}
    if skill == "caption":
        return {"caption": not t.calls and names_shape(norm(answer), sample.image_spec)}
    if skill == "photo":
        return {"photo": not t.calls and honest_about_photo(answer)}
    if skill == "memory":
        return {"memory": all(norm(c) in norm(answer) for c in sample.expected_answer_contains)}
    wants = _calls(sample)
    if skill == "arithmetic" and "calls" not in sample.extra:
        wants = [{**wants[0], "want": sample.extra.get("result", "")}]
    if skill == "time" and "calls" not in sample.extra and wants:
        wants = [{**wants[0], "place": _places(sample)}]
    if not wants:  # a local-time sample of the generators: no args, the time said
        return {skill: all(_says(answer, c) for c in sample.expected_answer_contains)}
    return {skill: all(_answered(sample, w, answer, t.calls) for w in wants)}
