"""An OpenAI ``messages`` list -> Aether's dialogue: system, user (text and images), assistant
answers, earlier tool steps (assistant ``tool_calls`` and ``tool`` results). The last message is
the user's turn; what comes before is the conversation the agent continues."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import dialogue
from ..errors import AetherError
from ..segments import Message, encode
from .config import ServeConfig
from .responses import OWN_IMAGE
from .schema import ApiError, ChatMessage, ImagePart, TextPart

ImageCodes = Callable[[bytes], bytes]  # image file bytes -> VQ codes (raises on a bad image)
Fetch = Callable[[str], bytes]  # http(s) URL -> bytes, SSRF-safe


@dataclass(frozen=True)
class Prompt:
    history: list[Message]  # the conversation before the user's turn (system first when sent)
    text: str  # the user's turn
    images: list[bytes]  # its image files
    prompt_tokens: int  # byte tokens of the whole context, for usage


def image_bytes(url: str, fetch: Fetch) -> bytes:
    """The file behind an ``image_url``: a base64 ``data:image/...`` URL, or http(s) fetched."""
    if url.startswith("data:"):
        head, sep, payload = url[5:].partition(",")
        kind, *params = head.split(";")
        if not sep or "base64" not in params or not kind.startswith("image/"):
            raise ValueError("a data: URL must be data:image/<type>;base64,<data>")
        try:
            return base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the data: URL is not valid base64") from None
    if url.startswith(("http://", "https://")):
        return fetch(url)
    raise ValueError("image_url must be a data: URL or an http(s) URL")


def _text_and_images(m: ChatMessage, i: int, limits: ServeConfig) -> tuple[str, list[str]]:
    if m.content is None:
        parts: list = []
    elif isinstance(m.content, str):
        parts = [TextPart(type="text", text=m.content)]
    else:
        parts = m.content
    text = "\n".join(p.text for p in parts if isinstance(p, TextPart))
    urls = [p.image_url.url for p in parts if isinstance(p, ImagePart)]
    if len(text.encode()) > limits.max_message_bytes:
        raise ApiError(
            400,
            f"message {i} is longer than {limits.max_message_bytes} bytes",
            param=f"messages.{i}.content",
            code="message_too_long",
        )
    if urls and m.role != "user":
        raise ApiError(400, "images are only taken in user messages", param=f"messages.{i}")
    if m.role == "assistant":  # an image this server drew, sent back: the model's own image again
        urls = OWN_IMAGE.findall(text)
        text = OWN_IMAGE.sub("", text)
    return text, urls


def to_prompt(
    messages: Sequence[ChatMessage], limits: ServeConfig, image_codes: ImageCodes, fetch: Fetch
) -> Prompt:
    """Map and check the messages; images are fetched, decoded and encoded here (errors: 400)."""
    if len(messages) > limits.max_messages:
        raise ApiError(
            400,
            f"too many messages: {len(messages)} (max {limits.max_messages})",
            param="messages",
            code="too_many_messages",
        )
    if messages[-1].role != "user":
        raise ApiError(400, "the last message must be the user's", param="messages")
    parsed = [_text_and_images(m, i, limits) for i, m in enumerate(messages)]
    n_images = sum(len(urls) for _, urls in parsed)
    if n_images > limits.max_images:
        raise ApiError(
            400,
            f"too many images: {n_images} (max {limits.max_images})",
            param="messages",
            code="too_many_images",
        )
    system: list[str] = []
    history: list[Message] = []
    files: list[bytes] = []
    for i, (m, (text, urls)) in enumerate(zip(messages, parsed, strict=True)):
        try:
            files = [image_bytes(u, fetch) for u in urls]
            codes = [image_codes(f) for f in files]
        except (ValueError, AetherError) as e:
            raise ApiError(
                400, f"image in message {i}: {e}", param=f"messages.{i}.content"
            ) from None
        if m.role in ("system", "developer"):
            system.append(text)
        elif m.role == "user":
            history.append(dialogue.user_message(text, images=codes))
        elif m.role == "tool":
            history.append(dialogue.tool_message(True, text))
        elif m.tool_calls:
            for call in m.tool_calls:
                history.append(dialogue.tool_step(text, call.function.name, _args(call, i)))
        else:
            history.append(dialogue.answer_step("", text, codes[0] if codes else None))
    turn = history.pop()  # the user's turn (checked above)
    if system:
        history.insert(0, dialogue.system_message("\n".join(system)))
    context = ([] if system else [dialogue.system_message()]) + history + [turn]
    return Prompt(history, text, files, len(encode(context)))  # text, files: the last message's


def _args(call, i: int) -> dict:
    try:
        args = json.loads(call.function.arguments or "{}")
    except json.JSONDecodeError:
        args = None
    if not isinstance(args, dict):
        raise ApiError(
            400, "tool call arguments must be a JSON object", param=f"messages.{i}.tool_calls"
        )
    return args
