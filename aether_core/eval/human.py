"""Prompts written by people, as ``SkillSample``s for `aether eval skills --prompts FILE`.

The generated eval split varies templates; a file of hand-written prompts checks what a user
really types (typos, slang, long-winded requests). Each JSONL line names the skill, the prompt and
the ground truth; ``prompt_samples`` builds the tool output the way the skill's generator does
(calc's own number format, the clock's ``format_time`` at a fixed moment, search results and a
page from the generators' helpers) so the lines go through the same ``SkillRunner`` and ``score``
as generated samples. Blank lines and lines starting with ``#`` are skipped.

    {"skill": "arithmetic", "prompt": "hey can u work out 48 times 12", "expression": "48*12"}
    {"skill": "time", "prompt": "whats the time in tokyo rn", "timezone": "tokyo"}
    {"skill": "search", "prompt": "google the tallest building in europe", "query": "the tallest building in europe"}
    {"skill": "browse", "prompt": "summarise https://example.org/post-1", "url": "https://example.org/post-1"}
    {"skill": "echo", "prompt": "repeat after me: the quick brown fox", "text": "the quick brown fox"}
    {"skill": "chat", "prompt": "good morning! how's it going?"}
    {"skill": "caption", "prompt": "what's in this image?"}
    {"skill": "draw", "prompt": "paint me a big orange square", "colour": "orange", "shape": "square"}
    {"skill": "memory", "store": "remember that my dog is called Biscuit",
     "prompt": "what is my dog called?", "fact": "my dog is called Biscuit", "answer": "Biscuit"}

(the memory line is one line in a file). A line must be answerable by the agent as it is: search
queries, echo texts, URLs and time zones are copied verbatim from the prompt, an expression uses
the prompt's numbers in the prompt's order, the agent's fact extractor reads the answer from the
memory line's ``store`` prompt and its memory search finds that fact for the question. Optional fields: ``timezone`` (time; omit or null for
local time), ``background`` and ``size`` (draw: small | medium | big, else read from the prompt's
size word), ``topic`` (browse: what the page is about, else read from the URL).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..agent.agent import AgentConfig
from ..data.skills import THOUGHT_OK, SkillSample

HUMAN_PROMPTS = Path(__file__).with_name("human_prompts.jsonl")
PROMPT_SOURCES = {"human": HUMAN_PROMPTS}  # bare words `--prompts` accepts
MOMENT = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone.utc)  # "now" for every time line

REQUIRED: dict[str, tuple[str, ...]] = {
    "arithmetic": ("expression",), "time": (), "search": ("query",), "browse": ("url",),
    "echo": ("text",), "chat": (), "caption": (), "draw": ("colour", "shape"),
    "memory": ("store", "fact", "answer"),
}  # fmt: skip
OPTIONAL: dict[str, tuple[str, ...]] = {
    "time": ("timezone",), "browse": ("topic",), "draw": ("background", "size"),
}  # fmt: skip
_EXPRESSION = re.compile(r"^[0-9+\-*/() ]+$")


class PromptsError(ValueError):
    """A prompts file line is malformed; the message is one line naming ``file:line``."""


def resolve_prompts(name: str) -> Path:
    """``human`` (a bare word) -> the shipped file; anything else is a path."""
    return PROMPT_SOURCES.get(name, Path(name))


def load_prompts(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, checked object) for each prompt line; raises ``PromptsError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PromptsError(f"{path}: cannot read prompts file: {e}") from None
    out: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise PromptsError(f"{where}: not JSON: {e.msg} (column {e.colno})") from None
        if not isinstance(obj, dict):
            raise PromptsError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        try:
            check_prompt(obj)
        except ValueError as e:
            raise PromptsError(f"{where}: {e}") from None
        key = f"{obj['skill']}\n{obj.get('store', '')}\n{obj['prompt']}"
        if key in seen:
            raise PromptsError(f"{where}: duplicate prompt (first on line {seen[key]})")
        seen[key] = lineno
        out.append((lineno, obj))
    if not out:
        raise PromptsError(f"{path}: no prompts")
    return out


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def check_prompt(obj: dict[str, Any]) -> None:
    """Raise ``ValueError`` (one line) unless ``obj`` is a well-formed, answerable prompt."""
    from ..data.shapes import COLOURS, DRAW_SIZES, SHAPES
    from ..memory import extract_fact
    from ..tools.calc import evaluate
    from ..tools.clock import find_zone

    skill = obj.get("skill")
    if not isinstance(skill, str) or skill not in REQUIRED:
        raise ValueError(f"unknown skill {skill!r} (choose from {', '.join(REQUIRED)})")
    allowed = {"skill", "prompt", *REQUIRED[skill], *OPTIONAL.get(skill, ())}
    if extra := sorted(set(obj) - allowed):
        raise ValueError(f"{skill}: unknown field(s) {', '.join(map(repr, extra))}")
    for name in ("prompt", *REQUIRED[skill]):
        if not isinstance(obj.get(name), str) or not obj[name].strip():
            raise ValueError(f"{skill}: missing or empty field {name!r}")
    for name in OPTIONAL.get(skill, ()):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise ValueError(f"{skill}: field {name!r} must be a string or null")
    prompt = obj["prompt"]

    def verbatim(name: str) -> None:
        if obj[name] not in prompt:
            raise ValueError(f"{skill}: {name} {obj[name]!r} is not copied verbatim in the prompt")

    if skill == "arithmetic":
        expr = obj["expression"]
        if not _EXPRESSION.match(expr) or "**" in expr or "//" in expr:
            raise ValueError(f"bad expression {expr!r}: use digits, + - * / and parentheses")
        try:
            evaluate(expr)
        except Exception as e:  # noqa: BLE001 - CalcError or a parse error: one line either way
            raise ValueError(f"bad expression {expr!r}: {e}") from None
        if re.findall(r"\d+", expr) != re.findall(r"\d+", prompt):
            raise ValueError(f"expression {expr!r} does not use the prompt's numbers in order")
    elif skill == "time" and obj.get("timezone"):
        verbatim("timezone")
        try:
            find_zone(obj["timezone"])
        except Exception as e:  # noqa: BLE001 - TimeZoneError
            raise ValueError(f"time: {e}") from None
    elif skill in ("search", "echo"):
        verbatim("query" if skill == "search" else "text")
    elif skill == "browse":
        verbatim("url")
        if not re.match(r"^https?://[^\s/]+\.[^\s/]+", obj["url"]):
            raise ValueError(f"browse: bad url {obj['url']!r}")
    elif skill == "draw":
        said = _words(prompt.replace("grey", "gray"))
        if obj["shape"] not in SHAPES:
            raise ValueError(f"draw: unknown shape {obj['shape']!r} ({', '.join(SHAPES)})")
        for name in ("colour", "background"):
            c = obj.get(name)
            if c is not None and c not in COLOURS:
                raise ValueError(f"draw: unknown {name} {c!r} ({', '.join(COLOURS)})")
            if c is not None and c not in said:
                raise ValueError(f"draw: the prompt does not say the {name} {c!r}")
        if obj["shape"] not in said and obj["shape"] + "s" not in said:
            raise ValueError(f"draw: the prompt does not say the shape {obj['shape']!r}")
        if obj.get("background") == obj["colour"]:
            raise ValueError("draw: background and colour must differ")
        if "background" in said and not obj.get("background"):
            raise ValueError("draw: the prompt asks for a background: give 'background'")
        if obj.get("size") is not None and obj["size"] not in DRAW_SIZES:
            raise ValueError(f"draw: size must be one of {', '.join(DRAW_SIZES)}")
    elif skill == "memory":
        answer, fact = obj["answer"].lower(), obj["fact"].lower()
        if answer not in fact:
            raise ValueError(f"memory: answer {obj['answer']!r} is not in the fact")
        got = extract_fact(obj["store"])
        if got is None or answer not in got.lower():
            raise ValueError(
                f"memory: the agent reads no fact with {obj['answer']!r} from the store prompt "
                f"(it reads {got!r})"
            )
        best = _recall_score(obj["fact"], prompt)
        if best < AgentConfig.memory_min_score:
            raise ValueError(
                f"memory: the agent's memory search does not find the fact for this prompt "
                f"(score {best:.2f} < {AgentConfig.memory_min_score})"
            )


def _recall_score(fact: str, prompt: str) -> float:
    """How well the agent's memory search matches ``prompt`` to the stored ``fact``."""
    from ..memory import VectorMemory

    memory = VectorMemory(path=None)
    memory.add(fact, kind="fact")
    hits = memory.search(prompt, k=1)
    return float(hits[0][1]) if hits else 0.0


