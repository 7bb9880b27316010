"""A checked written-prompt line (``human.load_prompts``) as a ``SkillSample``.

Tool outputs are what the tools themselves say: calc evaluates the line's phrase or expression,
the clock describes ``human_spec.MOMENT`` in the line's place, echo repeats; search results and pages
come from the generators' helpers. ``extra["calls"]`` lists each expected call with its output
and the piece of it the answer must carry to the user (``want``), so ``skills.score`` judges the
answer the user reads, and a ``multi`` line (two requests in one message) lists two.
"""

from __future__ import annotations

import random
import re
from typing import Any

from ..data.skills import SkillSample
from ..dialogue import THOUGHT_DESCRIBE, THOUGHT_OK, THOUGHT_RECALL, draw_thought, tool_thought
from .human_spec import CALL_SKILLS, MOMENT, words


def _size(obj: dict[str, Any]) -> str:
    from ..data.skills.draw import SIZE_WORDS

    if obj.get("size"):
        return obj["size"]
    said = words(obj["prompt"])
    return next((size for size, words in SIZE_WORDS.items() if said & set(words)), "medium")


def _topic(obj: dict[str, Any]) -> str:
    """What the page is about: ``topic``, else the last wordy part of the URL's path, else its
    host's name ("https://www.bbc.co.uk/news/uk-68123456" -> "uk")."""
    from ..tools.browse import page_url

    if obj.get("topic"):
        return obj["topic"]
    rest = page_url(obj["url"]).split("://", 1)[1]
    host, _, path = rest.partition("/")
    for part in reversed(re.split(r"[/?#=&]", path)):
        part = re.sub(r"\.(html?|php|aspx?)$", "", part)
        words = [w for w in re.split(r"[-_+.\s]+", part) if w.isalpha()]
        if words and len("".join(words)) > 2:
            return " ".join(words).lower()
    labels = [x for x in host.split(".") if x not in ("www", "m", "blog", "en", "news")]
    return labels[0] if labels else host


def _yours(fact: str) -> str:
    swap = {"my": "your", "i": "you", "me": "you", "am": "are", "i'm": "you're", "mine": "yours"}
    words = [swap.get(w.lower(), w) for w in fact.split()]
    return " ".join(words)


