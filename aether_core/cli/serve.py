"""`aether serve`: an OpenAI-compatible HTTP API over the agent (needs the ``serve`` extra)."""

from __future__ import annotations

import argparse
import os

from ..decoding import DEFAULT_SAMPLING, add_compile_argument, add_dtype_argument
from ..serve.config import LOCAL_TOOLS, ServeConfig

_D = ServeConfig()  # the defaults, for help texts


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="an OpenAI-compatible HTTP API over the agent")
    p.add_argument("--host", default=_D.host, help=f"bind address (default {_D.host})")
    p.add_argument("--port", type=int, default=_D.port)
    p.add_argument(
        "--api-key",
        default=os.environ.get("AETHER_API_KEY"),
        help="require Authorization: Bearer KEY (default: $AETHER_API_KEY); "
        "needed to bind anything but loopback",
    )
    p.add_argument(
        "--approve",
        default=_D.approve,
        metavar="all|none|TOOL,...",
        help=f"tools the agent may run, fixed for the server's life (default: {LOCAL_TOOLS}, "
        "the ones that touch nothing outside the machine)",
    )
    p.add_argument("--checkpoint", help="checkpoint dir (default: the shipped model)")
    p.add_argument("--model-name", help="the model id clients use (default: the checkpoint's)")
    p.add_argument("--device", default="auto")
    add_dtype_argument(p)
    add_compile_argument(p)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--batch", type=int, default=_D.batch, help="turns decoding together")
    p.add_argument("--max-queue", type=int, default=_D.max_queue, help="turns waiting (then 429)")
    p.add_argument("--timeout", type=float, default=_D.timeout_s, help="seconds per request")
    p.add_argument("--max-tokens", type=int, default=_D.max_tokens, help="answer bytes per turn")
    p.add_argument("--max-messages", type=int, default=_D.max_messages)
    p.add_argument("--max-request-bytes", type=int, default=_D.max_request_bytes)
    p.add_argument("--max-steps", type=int, default=8)
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        help=f"default temperature (default {DEFAULT_SAMPLING.temperature:g}); requests may set theirs",
    )
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--out-dir", help="where produced images/files are saved")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info"])
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from . import CliError, UsageError

    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise CliError(
            "aether serve needs FastAPI and uvicorn: pip install 'aether[serve]'"
        ) from None
    from ..serve.config import ServeConfigError

    try:
        config = ServeConfig(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            approve=args.approve,
            model_name=args.model_name,
            batch=args.batch,
            max_queue=args.max_queue,
            timeout_s=args.timeout,
            max_tokens=args.max_tokens,
            max_messages=args.max_messages,
            max_request_bytes=args.max_request_bytes,
        )
    except ServeConfigError as e:
        raise UsageError(str(e)) from None
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from ..serve.app import create_app
    from ..serve.server import build_server_agent, close, model_id

    agent = build_server_agent(
        config,
        args.checkpoint,
        device=args.device,
        dtype=args.dtype,
        compile=args.compile,
        sampling=DEFAULT_SAMPLING.with_overrides(temperature=args.temperature, seed=args.seed),
        out_dir=args.out_dir,
        max_steps=args.max_steps,
    )
    try:
        app = create_app(agent, config, model_id(agent, config))
        uvicorn.run(
            app,
            host=config.host,
            port=config.port,
            log_level=args.log_level,
            timeout_graceful_shutdown=5,
        )
    finally:
        close(agent)
    return 0