def _size(obj: dict[str, Any]) -> str:
    from ..data.skills.draw import SIZE_WORDS

    if obj.get("size"):
        return obj["size"]
    said = _words(obj["prompt"])
    return next((size for size, words in SIZE_WORDS.items() if said & set(words)), "medium")


def _topic(obj: dict[str, Any]) -> str:
    """What the page is about: ``topic``, else the last wordy part of the URL's path, else its
    host's name ("https://www.bbc.co.uk/news/uk-68123456" -> "uk")."""
    if obj.get("topic"):
        return obj["topic"]
    rest = obj["url"].split("://", 1)[1]
    host, _, path = rest.partition("/")
    for part in reversed(re.split(r"[/?#=&]", path)):
        part = re.sub(r"\.(html?|php|aspx?)$", "", part)
        words = [w for w in re.split(r"[-_+.\s]+", part) if w.isalpha()]
        if words and len("".join(words)) > 2:
            return " ".join(words).lower()
    labels = [x for x in host.split(".") if x not in ("www", "m", "blog", "en")]
    return labels[0] if labels else host


def _yours(fact: str) -> str:
    swap = {"my": "your", "i": "you", "me": "you", "am": "are", "i'm": "you're", "mine": "yours"}
    words = [swap.get(w.lower(), w) for w in fact.split()]
    return " ".join(words)


