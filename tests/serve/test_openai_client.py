"""The official ``openai`` client against a real server over the shipped model: models,
non-streaming and streaming completions, the agent's tool steps, images in and out, auth and
errors, and concurrent turns batched on one model giving what each gives alone."""

from __future__ import annotations

import base64
import io
import threading

import pytest

from aether_core.serve.config import ServeConfig

from .conftest import start_server

openai = pytest.importorskip("openai")

KEY = "test-key-123"
ARITH = "what is 12*(3+4)?"


@pytest.fixture(scope="module")
def server(out_dir):
    yield from start_server(ServeConfig(api_key=KEY, batch=4, max_queue=4), out_dir)


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, timeout=60)


def ask(client, text: str, **kw):
    return client.chat.completions.create(
        model="aether", messages=[{"role": "user", "content": text}], **kw
    )


def streamed(client, text: str, **kw) -> tuple[str, list]:
    chunks = list(
        client.chat.completions.create(
            model="aether", messages=[{"role": "user", "content": text}], stream=True, **kw
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return content, chunks


def png_bytes(colour=(220, 30, 30)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(img).ellipse((12, 12, 52, 52), fill=colour)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_models_lists_the_served_model(client) -> None:
    ids = [m.id for m in client.models.list().data]
    assert ids == ["aether-default"]


def test_answer_with_a_tool_step(client) -> None:
    r = ask(client, ARITH)
    assert "84" in r.choices[0].message.content  # worded as the shipped model words it
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.completion_tokens > len(r.choices[0].message.content)  # thoughts, the call
    events = r.model_extra["aether"]["events"]
    call = next(e for e in events if e["type"] == "ToolCallRequested")
    assert call["tool"] == "calc" and call["args"] == {"expression": "12*(3+4)"}
    result = next(e for e in events if e["type"] == "ToolResultEvent")
    assert result["ok"] and result["output"] == "84"


def test_streaming_gives_the_same_answer_and_usage(client) -> None:
    whole = ask(client, ARITH).choices[0].message.content
    content, chunks = streamed(client, ARITH, stream_options={"include_usage": True})
    assert content == whole
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    # the agent's steps come only to clients that ask for them
    assert not any((c.model_extra or {}).get("aether") for c in chunks)
    _, with_events = streamed(client, ARITH, extra_body={"aether_events": True})
    kinds = [
        e["type"]
        for c in with_events
        for e in (c.model_extra or {}).get("aether", {}).get("events", [])
    ]
    assert "ThoughtDelta" in kinds and "ToolCallRequested" in kinds and "ToolResultEvent" in kinds


def test_stop_sequences_cut_the_answer(client) -> None:
    whole = ask(client, ARITH).choices[0].message.content  # e.g. "That's 84."
    r = ask(client, ARITH, stop=["84", "zz"])
    assert r.choices[0].message.content == whole[: whole.index("84")]
    assert r.choices[0].finish_reason == "stop"
    first = whole.split()[0]
    content, _ = streamed(client, ARITH, stop=first[1:])
    assert content == first[:1]


def test_concurrent_turns_are_batched_and_each_equals_its_own_answer(client, server) -> None:
    prompts = [ARITH, "say 'hello world' back to me", "hi there", "what is 7*8?"]
    alone = [ask(client, p).choices[0].message.content for p in prompts]
    results: dict[int, str] = {}

    def run(i: int) -> None:
        results[i] = streamed(client, prompts[i])[0]

    sched = server.agent.policy.scheduler
    steps, rows = sched.steps_run, sched.rows_stepped
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [results[i] for i in range(len(prompts))] == alone
    steps, rows = sched.steps_run - steps, sched.rows_stepped - rows
    assert rows > 1.5 * steps  # most forward passes stepped several turns at once


def image_message(url: str, text: str | None = None) -> list[dict]:
    parts = [{"type": "text", "text": text}] if text else []
    return [{"role": "user", "content": [*parts, {"type": "image_url", "image_url": {"url": url}}]}]


def test_image_in_as_data_url(client) -> None:
    url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    msg = image_message(url, "what is in this picture?")
    with_image = client.chat.completions.create(model="aether", messages=msg)
    plain = ask(client, "what is in this picture?")
    # the image is 128 VQ codes plus its markers in the prompt
    assert with_image.usage.prompt_tokens - plain.usage.prompt_tokens >= 128
    assert with_image.choices[0].message.content


def test_produced_image_comes_back_as_a_data_url(client, out_dir) -> None:
    r = ask(client, "draw a red circle")
    content = r.choices[0].message.content
    assert "![image](data:image/png;base64," in content
    data = base64.b64decode(content.split("data:image/png;base64,")[1].split(")")[0])
    assert data.startswith(b"\x89PNG")
    images = [e for e in r.model_extra["aether"]["events"] if e["type"] == "ImageProduced"]
    assert images and images[0]["path"].startswith(str(out_dir))
    # sent back, the drawing is the model's own image again (128 codes), not kilobytes of base64
    follow = client.chat.completions.create(
        model="aether",
        messages=[
            {"role": "user", "content": "draw a red circle"},
            {"role": "assistant", "content": content},
            {"role": "user", "content": "thanks"},
        ],
    )
    assert 128 < follow.usage.prompt_tokens < len(content) // 2


def test_earlier_tool_steps_map_onto_the_dialogue(client) -> None:
    # an earlier echo, not an earlier sum: the shipped model may repeat a previous sum's answer
    # ("That's 4." after 2+2 for 12*(3+4), MODEL_CARD.md), which is not what this tests
    messages = [
        {"role": "user", "content": "repeat after me: purple owls"},
        {
            "role": "assistant",
            "content": "Repeat it: use echo.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "echo", "arguments": '{"text": "purple owls"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "purple owls"},
        {"role": "assistant", "content": "purple owls"},
        {"role": "user", "content": ARITH},
    ]
    r = client.chat.completions.create(model="aether", messages=messages)
    assert "84" in r.choices[0].message.content
    assert r.usage.prompt_tokens > ask(client, ARITH).usage.prompt_tokens


def test_errors_are_openai_errors(client, server) -> None:
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert e.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(
            model="aether", messages=[{"role": "assistant", "content": "x"}]
        )
    assert "last message" in e.value.body["message"]
    refused = {
        f"{server.url}/health": "loopback|private|not allowed|blocked",  # SSRF guard
        "data:image/png;base64,@@@": "base64",
        "data:image/png;base64,aGVsbG8=": "image",  # base64 of b"hello": not a picture
    }
    for url, why in refused.items():
        with pytest.raises(openai.BadRequestError, match=why):
            client.chat.completions.create(model="aether", messages=image_message(url))


def test_the_api_key_is_required(server) -> None:
    bad = openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        bad.models.list()
    assert e.value.body["code"] == "invalid_api_key"
