"""Prompts written by people, as ``SkillSample``s for `aether eval skills --prompts FILE`.

The generated eval split varies templates; a file of hand-written prompts checks what a user
really types (typos, slang, long-winded requests). Each JSONL line names the skill, the prompt and
the ground truth; ``prompt_samples`` builds the tool outputs (``human_samples``: calc's own
answer, the clock's ``describe`` at a fixed moment, search results and a page from the
generators' helpers) so the lines go through the same ``SkillRunner`` and judge as generated
samples. Blank lines and lines starting with ``#`` are skipped.

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

    {"skill": "arithmetic", "prompt": "hey what's 18 percent of 250", "phrase": "18 percent of 250",
     "result": "45"}
    {"skill": "browse", "prompt": "open wikipedia.org", "url": "wikipedia.org"}
    {"skill": "multi", "prompt": "what's 15*4 and what time is it in Madrid?", "calls": [
     {"tool": "calc", "phrase": "15*4", "result": "60"}, {"tool": "time", "timezone": "Madrid"}]}
    {"skill": "photo", "prompt": "what's in this photo?"}

(the memory, arithmetic and multi lines are one line each in a file). An arithmetic line gives
either an ``expression`` written from the prompt's numbers or the ``phrase`` of the prompt calc
is handed as it stands, with the ``result`` calc must give for it (the tool reads the phrase: the
line checks that). ``multi`` asks for two things in one message: each of its ``calls`` is a tool
with the fields its skill's line would have. ``photo`` attaches a photograph-like picture (no
drawn shape): an honest answer says what little it can. ``split`` (``dev`` | ``heldout``)
puts a line in one half: ``dev`` is the half to read failures from while designing data and
decoding rules, ``heldout`` the half that is only ever scored.

A line must be answerable by the agent as it is: search queries, echo texts, URLs, phrases and
places are copied verbatim from the prompt, an expression uses the prompt's numbers in the
prompt's order, the agent's fact extractor reads the answer from the memory line's ``store``
prompt and its memory search finds that fact for the question. Optional fields: ``timezone``
(time; omit or null for local time), ``background`` and ``size`` (draw: small | medium | big, else read from the prompt's
size word), ``topic`` (browse: what the page is about, else read from the URL).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..agent.agent import AgentConfig
from ..data.skills import SkillSample
from .human_spec import CALL_SKILLS, words

HUMAN_PROMPTS = Path(__file__).with_name("human_prompts.jsonl")
PROMPT_SOURCES = {"human": HUMAN_PROMPTS}  # bare words `--prompts` accepts

REQUIRED: dict[str, tuple[str, ...]] = {
    "arithmetic": (), "time": (), "search": ("query",), "browse": ("url",),
    "echo": ("text",), "chat": (), "caption": (), "draw": ("colour", "shape"),
    "memory": ("store", "fact", "answer"), "multi": (), "photo": (),
}  # fmt: skip
OPTIONAL: dict[str, tuple[str, ...]] = {
    "arithmetic": ("expression", "phrase", "result"), "time": ("timezone",),
    "browse": ("topic",), "draw": ("background", "size"),
}  # fmt: skip
SPLITS = ("dev", "heldout")  # the halves of a prompts file; "all" is both (and unsplit lines)
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


def check_prompt(obj: dict[str, Any]) -> None:
    """Raise ``ValueError`` (one line) unless ``obj`` is a well-formed, answerable prompt."""
    from ..data.shapes import COLOURS, DRAW_SIZES, SHAPES
    from ..memory import extract_fact
    from ..tools.browse import page_url
    from ..tools.calc import evaluate
    from ..tools.clock import find_zone

    skill = obj.get("skill")
    if not isinstance(skill, str) or skill not in REQUIRED:
        raise ValueError(f"unknown skill {skill!r} (choose from {', '.join(REQUIRED)})")
    allowed = {"skill", "prompt", "split", *REQUIRED[skill], *OPTIONAL.get(skill, ())}
    allowed |= {"calls"} if skill == "multi" else set()
    if extra := sorted(set(obj) - allowed):
        raise ValueError(f"{skill}: unknown field(s) {', '.join(map(repr, extra))}")
    for name in ("prompt", *REQUIRED[skill]):
        if not isinstance(obj.get(name), str) or not obj[name].strip():
            raise ValueError(f"{skill}: missing or empty field {name!r}")
    for name in OPTIONAL.get(skill, ()):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise ValueError(f"{skill}: field {name!r} must be a string or null")
    if obj.get("split") is not None and obj["split"] not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {obj['split']!r}")
    prompt = obj["prompt"]
    if skill == "multi":
        calls = obj.get("calls")
        if not isinstance(calls, list) or len(calls) < 2:
            raise ValueError("multi: 'calls' must list two or more tool calls")
        for call in calls:
            if not isinstance(call, dict) or call.get("tool") not in CALL_SKILLS:
                raise ValueError(f"multi: each call needs a tool ({', '.join(CALL_SKILLS)})")
            one = {k: v for k, v in call.items() if k != "tool"}
            check_prompt({"skill": CALL_SKILLS[call["tool"]], "prompt": prompt, **one})
        return

    def verbatim(name: str) -> None:
        if obj[name] not in prompt:
            raise ValueError(f"{skill}: {name} {obj[name]!r} is not copied verbatim in the prompt")

    if skill == "arithmetic" and obj.get("phrase") is not None:
        verbatim("phrase")
        try:
            got = evaluate(obj["phrase"])
        except Exception as e:  # noqa: BLE001 - CalcError: one line
            raise ValueError(f"calc cannot read phrase {obj['phrase']!r}: {e}") from None
        if got != obj.get("result"):
            raise ValueError(f"calc reads {obj['phrase']!r} as {got!r}, not {obj.get('result')!r}")
    elif skill == "arithmetic":
        expr = obj.get("expression")
        if not isinstance(expr, str):
            raise ValueError("arithmetic: give an 'expression', or a 'phrase' and its 'result'")
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
        if not re.match(r"^https?://[^\s/]+\.[^\s/]+", page_url(obj["url"])):
            raise ValueError(f"browse: bad url {obj['url']!r}")
    elif skill == "draw":
        said = words(prompt.replace("grey", "gray"))
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


def prompt_samples(
    path: str | Path, seed: int = 0, skills: Iterable[str] | None = None, split: str = "all"
) -> list[SkillSample]:
    """Every line of a prompts file (of ``skills``, default all; of the half ``split``: dev,
    heldout or all) as a sample; a line's random parts depend on the seed, its line number and
    its prompt only. A sample's ``extra["half"]`` is its line's split."""
    from .human_samples import prompt_sample

    if split not in ("all", *SPLITS):
        raise PromptsError(f"unknown split {split!r} (choose from all, {', '.join(SPLITS)})")
    keep = set(skills) if skills is not None else None
    out = []
    for lineno, obj in load_prompts(path):
        if (keep is None or obj["skill"] in keep) and split in ("all", obj.get("split")):
            rng = random.Random(f"human/{seed}/{lineno}/{obj['prompt']}")
            sample = prompt_sample(obj, rng)
            sample.extra["half"] = obj.get("split")
            out.append(sample)
    return out