def prompt_sample(obj: dict[str, Any], rng: random.Random) -> SkillSample:
    """One checked prompt line as a ``SkillSample`` (split "human"); ``rng`` picks the random
    parts (caption pictures, search results, page text, the local time zone)."""
    from ..data.phrasing import fix_articles
    from ..data.shapes import caption, drawing_spec, random_spec
    from ..data.skills import browse, clock, search
    from ..tools.calc import evaluate
    from ..tools.clock import find_zone, format_time
    from ..tools.web_search import format_results

    skill, prompt = obj["skill"], obj["prompt"]

    def tool_sample(tool: str, args: dict, output: str, answer: str, thought: str,
                    contains: tuple[str, ...], **extra: Any) -> SkillSample:  # fmt: skip
        return SkillSample(skill, "human", prompt, "ok", "", tool, args, contains,
                           tool_output=output, thought=thought, answer_thought=THOUGHT_OK,
                           answer=answer, extra=extra)  # fmt: skip

    if skill == "arithmetic":
        expr = obj["expression"]
        result = evaluate(expr)
        return tool_sample("calc", {"expression": expr}, result, f"{expr} = {result}.",
                           "Arithmetic: use calc.", (result,), result=result)  # fmt: skip
    if skill == "time":
        typed = obj.get("timezone") or ""
        if typed:  # the tool labels a zone by its IANA name, local time by its abbreviation
            zone = str(find_zone(typed))
            moment, label, args = MOMENT.astimezone(find_zone(zone)), zone, {"timezone": typed}
            answer, thought = f"In {typed} it's {moment:%H:%M}.", f"Time in {typed}: use time."
        else:
            zone = rng.choice(clock._ZONE_CHOICES)
            moment = MOMENT.astimezone(find_zone(zone))
            label, args = moment.tzname() or "local", {}
            answer, thought = f"It's {moment:%H:%M}.", "Current time: use time."
        return tool_sample("time", args, format_time(moment, label), answer, thought,
                           (f"{moment:%H:%M}",), where="zone" if typed else "local",
                           zone=zone)  # fmt: skip
    if skill == "search":
        query = obj["query"]
        results = search._results(query, rng, "eval")
        top = results[0]
        output = format_results(" ".join(query.split()), results)
        return tool_sample("web_search", {"query": query}, output, f"Top result: {top['title']}.",
                           "Look it up: use web_search.", (top["title"],),
                           results=results)  # fmt: skip
    if skill == "browse":
        url, topic = obj["url"], _topic(obj)
        fill = {"t": topic, "T": topic[:1].upper() + topic[1:]}
        title = rng.choice(browse.PAGE_TITLES).format(**fill)
        first = rng.choice(browse.FIRST_SENTENCES).format(**fill)
        more = rng.sample(browse.MORE_SENTENCES, rng.randint(1, 2))
        output = f"Title: {title}\nURL: {url}\n\n{' '.join([first, *more])}"
        return tool_sample("browse_page", {"url": url}, output, f"Summary: {first}",
                           "Read the page: use browse_page.", (first,), title=title)  # fmt: skip
    if skill == "echo":
        text = obj["text"]
        return tool_sample("echo", {"text": text}, text, text, "Repeat it: use echo.", (text,))
    if skill == "chat":
        return SkillSample("chat", "human", prompt, "chat", thought="Small talk, no tool.",
                           answer="Hi! I'm Aether. How can I help?")  # fmt: skip
    if skill == "caption":
        spec = random_spec(rng)
        text = fix_articles(caption(spec))  # "an orange square"
        return SkillSample("caption", "human", prompt, "describe", image_spec=spec,
                           thought="Describe the image.", answer=f"It's {text}.",
                           expected_answer_contains=(spec.colour, spec.shape))  # fmt: skip
    if skill == "draw":
        size = _size(obj)
        spec = drawing_spec(obj["shape"], obj["colour"], obj.get("background"), size)
        what = f"{size + ' ' if size != 'medium' else ''}{spec.colour} {spec.shape}"
        bg = obj.get("background")
        return SkillSample("draw", "human", prompt, "background" if bg else "ok", draw_spec=spec,
                           thought=f"Draw a {what} on {bg}." if bg else f"Draw a {what}.",
                           answer=fix_articles(f"Here's a {what}."),
                           expected_answer_contains=(spec.colour, spec.shape))  # fmt: skip
    if skill == "memory":
        fact = obj["fact"]
        yours = _yours(fact)
        return SkillSample("memory", "human", prompt, "recall", thought="Answer from memory.",
                           answer=yours[:1].upper() + yours[1:] + ".",
                           expected_answer_contains=(obj["answer"],),
                           extra={"fact": fact, "store_prompt": obj["store"]})  # fmt: skip
    raise ValueError(f"unknown skill {skill!r}")


def prompt_samples(
    path: str | Path, seed: int = 0, skills: Iterable[str] | None = None
) -> list[SkillSample]:
    """Every line of a prompts file (of ``skills``, default all) as a sample; a line's random
    parts depend on the seed, its line number and its prompt only."""
    keep = set(skills) if skills is not None else None
    out = []
    for lineno, obj in load_prompts(path):
        if keep is None or obj["skill"] in keep:
            rng = random.Random(f"human/{seed}/{lineno}/{obj['prompt']}")
            out.append(prompt_sample(obj, rng))
    return out
