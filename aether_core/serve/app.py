"""The HTTP face: ``POST /v1/chat/completions`` (JSON or SSE), ``GET /v1/models``,
``GET /health``. Every failure is an OpenAI-style error object; none carries a traceback."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException

from ..agent.agent import AetherAgent
from ..agent.events import Done, Event
from ..agent.media import fetch_image
from .config import ServeConfig
from .convert import Prompt, to_prompt
from .responses import (
    DONE,
    ChunkWriter,
    Completion,
    StopText,
    event_object,
    is_step_event,
    merge_deltas,
    merge_thoughts,
    sse,
    usage,
)
from .schema import ApiError, ChatRequest, parse_request, stop_sequences
from .turns import Gate, Turn

log = logging.getLogger("aether.serve")
DISCONNECT_POLL_S = 0.25  # how often a non-streaming request checks that its client is still there


def create_app(agent: AetherAgent, config: ServeConfig, model_name: str) -> FastAPI:
    """The app over ``agent`` (its policy, tools and approval are shared by every request; each
    request gets a fork with its own conversation)."""
    app = FastAPI(title="Aether", docs_url=None, redoc_url=None, openapi_url=None)
    gate = Gate(config)
    created = int(time.time())
    names = {model_name, "aether"}

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, e: ApiError) -> JSONResponse:
        return JSONResponse(e.body(), status_code=e.status, headers=e.headers)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, e: HTTPException) -> JSONResponse:
        err = ApiError(
            e.status_code, str(e.detail), code="not_found" if e.status_code == 404 else None
        )
        return JSONResponse(err.body(), status_code=e.status_code, headers=e.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, e: RequestValidationError) -> JSONResponse:
        return JSONResponse(ApiError(400, "invalid request").body(), status_code=400)

    @app.exception_handler(Exception)
    async def _internal(_: Request, e: Exception) -> JSONResponse:
        log.exception("unhandled error")
        err = ApiError(500, "internal server error", type="server_error")
        return JSONResponse(err.body(), status_code=500)

    def authorize(request: Request) -> None:
        if config.api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), config.api_key.encode()
        ):
            raise ApiError(
                401,
                "missing or incorrect API key (send Authorization: Bearer <key>)",
                code="invalid_api_key",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "model": model_name,
            "turns": gate.inside,
            "completed": gate.completed,
            "cancelled": gate.cancelled,
        }

    @app.get("/v1/models")
    async def models(request: Request) -> dict[str, Any]:
        authorize(request)
        return {
            "object": "list",
            "data": [
                {"id": model_name, "object": "model", "created": created, "owned_by": "aether"}
            ],
        }

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        authorize(request)
        req = parse_request(await read_json(request, config.max_request_bytes))
        if req.model not in names:
            raise ApiError(
                404,
                f"model {req.model!r} does not exist (this server has {model_name!r})",
                param="model",
                code="model_not_found",
            )
        turn_agent = agent.fork(config=turn_config(agent, req, config))
        gate.enter()
        try:
            turn = Turn(
                turn_agent,
                lambda: to_prompt(
                    req.messages,
                    config,
                    turn_agent.image_codes,
                    lambda url: fetch_image(url, agent.net_policy),
                ),
                gate,
                time.monotonic() + config.timeout_s,
            )
        except BaseException:
            gate.leave()
            raise
        turn.start()
        kind, value = await turn.get()
        if kind == "error":
            turn.cancel()
            raise value
        prompt: Prompt = value
        if req.stream:
            return StreamingResponse(
                stream(turn, req, prompt, model_name),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        return await collect(turn, request, req, prompt, model_name)

    return app


def turn_config(agent: AetherAgent, req: ChatRequest, config: ServeConfig) -> Any:
    """The agent config of one request: the server's, with the request's sampling and length."""
    asked = req.max_completion_tokens or req.max_tokens or config.max_tokens
    sampling = agent.config.sampling.with_overrides(
        temperature=req.temperature, top_p=req.top_p, seed=req.seed
    )
    return replace(agent.config, max_answer_bytes=min(asked, config.max_tokens), sampling=sampling)


async def read_json(request: Request, limit: int) -> Any:
    """The body as JSON, refused past ``limit`` bytes (413) before it is all read."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise too_large(limit)
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ApiError(400, f"the body is not valid JSON: {e}", code="invalid_json") from None


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"request body over {limit} bytes", code="request_too_large")


async def collect(
    turn: Turn, request: Request, req: ChatRequest, prompt: Prompt, model: str
) -> Response:
    """Run the turn to its end for a JSON response; a client that leaves cancels it, and so
    does a stop sequence in the answer."""
    completion = Completion(model, prompt.prompt_tokens, stop_sequences(req))
    while True:
        getter = asyncio.ensure_future(turn.get())
        while not getter.done():
            await asyncio.wait({getter}, timeout=DISCONNECT_POLL_S)
            if not getter.done() and await request.is_disconnected():
                getter.cancel()
                turn.cancel()
                return Response(status_code=499)
        kind, value = getter.result()
        if kind == "error":
            raise value
        if kind == "end":
            return JSONResponse(completion.body())
        if completion.add(value):
            turn.cancel()


async def stream(turn: Turn, req: ChatRequest, prompt: Prompt, model: str) -> AsyncIterator[bytes]:
    """SSE chunks as the turn produces them; cancelled (a disconnect) it cancels the turn."""
    out = ChunkWriter(model)
    stop = StopText(stop_sequences(req))
    done: Done | None = None
    try:
        yield out.chunk({"role": "assistant", "content": ""})
        while True:
            items = [await turn.get(), *turn.drain()]
            events: list[Event] = []
            for kind, value in items:
                if kind == "event":
                    events.append(value)
                elif kind == "error":
                    turn.cancel()
                    yield sse(value.body())
                    yield DONE
                    return
            for item in merge_deltas(events):
                if isinstance(item, str) and not stop.hit:
                    if text := stop.feed(item):
                        yield out.chunk({"content": text})
                    if stop.hit:
                        turn.cancel()
                elif isinstance(item, Done):
                    done = item
            if req.aether_events and (steps := [e for e in events if is_step_event(e)]):
                objs = merge_thoughts([event_object(e) for e in steps])
                yield out.chunk(None, aether={"events": objs})
            if items[-1][0] == "end":
                break
        if tail := stop.flush():
            yield out.chunk({"content": tail})
        yield out.chunk({}, finish="stop")
        if req.stream_options is not None and req.stream_options.include_usage:
            yield out.chunk(None, usage=usage(prompt.prompt_tokens, done))
        yield DONE
        turn.finished = True
    finally:
        if not turn.finished:
            turn.cancel()
