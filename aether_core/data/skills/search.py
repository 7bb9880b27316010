"""Web search: the subject (or, for a question people ask, the question itself) copied as the
query; the answer quotes the top result (``web_search.format_results`` prints them as the live
tool does).
"""

from __future__ import annotations

import random

from ...dialogue import THOUGHT_ERROR, THOUGHT_OK, tool_thought
from ...tools.web_search import ACCORDING, FAILED, TOP_RESULT, format_results
from .. import lexicon as lx
from ..phrasing import held_out, norm_split, realize, vary_case
from ..questions import knowledge_question
from ..subjects import composed_subject
from . import sites
from .base import (
    ERROR_RATE,
    TRUNCATED_RATE,
    Skill,
    SkillSample,
    cut_short,
    maybe_denied,
    templates,
)

_T = templates("search")
SEARCH_TEMPLATES: tuple[tuple[str, bool], ...] = _T["templates"]  # (frame, is a command)
# Words people put right after the subject ("google X pls", "find X online"). Training prompts
# get one after a subject that ends its template, so that the query's end is learned from the
# words and not from the end of the prompt; the eval's prompts are left as their templates are.
SEARCH_TAILS: tuple[str, ...] = _T["tails"]
SNIPPETS: tuple[str, ...] = _T["snippets"]
RESULT_TITLES: tuple[str, ...] = _T["result_titles"]
TAIL_RATE = 0.3
TRAIN_PATTERN_RATE = 0.35
TRAIN_FILLER_RATE = 0.5
COMPOSED_RATE = 0.3  # training subjects composed around a rare head (data/subjects.py)
QUESTION_RATE = 0.5  # share of search prompts that are questions ("who wrote X?")
SINGLE_RESULT_RATE = 0.15  # training searches that find one result (they always found 2-3)


def _with_tail(template: str, rng: random.Random) -> str:
    """``template`` with a tail after ``{q}`` where only punctuation followed it."""
    head, sep, rest = template.partition("{q}")
    if not sep or rest.strip(" ?!.") or "{q}" in rest:
        return template
    return head + sep + rng.choice(SEARCH_TAILS) + rest


def _subject(rng: random.Random, split: str) -> str:
    if split == "train" and rng.random() < COMPOSED_RATE:  # no extra draw for eval
        return composed_subject(rng, split)
    patterns = lx.SEARCH_PATTERNS
    if split == "train" and rng.random() < TRAIN_PATTERN_RATE:  # no extra draw for eval
        patterns = lx.TRAIN_SEARCH_PATTERNS
    pattern, source = rng.choice(patterns)
    if source == "FOODS+CITY":
        return pattern.format(a=_filler("FOODS", rng, split), b=_filler("WORLD_CITIES", rng, split))
    return pattern.format(a=_filler(source, rng, split))


def _filler(source: str, rng: random.Random, split: str) -> str:
    """A subject's filler from lexicon list ``source``; in training, often one of its
    training-only extras (``lx.TRAIN_FILLERS``), so that the query is copied, not recognized."""
    extra = lx.TRAIN_FILLERS.get(source, ())
    if split == "train" and extra and rng.random() < TRAIN_FILLER_RATE:  # no extra draw for eval
        return rng.choice(extra)
    return rng.choice(held_out(getattr(lx, source), split))


def _results(subject: str, rng: random.Random, split: str) -> list[dict[str, str]]:
    plain = subject.strip().rstrip("?").strip()
    s = plain[:1].lower() + plain[1:] if not plain[:2].isupper() else plain
    cap = plain[:1].upper() + plain[1:]
    out = []
    for i in range(3 if rng.random() < 0.3 else 2):
        host = "en.wikipedia.org" if i == 0 and rng.random() < 0.3 else sites.host(rng, split)
        fill = {
            "s": s,
            "S": cap,
            "year": str(rng.randint(2019, 2026)),
            "n": str(rng.randint(3, 25)),
            "site": host.removeprefix("www.").split(".")[0],
        }
        if host == "en.wikipedia.org":
            title = f"{cap} - Wikipedia"
            url = f"https://en.wikipedia.org/wiki/{cap.replace(' ', '_')}"
        else:
            title = rng.choice(RESULT_TITLES[1:]).format(**fill)
            slug = "-".join(sites.slug(s).split("-")[:4])
            url = f"https://{host}/{rng.choice(('', 'guide/', 'news/', 'wiki/', 'a/'))}{slug}"
        out.append({"title": title, "href": url, "body": rng.choice(SNIPPETS).format(**fill)})
    return out


def search(rng: random.Random, split: str) -> SkillSample:
    """web_search with the subject copied verbatim; the answer quotes the top result."""
    split = norm_split(split)
    if rng.random() < QUESTION_RATE:  # a question people ask: the question is the query
        prompt, subject, about, template = knowledge_question(rng, split)
        variant = "question"
    else:
        template, imperative = rng.choice(held_out(SEARCH_TEMPLATES, split))
        if split == "train" and rng.random() < TAIL_RATE:
            template = _with_tail(template, rng)
        subject = about = vary_case(_subject(rng, split), rng, odd=0.03)
        prompt = realize(template, {"q": subject}, rng, split, verbatim=("q",),
                         imperative=imperative)  # fmt: skip
        variant = "ok"
    args = {"query": subject}
    thought = tool_thought("Look it up", "web_search")
    if rng.random() < ERROR_RATE:
        why = rng.choice(("TimeoutException: timed out", "RatelimitException: 202 Ratelimit",
                          "ConnectError: network is unreachable"))  # fmt: skip
        return SkillSample(
            "search",
            split,
            prompt,
            "error",
            template,
            "web_search",
            args,
            ("failed",),
            tool_ok=False,
            tool_output=f"SearchError: search failed: {why}",
            thought=thought,
            answer_thought=THOUGHT_ERROR,
            answer=f"{FAILED} Please try again later.",
        )
    results = _results(about, rng, split)
    if split == "train" and rng.random() < SINGLE_RESULT_RATE:  # a backend may find only one
        results = results[:1]
    output = format_results(" ".join(subject.split()), results)
    if split == "train" and rng.random() < TRUNCATED_RATE:  # the top result's line stays whole
        output = cut_short(output, output.find("\n") if "\n" in output else len(output), rng)
    top = results[0]
    answer = rng.choice((f"{TOP_RESULT}{top['title']}.", f"{ACCORDING}{top['title']}: {top['body']}",
                         f"{top['title']}: {top['body']}"))  # fmt: skip
    if top["body"] not in output:  # cut short before the snippet: quote only what is there
        answer = f"{TOP_RESULT}{top['title']}."
    sample = SkillSample(
        "search",
        split,
        prompt,
        variant,
        template,
        "web_search",
        args,
        (top["title"],),
        tool_output=output,
        thought=thought,
        answer_thought=THOUGHT_OK,
        answer=answer,
        extra={"results": results},
    )
    return maybe_denied(sample, rng)


SKILL = Skill("search", search, tool="web_search")
