"""`aether serve`: an OpenAI-compatible HTTP API over the agent (FastAPI + uvicorn, the
``serve`` extra).

- ``config``: the server's settings and limits (one place for each).
- ``batcher``: one model, many conversations: generations share a batch cache and step together.
- ``schema``: the request schema and OpenAI-style error objects.
- ``convert``: an OpenAI messages list -> Aether's dialogue, images resolved safely.
- ``turns``: admission (bounded queue), the turn's worker thread, timeouts and cancellation.
- ``responses``: agent events -> completion objects, SSE chunks and the ``aether`` extension.
- ``app``: the routes (``/v1/chat/completions``, ``/v1/models``, ``/health``), auth and SSE.
- ``server``: the agent every request forks (batched policy, fixed approval), put together.
- ``load``: the loopback load generator behind ``aether bench serve``.

Importing this package imports neither torch nor FastAPI.
"""