def tool_call(obj: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The call a line of a tool-using skill expects: {tool, args, output, want, answer, ...}.
    ``want`` is what the answer must carry (the calc result's number, the HH:MM, the top
    result's title, the echoed text, the page's first sentence)."""
    from ..data.skills import browse, clock, search
    from ..tools.browse import page_url
    from ..tools.calc import evaluate
    from ..tools.clock import describe, find_place, find_zone, say_time
    from ..tools.web_search import format_results

    skill = obj["skill"]
    if skill == "arithmetic":
        expr = obj.get("phrase") or obj["expression"]
        result = evaluate(expr)
        number = result.split()[0]
        return {"tool": "calc", "args": {"expression": expr}, "output": result, "want": number,
                "answer": f"That's {result}.", "result": result}  # fmt: skip
    if skill == "time":
        typed = obj.get("timezone") or ""
        if typed:  # the real tool at a fixed moment: a wrong place gets a wrong time
            place = find_place(typed)
            moment = MOMENT.astimezone(find_zone(place.zone))
            output = describe(MOMENT, typed)
            return {"tool": "time", "args": {"timezone": typed}, "output": output,
                    "want": f"{moment:%H:%M}", "answer": output, "zone": place.zone,
                    "place": [typed, *place.label.split(", ")], "now": MOMENT}  # fmt: skip
        zone = rng.choice(clock._ZONE_CHOICES)
        moment = MOMENT.astimezone(find_zone(zone))
        output = say_time(moment, None)
        return {"tool": "time", "args": {}, "output": output, "want": f"{moment:%H:%M}",
                "answer": output, "zone": zone, "place": []}  # fmt: skip
    if skill == "search":
        query = obj["query"]
        results = search._results(query, rng, "eval")
        output = format_results(" ".join(query.split()), results)
        title = results[0]["title"]
        return {"tool": "web_search", "args": {"query": query}, "output": output, "want": title,
                "answer": f"Top result: {title}.", "results": results}  # fmt: skip
    if skill == "browse":
        url, topic = page_url(obj["url"]), _topic(obj)
        fill = {"t": topic, "T": topic[:1].upper() + topic[1:]}
        title = rng.choice(browse.PAGE_TITLES).format(**fill)
        first = rng.choice(browse.FIRST_SENTENCES).format(**fill)
        more = rng.sample(browse.MORE_SENTENCES, rng.randint(1, 2))
        output = f"Title: {title}\nURL: {url}\n\n{' '.join([first, *more])}"
        return {"tool": "browse_page", "args": {"url": obj["url"]}, "output": output,
                "want": first, "answer": f"Summary: {first}", "title": title}  # fmt: skip
    if skill == "echo":
        text = obj["text"]
        return {"tool": "echo", "args": {"text": text}, "output": text, "want": text,
                "answer": text}  # fmt: skip
    raise ValueError(f"{skill} lines call no tool")


_THOUGHTS = {tool: tool_thought(need, tool) for tool, need in (
    ("calc", "Arithmetic"), ("time", "The time"), ("web_search", "Look it up"),
    ("browse_page", "Read the page"), ("echo", "Repeat it"))}  # fmt: skip


def prompt_sample(obj: dict[str, Any], rng: random.Random) -> SkillSample:
    """One checked prompt line as a ``SkillSample`` (split "human"); ``rng`` picks the random
    parts (caption pictures, search results, page text, the local time zone)."""
    from ..data.phrasing import fix_articles
    from ..data.shapes import caption, drawing_spec, random_spec

    skill, prompt = obj["skill"], obj["prompt"]
    if skill in ("arithmetic", "time", "search", "browse", "echo") or skill == "multi":
        one = [{"skill": skill, **obj}] if skill != "multi" else [
            {"skill": CALL_SKILLS[c["tool"]], "prompt": prompt, **c} for c in obj["calls"]
        ]  # fmt: skip
        calls = [tool_call(c, rng) for c in one]
        first = calls[0]
        extra = {k: v for k, v in first.items() if k not in ("tool", "args", "output", "answer")}
        return SkillSample(
            skill, "human", prompt, "ok", "", first["tool"], first["args"],
            tuple(c["want"] for c in calls), tool_output=first["output"],
            thought=_THOUGHTS[first["tool"]], answer_thought=THOUGHT_OK,
            answer=" ".join(c["answer"] for c in calls), extra={**extra, "calls": calls},
        )  # fmt: skip
    if skill == "chat":
        return SkillSample("chat", "human", prompt, "chat", thought="Small talk, no tool.",
                           answer="Hi! I'm Aether. How can I help?")  # fmt: skip
    if skill == "caption":
        spec = random_spec(rng)
        text = fix_articles(caption(spec))  # "an orange square"
        return SkillSample("caption", "human", prompt, "describe", image_spec=spec,
                           thought=THOUGHT_DESCRIBE, answer=f"It's {text}.",
                           expected_answer_contains=(spec.colour, spec.shape))  # fmt: skip
    if skill == "photo":
        return SkillSample("photo", "human", prompt, "photo", thought=THOUGHT_DESCRIBE,
                           answer="It looks like a photo; I can only recognize simple shapes.",
                           extra={"photo_seed": rng.randrange(2**31)})  # fmt: skip
    if skill == "draw":
        size = _size(obj)
        spec = drawing_spec(obj["shape"], obj["colour"], obj.get("background"), size)
        what = f"{size + ' ' if size != 'medium' else ''}{spec.colour} {spec.shape}"
        bg = obj.get("background")
        return SkillSample("draw", "human", prompt, "background" if bg else "ok", draw_spec=spec,
                           thought=draw_thought(spec.shape, spec.colour, bg, size),
                           answer=fix_articles(f"Here's a {what}."),
                           expected_answer_contains=(spec.colour, spec.shape))  # fmt: skip
    if skill == "memory":
        fact = obj["fact"]
        yours = _yours(fact)
        return SkillSample("memory", "human", prompt, "recall", thought=THOUGHT_RECALL,
                           answer=yours[:1].upper() + yours[1:] + ".",
                           expected_answer_contains=(obj["answer"],),
                           extra={"fact": fact, "store_prompt": obj["store"]})  # fmt: skip
    raise ValueError(f"unknown skill {skill!r}")
